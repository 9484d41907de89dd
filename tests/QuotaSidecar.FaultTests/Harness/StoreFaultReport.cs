using System.Globalization;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using Xunit.Abstractions;

namespace QuotaSidecar.FaultTests.Harness;

/// <summary>
/// What a <see cref="StoreFaultScenario"/> measured, printed as its figures, and the issue's "must show" checks
/// (<see cref="Failures"/>): every call answered (GRANTED, or DENIED with a reason) within the client's deadline, the
/// slowest answer within MaxWait + 50 ms on the sidecars' own hot-path histogram, and after recovery central consumed =
/// GRANTED answers exactly per account, conserved, nothing left leased.
/// </summary>
public sealed class StoreFaultReport(
    StoreFaultScenario scenario,
    IReadOnlyList<Sample> samples,
    Window before,
    Window fault,
    Window recovery,
    StoreStateWatch watch,
    TimeSpan? recoveredAfter,
    IReadOnlyDictionary<string, Balance> balances,
    double[] exits)
{
    public const string HotPath = "quota_hot_path_duration_microseconds";
    public const string StoreWait = "quota_store_wait_milliseconds";
    public const string ExchangeDuration = "quota_exchange_duration_milliseconds";
    public const string Answers = "quota_answers_total";
    private static readonly string[] Sources = ["lease", "fail_open", "store_unavailable", "denied"];

    public IReadOnlyList<Sample> Samples => samples;

    public Window Before => before;

    public Window Fault => fault;

    public Window Recovery => recovery;

    /// <summary>Calls on the steady (large) accounts.</summary>
    public IReadOnlyList<Sample> Steady => [.. samples.Where(s => scenario.SteadyAccounts.Contains(s.Account))];

    /// <summary>Calls on newcomer accounts.</summary>
    public IReadOnlyList<Sample> Newcomers => [.. samples.Where(s => !scenario.SteadyAccounts.Contains(s.Account))];

    /// <summary>The bounds (µs) of the highest hot-path histogram bucket that got an observation from the start of
    /// <c>before</c> to the end of <c>recovery</c>, all sidecars: the slowest Reserve/Consume/Commit lies in it.</summary>
    public (double Lower, double Upper) SlowestHotPath => Scrape.HighestBucket(Scrape.Merge(before.Before), Scrape.Merge(recovery.After), HotPath);

    /// <summary>How long after the fault began a sidecar first showed its breaker open; null: none did.</summary>
    public TimeSpan? Detection => watch.FirstAfter(fault.From, s => s.Breaker == StoreStateWatch.Open);

    /// <summary>Sidecars whose breaker was seen open during the fault or the recovery.</summary>
    public int SidecarsThatOpened => watch.States.Where(s => s.At >= fault.From && s.At < recovery.To && s.Breaker == StoreStateWatch.Open).Select(s => s.Sidecar).Distinct().Count();

    public TimeSpan? RecoveredAfter => recoveredAfter;

    public IReadOnlyDictionary<string, Balance> Balances => balances;

    public long GrantedOn(string account) => samples.Count(s => s.Granted && s.Account == account);

    /// <summary>Every breach of the issue's "must show" targets, as a line each; empty when all are met.</summary>
    public IReadOnlyList<string> Failures()
    {
        var failures = new List<string>();
        var deadline = samples.Count(s => s.Status == StatusCode.DeadlineExceeded);
        if (deadline > 0)
        {
            failures.Add($"{deadline} calls ended in DEADLINE_EXCEEDED (1 s client deadline)");
        }

        var unanswered = samples.Where(s => s.Status is not (StatusCode.OK or StatusCode.DeadlineExceeded)).ToList();
        if (unanswered.Count > 0)
        {
            failures.Add($"{unanswered.Count} calls failed with another status: {string.Join(", ", unanswered.Classes().Select(c => $"{c.Class} {c.Calls}"))}");
        }

        var reasonless = samples.Count(s => s.Status == StatusCode.OK && !s.Granted && s.Reason == DenyReason.Unspecified);
        if (reasonless > 0)
        {
            failures.Add($"{reasonless} denials without a reason");
        }

        var budget = (StoreFaultScenario.MaxWait + TimeSpan.FromMilliseconds(50)).TotalMicroseconds;
        var (lower, upper) = SlowestHotPath;
        if (!(upper <= budget))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"slowest hot-path answer in the sidecars' histogram bucket ({lower}, {upper}] µs, over MaxWait + 50 ms = {budget} µs"));
        }

        foreach (var (account, balance) in balances)
        {
            var granted = GrantedOn(account);
            if (balance.Consumed != granted || balance.Overage != 0)
            {
                failures.Add($"{account}: {granted} GRANTED answers but central consumed {balance.Consumed}, overage {balance.Overage}");
            }

            if (!Fleet.Conserved(balance))
            {
                failures.Add($"{account}: conservation broken: {Fleet.Describe(balance)}");
            }

            if (balance.Leased != 0)
            {
                failures.Add($"{account}: {balance.Leased} credits still leased after every sidecar exited");
            }
        }

        if (exits.Any(double.IsNaN))
        {
            failures.Add("a sidecar did not exit within 30 s of SIGTERM");
        }

        return failures;
    }

    /// <summary>A scenario's own target: null when met, else what was missed.</summary>
    public static string? Check(bool met, string missed) => met ? null : missed;

    /// <summary>The breaker was seen open on every sidecar during the fault (or the recovery after it): a fault of
    /// seconds was noticed, whatever it took.</summary>
    public string? BreakerOpenedEverywhere() =>
        Check(SidecarsThatOpened == before.Before.Length, $"the breaker opened on {SidecarsThatOpened} of {before.Before.Length} sidecars during the fault");

    /// <summary>Asserts <see cref="Failures"/> and the scenario's own <paramref name="targets"/> (see <see cref="Check"/>)
    /// are all met, naming every breach at once.</summary>
    public void AssertMustShow(params string?[] targets)
    {
        var failures = Failures().Concat(targets.OfType<string>()).ToList();
        Assert.True(failures.Count == 0, "issue 14 targets missed:\n" + string.Join('\n', failures));
    }

    public void Print(ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var first = Scrape.Merge(before.Before);
        var last = Scrape.Merge(recovery.After);
        output.WriteLine($"fault: {scenario.Fault}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"setup: 3 sidecars; steady account(s) {string.Join(", ", scenario.SteadyAccounts)} ({StoreFaultScenario.SteadyCredits:N0} credits) x {scenario.CallersPerSteadyAccount} closed-loop callers per sidecar at {scenario.SteadyCallsPerSecond} calls/s each; newcomers: 1 call / {scenario.NewcomerEvery.TotalMilliseconds} ms per sidecar over {scenario.Newcomers} accounts; client deadline {StoreFaultScenario.ClientDeadline.TotalSeconds} s; MaxWait {StoreFaultScenario.MaxWait.TotalMilliseconds} ms; settings {string.Join(" ", scenario.Settings.Select(s => $"{s.Key}={s.Value}"))}"));
        foreach (var w in new[] { before, fault, recovery })
        {
            var steady = Steady.Between(w.From, w.To).ToList();
            var newcomers = Newcomers.Between(w.From, w.To).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{w.Name,-8} {w.Seconds,5:F1} s  steady    {steady.Describe()}; {steady.Count / w.Seconds / before.Before.Length,5:F0} calls/s per sidecar"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"",-8} {"",5}    newcomers {newcomers.Describe()}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-8} {"",5}    server hot path: p99 ≤ {w.HotPathQuantile(0.99)} µs, slowest in {Bucket(Scrape.HighestBucket(Scrape.Merge(w.Before), Scrape.Merge(w.After), HotPath))} µs; answers by source: {AnswersBySource(Scrape.Merge(w.Before), Scrape.Merge(w.After))}"));
        }

        output.WriteLine($"whole run: steady {Steady.Describe()}");
        output.WriteLine($"           newcomers {Newcomers.Describe()}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hot path (µs, server, all sidecars, before..recovery): slowest in {Bucket(SlowestHotPath)}; buckets {Scrape.DescribeBuckets(first, last, HotPath)}"));
        output.WriteLine($"store wait (ms): {Scrape.DescribeBuckets(first, last, StoreWait)}");
        output.WriteLine($"exchange duration (ms): {Scrape.DescribeBuckets(first, last, ExchangeDuration)}");
        output.WriteLine($"answers by source: {AnswersBySource(first, last)}; settle failures {Delta(first, last, "quota_settle_failures_total")}, leases lost {Delta(first, last, "quota_lease_lost_total")}");
        output.WriteLine($"breaker (read every 100 ms from the start of the fault):\n{watch.Describe(fault.From, recovery.To, before.Before.Length)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"time to detection (first breaker open after the fault began): {Ms(Detection)}; first store_available=0: {Ms(watch.FirstAfter(fault.From, s => s.Available == 0))}; recovered (all available, breakers closed) {Ms(recoveredAfter)} after the fault ended"));
        var newcomerBalances = balances.Where(b => !scenario.SteadyAccounts.Contains(b.Key)).ToList();
        foreach (var account in scenario.SteadyAccounts)
        {
            output.WriteLine($"{account}: GRANTED {GrantedOn(account)}; central {Fleet.Describe(balances[account])}; conserved {Fleet.Conserved(balances[account])}");
        }

        output.WriteLine($"newcomers: GRANTED {Newcomers.Count(s => s.Granted)}; central consumed {newcomerBalances.Sum(b => b.Value.Consumed)}; accounts with consumed != GRANTED {newcomerBalances.Count(b => b.Value.Consumed != GrantedOn(b.Key))}, not conserved {newcomerBalances.Count(b => !Fleet.Conserved(b.Value))}, still leased {newcomerBalances.Count(b => b.Value.Leased != 0)}");
        output.WriteLine($"SIGTERM exits (s): {string.Join(", ", exits.Select(e => e.ToString("F2", CultureInfo.InvariantCulture)))}");
        var failures = Failures();
        output.WriteLine(failures.Count == 0 ? "issue 14 targets: all met" : "issue 14 targets missed:\n  " + string.Join("\n  ", failures));
    }

    private static string AnswersBySource(Scrape from, Scrape to) =>
        from.Has(Answers) || to.Has(Answers)
            ? string.Join(", ", Sources.Select(s => $"{s} {Delta(from, to, Answers, $"source=\"{s}\"")}"))
            : "no such metric";

    private static double Delta(Scrape from, Scrape to, string counter, string labelFilter = "") => to.Sum(counter, labelFilter) - from.Sum(counter, labelFilter);

    private static string Bucket((double Lower, double Upper) b) => string.Create(CultureInfo.InvariantCulture, $"({b.Lower}, {b.Upper}]");

    private static string Ms(TimeSpan? t) => t is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.TotalMilliseconds:F0} ms") : "never";
}
