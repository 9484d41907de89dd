using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using QuotaSidecar.FaultTests.Harness;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests;

/// <summary>
/// The usage journal with real processes (docs/reliability.md, journal): a sidecar under Consume load on a real
/// redis-server is SIGKILLed at a random moment, again and again, each time restarted on the same journal directory
/// (the next start replays the last one's journal). At the end, the usage the store recorded equals the credits
/// answered GRANTED: nothing lost, nothing billed twice. Every third kill is aimed between the store applying an
/// exchange and the sidecar applying its answer: a delay proxy holds Redis's replies back, so exchanges sent just
/// before the kill are applied while their answers are still on the way; the test reads the store's sequence for
/// the killed instance before the restart and matches it with the sequence the replay resent.
/// </summary>
public sealed partial class JournalCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "quota-fault-journal", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Sigkill_at_random_moments_bills_exactly_the_granted_usage()
    {
        var kills = int.TryParse(Environment.GetEnvironmentVariable("QUOTA_JOURNAL_KILLS"), CultureInfo.InvariantCulture, out var k) ? k : 20;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("QUOTA_RANDOM_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        output.WriteLine($"seed={seed} kills={kills} (reproduce: QUOTA_RANDOM_SEED={seed}, more: QUOTA_JOURNAL_KILLS)");
        var random = new Random(seed);

        await using var redis = await RedisServer.StartAsync();
        await using var proxy = DelayProxy.Start(redis.Port);
        var prefix = "journal" + Guid.NewGuid().ToString("N")[..8];
        await using var fleet = new Fleet(proxy.Endpoint, new Dictionary<string, string>
        {
            ["Quota__Redis__KeyPrefix"] = prefix,
            ["Quota__Settle__Interval"] = "00:00:00.100",
            ["Quota__Journal__Path"] = _journal,
            ["Logging__LogLevel__QuotaSidecar.Core.Journal"] = "Information",
        });
        const string account = "journaled";
        var first = await fleet.StartAsync("j0");
        await Fleet.CreateAccountAsync(first.Admin, account, 1_000_000_000);

        long granted = 0, uncertain = 0, replayed = 0, resent = 0;
        int aimed = 0, betweenApplyAndAck = 0;
        var current = first;
        var started = Stopwatch.GetTimestamp();
        for (var kill = 1; kill <= kills; kill++)
        {
            var load = ConsumeLoad.Start(current.Quota, account, workers: 2, callTimeout: TimeSpan.FromSeconds(5));
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(200, 900)));
            var aim = kill % 3 == 0;
            if (aim)
            {
                // Requests now take 300 ms to reach Redis and answers 300 ms to come back: after 450 ms, the
                // exchanges sent in the first 150 ms are applied and their answers are still in the proxy.
                proxy.Delay = TimeSpan.FromMilliseconds(300);
                await Task.Delay(TimeSpan.FromMilliseconds(450));
                aimed++;
            }

            current.Sidecar.Crash();
            Assert.True(await current.Sidecar.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the killed sidecar did not die");

            // Taken once the process is gone, not before the signal: a call sent between the two may have been
            // granted (and journaled) with its answer lost (seen: 1 credit in one CI run). After it, none can be.
            var killedAt = Stopwatch.GetTimestamp();
            var samples = await load.StopAsync();
            proxy.Delay = TimeSpan.Zero;
            granted += samples.GrantedCredits(load.Amount);
            uncertain += samples.Count(x => x.Status != StatusCode.OK && x.StartedAt < killedAt) * load.Amount;
            var applied = await AppliedSequencesAsync(redis, prefix, account);

            var next = await fleet.StartAsync($"j{kill}");
            Assert.True(
                await Wait.UntilAsync(() => Task.FromResult(SummaryPattern().IsMatch(next.Sidecar.Output)), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50)),
                "the restarted sidecar logged no replay: " + next.Sidecar.Output);
            var log = next.Sidecar.Output;
            foreach (Match m in ResentPattern().Matches(log))
            {
                resent += long.Parse(m.Groups["used"].Value, CultureInfo.InvariantCulture);
                if (applied.TryGetValue(m.Groups["instance"].Value, out var seq) && seq == long.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture))
                {
                    betweenApplyAndAck++;
                }
            }

            foreach (Match m in ReportedPattern().Matches(log))
            {
                replayed += long.Parse(m.Groups["used"].Value, CultureInfo.InvariantCulture);
            }

            Assert.DoesNotContain("LOST", log, StringComparison.Ordinal);
            current = next;
        }

        // The last one runs a little, then shuts down cleanly (its usage reported at SIGTERM).
        var lastLoad = ConsumeLoad.Start(current.Quota, account, workers: 2);
        await Task.Delay(300);
        var lastSamples = await lastLoad.StopAsync();
        granted += lastSamples.GrantedCredits(lastLoad.Amount);
        var exits = await SidecarProcess.TerminateAllAsync([current.Sidecar], TimeSpan.FromSeconds(15));
        Assert.False(double.IsNaN(exits[0]), "the last sidecar did not exit after SIGTERM");

        var auditor = await fleet.StartAsync("auditor");
        var balance = await Fleet.BalanceAsync(auditor.Admin, account);
        var billed = balance.Consumed + balance.Overage;
        output.WriteLine($"{kills} kills in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s; {aimed} aimed between apply and acknowledgement, {betweenApplyAndAck} replays found the store had applied the resent exchange");
        output.WriteLine($"GRANTED answers: {granted} credits; calls cut by the kills (no answer, may or may not have been granted): {uncertain}");
        output.WriteLine($"billed: {billed} ({Fleet.Describe(balance)}); of it resent by replays: {resent}, reported by replays: {replayed}");
        output.WriteLine($"lost: {Math.Max(0, granted - billed)}, billed beyond GRANTED answers: {Math.Max(0, billed - granted)} (at most the {uncertain} cut calls)");

        Assert.True(Fleet.Conserved(balance), "conservation broken: " + Fleet.Describe(balance));
        Assert.Equal(0, balance.Leased);
        Assert.True(billed >= granted, $"lost usage: {granted} credits answered GRANTED, {billed} billed");
        Assert.True(billed <= granted + uncertain, $"billed twice: {billed} billed, {granted} answered GRANTED and {uncertain} cut by kills");
        Assert.True(replayed > 0, "no replay reported any usage: the journal did nothing");
        Assert.True(betweenApplyAndAck > 0, "no kill landed between the store applying an exchange and the sidecar acknowledging it");
    }

    [Fact]
    public async Task A_torn_tail_and_a_corrupt_segment_each_recover_at_start()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var fleet = new Fleet(redis.Endpoint, new Dictionary<string, string> { ["Quota__Journal__Path"] = _journal });
        const string account = "damaged";
        var a = await fleet.StartAsync("a");
        await Fleet.CreateAccountAsync(a.Admin, account, 1_000_000);
        var load = ConsumeLoad.Start(a.Quota, account, workers: 2);
        await Task.Delay(500);
        a.Sidecar.Crash();
        await a.Sidecar.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await load.StopAsync();

        // A torn record after the last one: a crash in the middle of a copy into the map.
        var segment = Directory.GetFiles(_journal, "*.seg").Single();
        var bytes = await File.ReadAllBytesAsync(segment);
        var end = Array.FindLastIndex(bytes, b => b != 0) + 1;
        new byte[] { 40, 0, 0, 0, 1, 2, 3, 4, 1, 8 }.CopyTo(bytes, end);
        await File.WriteAllBytesAsync(segment, bytes);
        var b = await fleet.StartAsync("b");
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(b.Sidecar.Output.Contains("torn last record", StringComparison.Ordinal)), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50)), "no torn-record warning: " + b.Sidecar.Output);
        Assert.Equal(1, (await Scrape.ReadAsync(b.Sidecar.HttpPort)).Sum("quota_journal_torn_total"));
        Assert.Empty(Directory.GetFiles(_journal, "journal-a-*.seg"));

        var loadB = ConsumeLoad.Start(b.Quota, account, workers: 2);
        // Enough records that the damage below has records after it (a flip in the last record is a torn tail).
        Assert.True(
            await Wait.UntilAsync(async () => (await Scrape.ReadAsync(b.Sidecar.HttpPort)).Sum("quota_journal_records_total") >= 50, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)),
            "the sidecar wrote fewer than 50 journal records");
        b.Sidecar.Crash();
        await b.Sidecar.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await loadB.StopAsync();

        // A corrupt segment: garbage in the middle of its records.
        segment = Directory.GetFiles(_journal, "*.seg").Single();
        bytes = await File.ReadAllBytesAsync(segment);
        bytes[300] ^= 0x5A;
        await File.WriteAllBytesAsync(segment, bytes);
        var c = await fleet.StartAsync("c");
        Assert.True(await Wait.UntilAsync(() => Task.FromResult(c.Sidecar.Output.Contains("is corrupt", StringComparison.Ordinal)), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50)), "no corrupt-segment error: " + c.Sidecar.Output);
        Assert.Single(Directory.GetFiles(_journal, "*.corrupt-*"));
        var metrics = await Scrape.ReadAsync(c.Sidecar.HttpPort);
        Assert.Equal(1, metrics.Sum("quota_journal_corrupt_total"));
        var reply = await c.Quota.ConsumeAsync(new Api.V1.ConsumeRequest { AccountId = account, Amount = 1 });
        Assert.Equal(Api.V1.Decision.Granted, reply.Decision);
    }

    public void Dispose()
    {
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, recursive: true);
        }
    }

    /// <summary>The last sequence the store applied per instance for the account (its exchange records).</summary>
    private static async Task<Dictionary<string, long>> AppliedSequencesAsync(RedisServer redis, string prefix, string account)
    {
        var lines = (await redis.CliAsync("HGETALL", $"{prefix}:{{{account}}}:exchanges")).Split('\n', StringSplitOptions.TrimEntries);
        var applied = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            var fields = lines[i + 1].Split(' ');
            // The sequence token is "seq" or "seq:used_total:lease_overage:restored" (store-rollback figures).
            var token = fields[0] == "r2" ? fields[1] : fields[0];
            applied[lines[i]] = long.Parse(token.Split(':')[0], CultureInfo.InvariantCulture);
        }

        return applied;
    }

    [GeneratedRegex(@"Journal replay of instance (?<instance>\S+) account \S+: resent sequence (?<seq>\d+), (?<used>\d+) credits")]
    private static partial Regex ResentPattern();

    [GeneratedRegex(@"Journal replay of instance \S+: \d+ segments")]
    private static partial Regex SummaryPattern();

    [GeneratedRegex(@"Journal replay of instance \S+ account \S+: reported sequence \d+, (?<used>\d+) credits")]
    private static partial Regex ReportedPattern();
}
