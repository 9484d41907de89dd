using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>
/// Open-loop load at 10x the sustainable rate against one sidecar capped at 64 requests in flight. On a
/// 2-vCPU machine the test's own client cannot offer 10x (it shares the CPUs), so latencies seen by the client include
/// its own queueing; the checks are that excess calls are rejected (not queued until their deadline), rejections are
/// no slower than grants, memory stays bounded and ordinary calls succeed right after. The client keeps at most
/// <see cref="MaxOutstanding"/> calls in flight (4x the sidecar's cap) and skips the schedule's calls beyond it: without
/// that bound a client slowed by a busy machine queued tens of thousands of calls in its own process and measured
/// its own backlog (p50 6 s, a CI failure), not the sidecar. At 1,024 in flight (16x) the client's HTTP/2 streams
/// themselves were refused and reset (hundreds of UNAVAILABLE, once 114 INTERNAL in CI). Even at 256, about one run in
/// three lost a whole connection (GOAWAY STREAM_CLOSED or ENHANCE_YOUR_CALM: 256 UNAVAILABLE, once ~208 INTERNAL): the
/// sidecar answered shed calls before their request had ended, and Kestrel's tracking of the streams it then reset
/// bit (see ShedAnswer). So only RESOURCE_EXHAUSTED from the sidecar itself counts as shed: UNAVAILABLE, and
/// RESOURCE_EXHAUSTED made by the HTTP/2 client from a stream refused with ENHANCE_YOUR_CALM, are failures. Every
/// other answer is printed with its detail, and so are the sidecar's HTTP/2 stream and connection errors (Kestrel's
/// Http2 log at Debug).
/// </summary>
public sealed class OverloadTests(ITestOutputHelper output)
{
    private const double MaxOfferedPerSecond = 30_000;
    private const int MaxOutstanding = 256;
    private const string SidecarShedMessage = "sidecar overloaded";
    private static readonly ConcurrentDictionary<StatusCode, string> OtherErrors = new();
    private static readonly ConcurrentQueue<string> TransportExhausted = new();
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Tenfold_overload_is_shed_fast_with_bounded_memory_and_the_sidecar_recovers()
    {
        await using var sidecar = await SidecarProcess.StartAsync(Fleet.Embedded(new Dictionary<string, string>
        {
            ["Quota__Limits__MaxConcurrentRequests"] = "64",
            ["Quota__Seed__Accounts__0__AccountId"] = "overload",
            ["Quota__Seed__Accounts__0__Credits"] = "1000000000000",
            ["Logging__LogLevel__Microsoft.AspNetCore.Server.Kestrel.Http2"] = "Debug", // stream and connection errors
        }));
        using var channel = GrpcChannel.ForAddress(sidecar.TcpTarget, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var quota = new Quota.QuotaClient(channel);

        // Sustainable rate: a short closed loop below the in-flight cap.
        var closed = ConsumeLoad.Start(quota, "overload", workers: 16);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var closedSamples = await closed.StopAsync();
        var warm = closedSamples.Where(s => s.StartedAt >= closedSamples[0].StartedAt + Stopwatch.Frequency).ToList();
        var sustainable = warm.Count(s => s.Granted) / Stopwatch.GetElapsedTime(warm[0].StartedAt, warm[^1].StartedAt).TotalSeconds;
        var rssBefore = Fleet.RssMb(sidecar.Pid);

        // Open loop: calls started on a fixed schedule whatever the answers, 10x the sustainable rate for 4 s.
        // Capped at 30,000/s: a 2-vCPU client cannot start more than ~10-30k calls/s, and above that it only fires
        // larger bursts (204,282 calls for a 122,460/s target in one run), so the sidecar's RSS would measure the
        // burst size rather than whether it sheds. On a loaded machine 10x stays well under the cap.
        var target = Math.Min(10 * sustainable, MaxOfferedPerSecond);
        var results = new ConcurrentBag<Sample>();
        var calls = new List<Task>();
        var rssDuring = new List<double>();
        var fired = 0;
        var skipped = 0;
        var inFlight = new StrongBox<int>();
        var started = Stopwatch.GetTimestamp();
        var duration = TimeSpan.FromSeconds(3);
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            var due = (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * target);
            for (; fired + skipped < due; fired++)
            {
                if (Volatile.Read(ref inFlight.Value) >= MaxOutstanding)
                {
                    skipped += due - fired - skipped;
                    break;
                }

                Interlocked.Increment(ref inFlight.Value);
                calls.Add(CallAsync(quota, results, inFlight));
            }

            if (fired % 50 == 0)
            {
                rssDuring.Add(Fleet.RssMb(sidecar.Pid));
            }

            await Task.Delay(5);
        }

        var offered = fired / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = Task.WhenAll(calls);
        Assert.True(await Task.WhenAny(all, Task.Delay(CallTimeout + TimeSpan.FromSeconds(30))) == all, "open-loop calls did not finish");
        rssDuring.Add(Fleet.RssMb(sidecar.Pid));

        // Recovery: ordinary calls succeed again at once.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var recovered = 0;
        for (var i = 0; i < 200; i++)
        {
            var reply = await quota.ConsumeAsync(new ConsumeRequest { AccountId = "overload", Amount = 1 }, deadline: DateTime.UtcNow.AddSeconds(5));
            recovered += reply.Decision == Decision.Granted ? 1 : 0;
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        var rssAfter = Fleet.RssMb(sidecar.Pid);
        var list = results.ToList();
        var ok = list.Where(s => s.Status == StatusCode.OK).ToList();
        var shed = list.Where(s => s.Status == StatusCode.ResourceExhausted).ToList();
        var timedOut = list.Count(s => s.Status == StatusCode.DeadlineExceeded);
        var other = list.Count - ok.Count - shed.Count - timedOut;
        var window = Stopwatch.GetElapsedTime(started).TotalSeconds;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sustainable (16 closed-loop callers): {sustainable:F0} calls/s, p99 {warm.Percentile(99):F0} µs"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"open loop: target {target:F0}/s, offered {offered:F0}/s for {duration.TotalSeconds} s ({fired} calls; {skipped} skipped with {MaxOutstanding} in flight), MaxConcurrentRequests=64"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ok {ok.Count} (p50 {ok.Percentile(50):F0} µs, p99 {ok.Percentile(99):F0} µs), goodput {ok.Count / window:F0}/s"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  shed {shed.Count} (RESOURCE_EXHAUSTED; {TransportExhausted.Count} of them not from the sidecar; p50 {shed.Percentile(50):F0} µs, p99 {shed.Percentile(99):F0} µs; timeout {CallTimeout.TotalMilliseconds} ms)"));
        var otherCodes = string.Join(", ", list.Where(s => s.Status is not (StatusCode.OK or StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded))
            .GroupBy(s => s.Status).Select(g => $"{g.Key} {g.Count()}"));
        output.WriteLine($"  deadline exceeded {timedOut}, other errors {other} ({otherCodes})");
        foreach (var (code, detail) in OtherErrors)
        {
            output.WriteLine($"  first {code}: {detail}");
        }

        if (TransportExhausted.TryPeek(out var transportDetail))
        {
            output.WriteLine($"  first RESOURCE_EXHAUSTED not from the sidecar: {transportDetail}");
        }

        // Kestrel's stream and connection errors, one line per kind ("HTTP/2 stream ID 41 error (ENHANCE_YOUR_CALM): ...").
        foreach (var kind in sidecar.Output.Split('\n').Where(l => l.Contains("Http2", StringComparison.Ordinal) && l.Contains("error (", StringComparison.Ordinal))
            .GroupBy(l => l[(l.IndexOf("error (", StringComparison.Ordinal) + 6)..]))
        {
            output.WriteLine($"  sidecar x{kind.Count()}: {kind.First().Trim()}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RSS MB: before {rssBefore:F0}, during max {rssDuring.Max():F0}, after {rssAfter:F0}; recovery: {recovered}/200 granted"));

        Assert.True(shed.Count > 0, "nothing was shed at 10x the sustainable rate");
        Assert.True(shed.Percentile(99) < CallTimeout.TotalMicroseconds, $"rejections took until the deadline: p99 {shed.Percentile(99):F0} µs");
        Assert.True(shed.Percentile(99) <= 1.5 * ok.Percentile(99), $"rejections (p99 {shed.Percentile(99):F0} µs) wait longer than grants (p99 {ok.Percentile(99):F0} µs): they are queued, not shed");
        Assert.True(timedOut <= list.Count / 100, $"{timedOut} calls hit the deadline instead of being shed");
        Assert.Equal(0, other);
        Assert.True(TransportExhausted.IsEmpty, $"{TransportExhausted.Count} RESOURCE_EXHAUSTED came from the HTTP/2 transport (streams refused with ENHANCE_YOUR_CALM), not from the sidecar's shedding");
        Assert.True(rssDuring.Max() <= rssBefore + 256, $"RSS grew from {rssBefore:F0} to {rssDuring.Max():F0} MB");
        Assert.Equal(200, recovered);
    }

    private static async Task CallAsync(Quota.QuotaClient quota, ConcurrentBag<Sample> results, StrongBox<int> inFlight)
    {
        var started = Stopwatch.GetTimestamp();
        StatusCode status;
        var granted = false;
        try
        {
            var reply = await quota.ConsumeAsync(new ConsumeRequest { AccountId = "overload", Amount = 1 }, deadline: DateTime.UtcNow + CallTimeout);
            status = StatusCode.OK;
            granted = reply.Decision == Decision.Granted;
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            if (status == StatusCode.ResourceExhausted && !e.Status.Detail.StartsWith(SidecarShedMessage, StringComparison.Ordinal))
            {
                TransportExhausted.Enqueue(e.Status.Detail);
            }
            else if (status != StatusCode.ResourceExhausted)
            {
                OtherErrors.TryAdd(status, e.Status.Detail + (e.Status.DebugException is { } x ? $" ({x.GetType().Name}: {x.Message})" : ""));
            }
        }

        results.Add(new Sample(started, Stopwatch.GetElapsedTime(started).TotalMicroseconds, status, granted));
        Interlocked.Decrement(ref inFlight.Value);
    }
}
