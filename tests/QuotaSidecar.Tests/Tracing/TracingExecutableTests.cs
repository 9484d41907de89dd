using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuotaSidecar.Tests.Tracing;

/// <summary>
/// The real sidecar executable on a real Redis exports its spans by OTLP/HTTP to a real receiver (issue 18 item 3,
/// "Must show"); and exports nothing while tracing is off.
/// </summary>
public sealed class TracingExecutableTests(ITestOutputHelper output)
{
    private const string Token = "tracing-test-admin-token-0123456";

    private static string RedisEndpoint =>
        Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") is { Length: > 0 } s ? s : "127.0.0.1:6391";

    [Fact]
    public async Task A_Reserve_on_a_cold_account_is_one_trace_from_the_callers_traceparent_to_Redis()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Quota__Store"] = "Redis",
            ["Quota__Redis__ConnectionString"] = RedisEndpoint,
            ["Quota__Redis__KeyPrefix"] = $"trace-test-{Guid.NewGuid():N}",
            ["Quota__Admin__Token"] = Token,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "quota-sidecar-under-test",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        };
        await using var sidecar = await SidecarProcess.StartAsync(settings);
        using var channel = GrpcChannel.ForAddress(sidecar.TcpTarget);
        var account = $"acct-{Guid.NewGuid():N}";
        var admin = new QuotaAdmin.QuotaAdminClient(channel);
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = account }, Calls.Admin(Token));
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = account, GrantId = "purchase-1", Amount = 1_000 }, Calls.Admin(Token));

        // The caller's span: a trace id and span id chosen here, sampled.
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var callerSpanId = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64(1, long.MaxValue)));
        var headers = new Metadata { { "traceparent", $"00-{traceId}-{callerSpanId}-01" } };
        var reply = await new Quota.QuotaClient(channel).ReserveAsync(
            new ReserveRequest { AccountId = account, Amount = 10, ReservationId = "job-1" }, new CallOptions(headers, DateTime.UtcNow.AddSeconds(15)));
        Assert.Equal(Decision.Granted, reply.Decision);

        bool Complete(IReadOnlyCollection<ReceivedSpan> spans)
        {
            var trace = spans.Where(s => s.TraceId == traceId).ToList();
            var server = trace.FirstOrDefault(s => s.Kind == ReceivedSpan.ServerKind && s.ParentSpanId == callerSpanId);
            var exchange = trace.FirstOrDefault(s => s.Name == "quota.exchange" && s.ParentSpanId == server?.SpanId);
            return exchange is not null && trace.Any(s => s.Attribute("db.system") == "redis" && s.ParentSpanId == exchange.SpanId);
        }

        var complete = await receiver.WaitForAsync(Complete, TimeSpan.FromSeconds(20));
        foreach (var span in receiver.Spans.Where(s => s.TraceId == traceId))
        {
            output.WriteLine(span.ToString());
        }

        output.WriteLine($"{receiver.Spans.Count} spans received in {receiver.Exports} exports");
        var inTrace = receiver.Spans.Where(s => s.TraceId == traceId).ToList();
        var serverSpan = Assert.Single(inTrace, s => s.Kind == ReceivedSpan.ServerKind);
        Assert.Equal(callerSpanId, serverSpan.ParentSpanId); // the caller's traceparent is the parent
        Assert.Contains("quota.v1.Quota/Reserve", serverSpan.Name + " " + serverSpan.Attribute("url.path"), StringComparison.Ordinal);
        Assert.Equal("quota-sidecar-under-test", serverSpan.Service);
        var exchangeSpan = Assert.Single(inTrace, s => s.Name == "quota.exchange");
        Assert.Equal(serverSpan.SpanId, exchangeSpan.ParentSpanId);
        Assert.Equal(account, exchangeSpan.Attribute("quota.account"));
        Assert.Equal("need", exchangeSpan.Attribute("quota.exchange.intent"));
        Assert.Equal("done", exchangeSpan.Attribute("quota.exchange.outcome"));
        Assert.True(long.Parse(exchangeSpan.Attribute("quota.exchange.sequence") ?? "0", System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains(inTrace, s => s.Attribute("db.system") == "redis" && s.ParentSpanId == exchangeSpan.SpanId);
        Assert.True(complete);
    }

    public static TheoryData<string, string, string> OffCases => new()
    {
        // name, variable, value: each with an OTLP endpoint pointing at the receiver, except the first.
        { "no endpoint variable", "OTEL_EXPORTER_OTLP_ENDPOINT", "" },
        { "SDK disabled", "OTEL_SDK_DISABLED", "true" },
        { "traces exporter none", "OTEL_TRACES_EXPORTER", "none" },
    };

    [Theory]
    [MemberData(nameof(OffCases))]
    public async Task Tracing_off_sends_no_trace(string name, string variable, string value)
    {
        // Without an endpoint variable the exporter's default would be http://localhost:4318 for http/protobuf: the
        // receiver listens there when it can, so a sidecar that traced anyway would be caught.
        var noEndpoint = variable == "OTEL_EXPORTER_OTLP_ENDPOINT";
        await using var receiver = noEndpoint && PortFree(4318) ? await OtlpReceiver.StartAsync(4318) : await OtlpReceiver.StartAsync();
        output.WriteLine($"{name}: receiver on {receiver.Endpoint}");
        var settings = new Dictionary<string, string>
        {
            ["Quota__Admin__Token"] = Token,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_TRACES_SAMPLER"] = "always_on",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_SDK_DISABLED"] = "",
            ["OTEL_TRACES_EXPORTER"] = "",
            [variable] = value,
        };
        await using var sidecar = await SidecarProcess.StartAsync(settings);
        using var channel = GrpcChannel.ForAddress(sidecar.TcpTarget);
        var account = $"acct-{Guid.NewGuid():N}";
        var admin = new QuotaAdmin.QuotaAdminClient(channel);
        await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = account }, Calls.Admin(Token));
        await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = account, GrantId = "purchase-1", Amount = 1_000 }, Calls.Admin(Token));
        var headers = new Metadata { { "traceparent", $"00-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}-00f067aa0ba902b7-01" } };
        var reply = await new Quota.QuotaClient(channel).ReserveAsync(
            new ReserveRequest { AccountId = account, Amount = 10 }, new CallOptions(headers, DateTime.UtcNow.AddSeconds(15)));
        Assert.Equal(Decision.Granted, reply.Decision);

        // Absence cannot be polled for: wait well past the export delay (100 ms) and the Redis flush (1 s), then look.
        // The positive test above proves the same setup delivers within this time when tracing is on.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(0, receiver.Exports);
        Assert.Empty(receiver.Spans);
    }

    private static bool PortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
