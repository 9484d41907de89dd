using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Redis.Tests;

/// <summary>
/// One seeded sequence of random operations applied to two ledgers on one fake clock. Each step returns both
/// answers as fingerprints; <see cref="CompareStateAsync"/> reads both states back.
/// </summary>
internal sealed class LedgerDifferentialRun
{
    public const string Missing = "diff-missing";

    private static readonly string[] Instances = ["i1", "i2", "i3"];
    private static readonly string[] GrantIdStems = ["g", "G", "g-", "g_", "g.", "a", "A-", "z"];
    private static readonly string[] Units = ["", "api_call", "token (1k) units"];

    private readonly Random _rng;
    private readonly FakeTimeProvider _time;
    private readonly ICentralLedger _expected;
    private readonly ICentralLedger _actual;
    private readonly Dictionary<string, List<GrantSpec>> _specs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), long> _sequences = [];
    private readonly Dictionary<(string, string), LeaseExchange> _lastExchange = [];
    private readonly Dictionary<string, string?> _expectedCursor = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _actualCursor = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<Grant>> _lastGrants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastAvailable = new(StringComparer.Ordinal);
    private int _nextGrant;

    public LedgerDifferentialRun(int seed, FakeTimeProvider time, ICentralLedger expected, ICentralLedger actual, IReadOnlyList<string> accounts)
    {
        _rng = new Random(seed);
        _time = time;
        _expected = expected;
        _actual = actual;
        Accounts = accounts;
        foreach (var account in accounts)
        {
            _specs[account] = [];
        }
    }

    public IReadOnlyList<string> Accounts { get; }

    /// <summary>How often each interesting path was taken (from the embedded ledger's answers), to show what a run covered.</summary>
    public SortedDictionary<string, int> Coverage { get; } = new(StringComparer.Ordinal);

    /// <summary>Applies one random operation (a clock jump may be followed by another) to both ledgers.</summary>
    /// <returns>What was done, and both answers for each ledger call made.</returns>
    public async Task<List<(string Operation, string Expected, string Actual)>> StepAsync()
    {
        var done = new List<(string, string, string)>();
        var r = _rng.NextDouble();
        if (r < 0.12)
        {
            var jump = ClockJump();
            _time.Advance(jump);
            done.Add(($"clock +{jump} -> {_time.GetUtcNow():O}", "", ""));
            if (_rng.Next(2) == 0)
            {
                done.Add(await ApplyAsync(NextOperation(_rng.NextDouble() * 0.88 + 0.12)));
            }
        }
        else
        {
            done.Add(await ApplyAsync(NextOperation(r)));
        }

        return done;
    }

    /// <summary>Reads both ledgers' state of every account and returns the pairs that must be equal.</summary>
    public async Task<List<(string What, string Expected, string Actual)>> CompareStateAsync()
    {
        var pairs = new List<(string, string, string)>();
        foreach (var account in Accounts.Append(Missing))
        {
            var e = await Outcome(l => l.GetAccountAsync(account));
            pairs.Add(($"GetAccount {account}", e.Expected, e.Actual));
            if (e.ExpectedValue is AccountView known)
            {
                _lastAvailable[account] = known.Balance.Available;
            }

            foreach (var (ledger, balance) in new[] { ("embedded", e.ExpectedValue), ("redis", e.ActualValue) })
            {
                if (balance is AccountView view && !view.Balance.IsConserved)
                {
                    pairs.Add(($"conservation ({ledger}) {account}", "conserved", $"not conserved: {view.Balance}"));
                }
            }

            var usage = await Outcome(l => l.GetUsageAsync(account));
            pairs.Add(($"GetUsage {account}", usage.Expected, usage.Actual));

            var grants = await Outcome(l => l.ListGrantsAsync(account, includeInactive: true));
            pairs.Add(($"ListGrants {account}", grants.Expected, grants.Actual));
            if (grants.ExpectedValue is IReadOnlyList<Grant> list)
            {
                _lastGrants[account] = list;
            }

            if (account != Missing)
            {
                var expectedEntries = await NewEntries(_expected, account, _expectedCursor);
                var actualEntries = await NewEntries(_actual, account, _actualCursor);
                pairs.Add(($"new ledger entries {account}", string.Join("\n", expectedEntries), string.Join("\n", actualEntries)));
                foreach (var kind in expectedEntries.Select(e => e[..e.IndexOf(' ', StringComparison.Ordinal)]))
                {
                    Count($"entry {kind}");
                }

                if (expectedEntries.Count(e => e.StartsWith("Voided ", StringComparison.Ordinal)) >= 2)
                {
                    Count("several Voided entries in one step");
                }

                // A Renewed entry larger than its grant's amount is a run of periods applied as one step; an
                // OveragePaid one larger than it, a run of debt periods (docs/design.md#renewal-run).
                foreach (var entry in expectedEntries.Where(e => e.StartsWith("Renewed ", StringComparison.Ordinal) || e.StartsWith("OveragePaid ", StringComparison.Ordinal)))
                {
                    var parts = entry.Split(' ');
                    var grantId = parts[2]["grant=".Length..];
                    if (_specs.GetValueOrDefault(account)?.Find(s => s.GrantId == grantId) is { } spec && long.Parse(parts[1], CultureInfo.InvariantCulture) > spec.Amount)
                    {
                        Count($"entry {parts[0]} run");
                    }
                }
            }
        }

        return pairs;
    }

    private Func<ICentralLedger, ValueTask<object?>> Wrap<T>(Func<ICentralLedger, ValueTask<T>> call) =>
        async l => await call(l);

    private (string Operation, Func<ICentralLedger, ValueTask<object?>> Call) NextOperation(double r)
    {
        var account = _rng.Next(50) == 0 ? Missing : Pick(Accounts);
        if (r < 0.17)
        {
            var policy = new AccountPolicy(
                account,
                _rng.Next(8) == 0 ? AccountStatus.Suspended : AccountStatus.Active,
                _rng.Next(2) == 0 ? OverageMode.Hard : OverageMode.Soft,
                Pick([0L, 50L, 500L, 100_000L]),
                Pick([0L, 100L]),
                Pick(Units));
            if (!_specs.ContainsKey(account))
            {
                // The missing account stays missing.
                policy = policy with { AccountId = Accounts[0] };
            }

            return ($"Upsert {policy}", Wrap(l => l.UpsertAccountAsync(policy)));
        }

        if (r < 0.32)
        {
            var spec = NextGrantSpec(account);
            return ($"Grant {Describe(spec)}", Wrap(l => l.GrantAsync(spec)));
        }

        if (r < 0.38)
        {
            // Mostly the grant every instance leases from (the first active one in burn order that is partly out),
            // so voided credits are out on several leases when those expire.
            var known = _specs.GetValueOrDefault(account);
            var inUse = _lastGrants.GetValueOrDefault(account)?.FirstOrDefault(g => g.VoidedAt is null && g.Remaining < g.Amount
                && (g.ExpiresAt is null || g.ExpiresAt > _time.GetUtcNow()));
            var grantId = _rng.Next(10) switch
            {
                < 6 when inUse is not null => inUse.GrantId,
                < 9 when known is { Count: > 0 } => Pick(known).GrantId,
                _ => $"nope-{_rng.Next(3)}",
            };
            return ($"Void {account} {grantId}", Wrap(l => l.VoidGrantAsync(account, grantId)));
        }

        if (r < 0.40)
        {
            return ($"GetAccount {account}", Wrap(l => l.GetAccountAsync(account)));
        }

        var exchange = NextExchange(account);
        if (r < 0.43 && _lastAvailable.TryGetValue(account, out var available))
        {
            // A take that cannot be filled: while other instances hold credits it asks them to return theirs.
            var need = Math.Min(Validation.MaxAmount, available + _rng.NextInt64(1, 51));
            exchange = exchange with { Want = need, MinAcceptable = need, OverageWant = 0 };
            _lastExchange[(account, exchange.InstanceId)] = exchange;
        }

        return ($"Exchange {exchange}", Wrap(l => l.ExchangeAsync(exchange)));
    }

    private GrantSpec NextGrantSpec(string account)
    {
        var known = _specs.GetValueOrDefault(account);
        if (known is { Count: > 0 } && _rng.Next(6) == 0)
        {
            // A retry (same fields: the grant comes back) or a conflicting reuse (AlreadyExists).
            var old = Pick(known);
            return _rng.Next(2) == 0 ? old : old with { Amount = old.Amount + 1 };
        }

        var now = _time.GetUtcNow();
        // Mostly small, so balances run out and takes starve (reclaim, overage); now and then a huge one.
        var amount = _rng.Next(100) switch
        {
            < 75 => _rng.NextInt64(1, 1_001),
            < 97 => _rng.NextInt64(1_000, 20_001),
            _ => _rng.NextInt64(1_000_000_000, 1_000_000_000_001),
        };
        DateTimeOffset? effective = _rng.Next(10) switch
        {
            < 6 => null,
            < 8 => now - Millis(0, 2 * 86_400_000L),
            _ => now + Millis(1, 2 * 86_400_000L),
        };
        DateTimeOffset? expires = _rng.Next(20) < 11 ? null : (effective ?? now) + Millis(1_000, 5 * 86_400_000L);
        var recurrence = _rng.Next(100) < 15
            ? new Recurrence(Pick(expires is null ? LongPeriods : AllPeriods), Pick([0L, amount / 2, amount * 2]))
            : null;
        var metadata = _rng.Next(100) < 15
            ? new Dictionary<string, string> { ["order"] = $"o {_rng.Next(1000)} \"x\"", ["empty"] = "" }
            : null;
        var spec = new GrantSpec(
            account,
            $"{Pick(GrantIdStems)}{_nextGrant++}",
            amount,
            Pick([1, 10, 50, 50, 100]),
            _rng.Next(10) < 3 ? GrantCategory.Promotional : GrantCategory.Paid,
            effective,
            expires,
            recurrence,
            metadata);
        known?.Add(spec);
        return spec;
    }

    private LeaseExchange NextExchange(string account)
    {
        var instance = Pick(Instances);
        var key = (account, instance);
        var r = _rng.NextDouble();
        if (_lastExchange.TryGetValue(key, out var last))
        {
            if (r < 0.08)
            {
                return last; // a retry: identical, must get the first answer
            }

            if (r < 0.12)
            {
                return RandomExchange(account, instance, _rng.NextInt64(1, last.Sequence + 1)); // stale
            }
        }

        var sequence = _sequences[key] = _sequences.GetValueOrDefault(key) + 1;
        var exchange = RandomExchange(account, instance, sequence);
        _lastExchange[key] = exchange;
        return exchange;
    }

    private LeaseExchange RandomExchange(string account, string instance, long sequence)
    {
        // Mostly within what a lease holds; rarely far beyond (debt), or every grant would only pay off debt.
        var used = _rng.Next(100) switch
        {
            < 45 => 0,
            < 97 => _rng.NextInt64(1, 301),
            _ => _rng.NextInt64(300, 5_001),
        };
        var ret = _rng.Next(10) < 6 ? 0 : _rng.NextInt64(1, 301);
        var returnOverage = _rng.Next(10) < 8 ? 0 : _rng.NextInt64(1, 101);
        var want = _rng.Next(100) < 35 ? 0 : _rng.NextInt64(1, 601);
        var min = want == 0 ? 0 : _rng.Next(10) switch
        {
            < 4 => 0,
            < 6 => 1,
            < 8 => want,
            _ => _rng.NextInt64(0, want + 1),
        };
        var overageWant = _rng.Next(100) < 75 ? 0 : _rng.NextInt64(1, 301);
        var held = _rng.Next(100) < 60 ? 0 : _rng.NextInt64(1, 201); // credits still held for open reservations
        return new LeaseExchange(account, instance, sequence, used, ret, returnOverage, want, min, overageWant, held)
        {
            LabelUsage = RandomLabelUsage(used),
        };
    }

    /// <summary>Half the exchanges with usage attribute part of it to 1-3 of six label sets (more than the run's cap
    /// of four, so the overflow set is reached), the overflow set itself included now and then.</summary>
    private LabelUsage[]? RandomLabelUsage(long used)
    {
        if (used == 0 || _rng.Next(2) == 0)
        {
            return null;
        }

        var sets = Enumerable.Range(0, 7).OrderBy(_ => _rng.Next()).Take(_rng.Next(1, 4)).ToArray();
        var usage = new LabelUsage[sets.Length];
        var left = used;
        for (var i = 0; i < sets.Length; i++)
        {
            var amount = left <= 1 ? 1 : _rng.NextInt64(1, left);
            left = Math.Max(0, left - amount);
            usage[i] = new LabelUsage(sets[i] == 6 ? UsageLabels.Overflow : $"model=m{sets[i]}", amount);
        }

        return usage.Sum(u => u.Amount) <= used ? usage : null;
    }

    // Minute and hour periods only on grants that expire (at most 5 days: 7,200 renewals): missed periods before the
    // steady state are applied one by one, and the clock jumps up to 40 days at a time.
    private static readonly RecurrencePeriod[] LongPeriods = [RecurrencePeriod.Daily, RecurrencePeriod.Weekly, RecurrencePeriod.Monthly];
    private static readonly RecurrencePeriod[] AllPeriods = [.. LongPeriods, RecurrencePeriod.Hourly, RecurrencePeriod.Minute];

    private TimeSpan ClockJump() => _rng.Next(100) switch
    {
        < 45 => Millis(1, 3_000),
        < 75 => Millis(5_000, 45_000),
        < 90 => Millis(60_000, 86_400_000L),
        _ => Millis(86_400_000L, 40 * 86_400_000L),
    };

    private async Task<(string, string, string)> ApplyAsync((string Operation, Func<ICentralLedger, ValueTask<object?>> Call) op)
    {
        var o = await Outcome(op.Call);
        switch (o.ExpectedValue)
        {
            case LeaseExchangeResult { AccountExists: true } x:
                Count("exchange");
                Count(x.Granted > 0 ? "exchange granted credits" : "exchange granted none");
                Count(x.OverageGranted > 0 ? "exchange granted overage" : "");
                Count(x.Revoked > 0 ? "exchange revoked" : "");
                Count(x.LeaseLost ? "exchange lease lost" : "");
                Count(x.ReclaimRequested ? "exchange reclaim requested" : "");
                Count(x.Policy!.Status == AccountStatus.Suspended ? "exchange suspended" : "");
                break;
            case QuotaException e:
                Count($"error {e.Error}");
                break;
        }

        return (op.Operation, o.Expected, o.Actual);
    }

    private void Count(string what)
    {
        if (what.Length > 0)
        {
            Coverage[what] = Coverage.GetValueOrDefault(what) + 1;
        }
    }

    private async Task<(string Expected, string Actual, object? ExpectedValue, object? ActualValue)> Outcome<T>(Func<ICentralLedger, ValueTask<T>> call)
    {
        var e = await Run(_expected, call);
        var a = await Run(_actual, call);
        return (LedgerFingerprint.Of(e), LedgerFingerprint.Of(a), e, a);
    }

    private static async Task<object?> Run<T>(ICentralLedger ledger, Func<ICentralLedger, ValueTask<T>> call)
    {
        try
        {
            return await call(ledger);
        }
        catch (QuotaException e)
        {
            return e;
        }
    }

    private static async Task<List<string>> NewEntries(ICentralLedger ledger, string account, Dictionary<string, string?> cursors)
    {
        var entries = new List<string>();
        var after = cursors.GetValueOrDefault(account);
        while (true)
        {
            var page = await ledger.ListEntriesAsync(account, after, 50);
            entries.AddRange(page.Entries.Select(LedgerFingerprint.Of));
            if (page.Entries.Count > 0)
            {
                after = page.Entries[^1].EntryId;
            }

            if (page.Next.Length == 0)
            {
                break;
            }
        }

        cursors[account] = after;
        return entries;
    }

    private static string Describe(GrantSpec s) =>
        $"{s.AccountId}/{s.GrantId} amount={s.Amount} p={s.Priority} {s.Category} eff={s.EffectiveAt:O} exp={s.ExpiresAt:O} rec={s.Recurrence} meta={s.Metadata?.Count ?? 0}";

    private TimeSpan Millis(long min, long max) => TimeSpan.FromMilliseconds(_rng.NextInt64(min, max + 1));

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];
}
