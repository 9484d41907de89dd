using System.Globalization;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Journal;
using Xunit.Abstractions;

namespace QuotaSidecar.Core.Tests.Engine;

/// <summary>
/// Seeded random sequences of grants, voids, reserves, commits, releases, consumes, settles, clock jumps and crashes
/// (the engine killed, at times between the store applying an exchange and its answer arriving, then restarted on
/// its usage journal and replayed) against the engine over the embedded ledger, checked after every step against a
/// small reference model of usage and holds: every credit answered GRANTED is billed exactly once across crashes.
/// Reproduce a failure with QUOTA_RANDOM_SEED; run longer with QUOTA_RANDOM_OPS.
/// </summary>
public sealed class RandomizedModelTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Random_operations_keep_conservation_and_match_the_model()
    {
        var seed = EnvInt("QUOTA_RANDOM_SEED") ?? Random.Shared.Next();
        var operations = EnvInt("QUOTA_RANDOM_OPS") ?? 10_000;
        output.WriteLine($"seed={seed} operations={operations} (reproduce: QUOTA_RANDOM_SEED={seed})");

        var journal = Path.Combine(Path.GetTempPath(), "quota-model-journal", Guid.NewGuid().ToString("N"));
        var run = new ModelRun(seed, journal);
        try
        {
            await run.RunAsync(operations);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"seed {seed}, step {run.Step}, last op {run.LastOp}: {e.Message}", e);
        }
        finally
        {
            await run.DisposeAsync();
            Directory.Delete(journal, recursive: true);
        }

        output.WriteLine(run.Summary());
        Assert.Equal(operations, run.Step);
    }

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromMinutes(5);

    private sealed class ModelRun(int seed, string journal) : IAsyncDisposable
    {
        private readonly Random _random = new(seed);
        private readonly EngineHarness _h = new(
            o =>
            {
                o.InstanceId = "model";
                o.MaxHoldTtl = TimeSpan.FromMinutes(2);
                o.IdempotencyWindow = IdempotencyWindow;
            },
            journal: new UsageJournalOptions { Directory = journal, Fsync = JournalFsync.Never, SegmentBytes = 64 << 10, MaxBytes = 64 << 20 });

        private readonly List<ModelAccount> _accounts = [];
        private readonly List<ModelHold> _holds = [];
        private readonly Dictionary<string, int> _counts = [];
        private int _nextId;

        public int Step { get; private set; }

        public string LastOp { get; private set; } = "";

        private DateTimeOffset Now => _h.Time.GetUtcNow();

        public async Task RunAsync(int operations)
        {
            // The store never goes back in time here: the acknowledged figures every exchange carries must never make it
            // look as if it had (a false rollback would charge usage twice).
            long rollbacks = 0;
            using var listener = new System.Diagnostics.Metrics.MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == _h.Metrics.Meter && instrument.Name == "quota.store.rollbacks")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref rollbacks, value));
            listener.Start();

            // Strict accounts never commit above their holds: the strict HARD one must never see overage, the
            // SOFT one never more than its limit. The loose HARD one commits above its holds (recorded as overage).
            _accounts.Add(await NewAccountAsync("strict", OverageMode.Hard, 0, strict: true));
            _accounts.Add(await NewAccountAsync("loose", OverageMode.Hard, 0, strict: false));
            _accounts.Add(await NewAccountAsync("soft", OverageMode.Soft, 300, strict: true));

            // A tree (docs/design.md#account-tree): an org pool, a team with a cap of its own under it, and a key that
            // only records (TRACK) under the team. Every charge of a node charges its ancestors: each node's usage is
            // its own plus its descendants'. Strict, so neither HARD node may ever see overage.
            var org = await NewAccountAsync("org", OverageMode.Hard, 0, strict: true);
            var team = await NewAccountAsync("team", OverageMode.Hard, 0, strict: true, parent: org);
            var key = await NewAccountAsync("key", OverageMode.Track, 0, strict: true, parent: team);
            _accounts.AddRange([org, team, key]);

            for (Step = 0; Step < operations;)
            {
                var roll = _random.Next(100);
                LastOp = roll switch
                {
                    < 6 => await GrantAsync(),
                    < 8 => await VoidAsync(),
                    < 38 => await ReserveAsync(),
                    < 55 => Commit(),
                    < 63 => Release(),
                    < 80 => await ConsumeAsync(),
                    < 86 => await SettleAsync(),
                    < 88 => await RefillAsync(),
                    < 90 => await RepeatReserveAsync(),
                    < 92 => await CrashAsync(),
                    _ => await JumpAsync(),
                };
                _counts[LastOp.Split(' ')[0]] = _counts.GetValueOrDefault(LastOp.Split(' ')[0]) + 1;
                Step++;
                await CheckAsync();
            }

            await _h.DrainAsync();
            foreach (var account in _accounts)
            {
                var b = await _h.CentralBalanceAsync(account.Id);
                Assert.Equal(0, b.Leased);
                Assert.Equal(0, b.OverageLeased);
                Assert.Equal(account.Usage, b.Consumed + b.Overage);
            }

            Assert.Equal(0, Interlocked.Read(ref rollbacks));
        }

        public string Summary() =>
            "ops: " + string.Join(", ", _counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))
            + "; usage: " + string.Join(", ", _accounts.Select(a => $"{a.Name}={a.Usage}"));

        private async Task<ModelAccount> NewAccountAsync(string name, OverageMode mode, long limit, bool strict, ModelAccount? parent = null)
        {
            var id = $"{name}-{seed}";
            await _h.Central.UpsertAccountAsync(new AccountPolicy(id, AccountStatus.Active, mode, limit, 50, ParentId: parent?.Id));
            await _h.Central.GrantAsync(new GrantSpec(id, "seed", name == "org" ? 4_000 : 2_000));

            return new ModelAccount(name, id, mode, strict) { Parent = parent };
        }

        /// <summary>A denial must name a node of the request's path, with the reason for it (the account itself short,
        /// or an ancestor), and that node must really be short; a TRACK node never refuses.</summary>
        private async Task AssertRightDenialAsync(ModelAccount account, long amount, DenyReason reason, string deniedAccountId)
        {
            var denier = account.Path.FirstOrDefault(a => a.Id == deniedAccountId)
                ?? throw new InvalidOperationException($"{account.Name}: denied by '{deniedAccountId}', not on its path");
            Assert.NotEqual(OverageMode.Track, denier.Mode);
            Assert.Equal(denier == account ? DenyReason.InsufficientCredits : DenyReason.AncestorInsufficientCredits, reason);
            var kind = denier == account ? "denied-by-self" : "denied-by-ancestor";
            _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
            await AssertReallyShortAsync(denier, amount);
        }

        private ModelAccount AnyAccount() => _accounts[_random.Next(_accounts.Count)];

        private async Task<string> GrantAsync()
        {
            var account = AnyAccount();
            var id = $"g{++_nextId}";
            var amount = _random.Next(1, 800);
            var kind = _random.Next(5);
            var spec = new GrantSpec(
                account.Id, id, amount,
                Priority: _random.Next(1, 101),
                Category: _random.Next(2) == 0 ? GrantCategory.Paid : GrantCategory.Promotional,
                EffectiveAt: kind == 1 ? Now.AddSeconds(_random.Next(1, 120)) : null,
                ExpiresAt: kind == 2 ? Now.AddSeconds(_random.Next(5, 300)) : null,
                Recurrence: kind == 3 ? new Recurrence(RecurrencePeriod.Daily, _random.Next(0, 200)) : null);
            await _h.Central.GrantAsync(spec);
            account.Grants.Add(id);
            return $"grant {account.Name} {amount}";
        }

        private async Task<string> VoidAsync()
        {
            var account = AnyAccount();
            if (account.Grants.Count == 0)
            {
                return "void-none";
            }

            var id = account.Grants[_random.Next(account.Grants.Count)];
            await _h.Central.VoidGrantAsync(account.Id, id);
            return $"void {account.Name} {id}";
        }

        private async Task<string> ReserveAsync()
        {
            var account = AnyAccount();
            var amount = (long)_random.Next(1, 120);
            var ttl = TimeSpan.FromSeconds(_random.Next(1, 120));
            var id = _random.Next(3) == 0 ? $"res-{++_nextId}" : null;
            var r = await _h.Engine.ReserveAsync(account.Id, amount, id, ttl);
            if (r.Decision == Decision.Granted)
            {
                Assert.Equal(amount, r.Amount);
                Assert.Equal(Now + ttl, r.ExpiresAt);
                _holds.Add(new ModelHold(r.ReservationId, account, amount, ttl, Now + ttl, r));
                return $"reserve {account.Name} {amount} granted";
            }

            await AssertRightDenialAsync(account, amount, r.DenyReason, r.DeniedAccountId);
            if (id is not null)
            {
                _holds.Add(new ModelHold(id, account, amount, ttl, Now + ttl, r) { State = HoldState.Denied });
            }

            return $"reserve {account.Name} {amount} denied";
        }

        private async Task<string> RepeatReserveAsync()
        {
            var withIds = _holds.Where(h => h.Id.StartsWith("res-", StringComparison.Ordinal)).ToList();
            if (withIds.Count == 0)
            {
                return "repeat-none";
            }

            var hold = withIds[_random.Next(withIds.Count)];
            if (_random.Next(2) == 0)
            {
                var again = await _h.Engine.ReserveAsync(hold.Account.Id, hold.Amount, hold.Id, hold.Ttl);
                Assert.Equal(hold.First, again);
                return "repeat same";
            }

            var e = await Assert.ThrowsAsync<QuotaException>(async () => await _h.Engine.ReserveAsync(hold.Account.Id, hold.Amount + 1, hold.Id, hold.Ttl));
            Assert.Equal(QuotaError.AlreadyExists, e.Error);
            return "repeat conflicting";
        }

        private string Commit()
        {
            if (_holds.Count == 0)
            {
                return "commit-none";
            }

            var hold = _holds[_random.Next(_holds.Count)];
            var actual = hold.Account.Strict || _random.Next(4) != 0
                ? _random.NextInt64(0, hold.Amount + 1)
                : _random.NextInt64(0, (hold.Amount * 2) + 1);
            if (hold.State == HoldState.Committed && _random.Next(2) == 0)
            {
                actual = hold.Committed;
            }

            var expected = hold.StateAt(Now);
            if (expected == HoldState.Open)
            {
                var c = _h.Engine.Commit(hold.Id, actual);
                Assert.Equal(actual, c.Committed);
                Assert.Equal(Math.Max(0, hold.Amount - actual), c.Released);
                hold.State = HoldState.Committed;
                hold.Committed = actual;
                hold.Account.AddUsage(actual);
                return "commit ok";
            }

            if (expected == HoldState.Committed && actual == hold.Committed)
            {
                Assert.Equal(actual, _h.Engine.Commit(hold.Id, actual).Committed);
                return "commit repeat";
            }

            var e = Assert.Throws<QuotaException>(() => _h.Engine.Commit(hold.Id, actual));
            Assert.Equal(QuotaError.FailedPrecondition, e.Error);
            return $"commit rejected-{expected}";
        }

        private string Release()
        {
            if (_holds.Count == 0)
            {
                return "release-none";
            }

            var hold = _holds[_random.Next(_holds.Count)];
            var expected = hold.StateAt(Now);
            if (expected is HoldState.Open or HoldState.Released or HoldState.Expired)
            {
                Assert.Equal(hold.Amount, _h.Engine.Release(hold.Id).Released);
                hold.State = expected == HoldState.Expired ? HoldState.Expired : HoldState.Released;
                return "release ok";
            }

            var e = Assert.Throws<QuotaException>(() => _h.Engine.Release(hold.Id));
            Assert.Equal(QuotaError.FailedPrecondition, e.Error);
            return $"release rejected-{expected}";
        }

        private async Task<string> ConsumeAsync()
        {
            var account = AnyAccount();
            var amount = (long)_random.Next(1, 60);
            var r = await _h.Engine.ConsumeAsync(account.Id, amount);
            if (r.Decision == Decision.Granted)
            {
                account.AddUsage(amount);
                return "consume granted";
            }

            await AssertRightDenialAsync(account, amount, r.DenyReason, r.DeniedAccountId);
            return "consume denied";
        }

        public ValueTask DisposeAsync() => _h.DisposeAsync();

        /// <summary>
        /// The engine process dies (nothing drained) and a new one replays its journal: plainly; right after the store
        /// applied an exchange whose answer never arrived (kill between apply and acknowledgement); or with an exchange
        /// composed that never reached the store. Holds die with the process; usage must not.
        /// </summary>
        private async Task<string> CrashAsync()
        {
            var kind = _random.Next(3);
            if (kind == 1)
            {
                _h.Store.LoseResponses = true;
                await _h.Engine.SettleOnceAsync();
                _h.Store.LoseResponses = false;
            }
            else if (kind == 2)
            {
                _h.Store.Down = true;
                await _h.Engine.SettleOnceAsync();
                _h.Store.Down = false;
            }

            var report = await _h.CrashAndRestartAsync();
            Assert.Equal(0, report.LostCredits);
            Assert.Equal(0, report.CorruptSegments + report.TornRecords);
            _holds.Clear();
            return kind switch { 0 => "crash plain", 1 => "crash after-apply", _ => "crash before-apply" };
        }

        private async Task<string> SettleAsync()
        {
            await _h.Engine.SettleOnceAsync();
            return "settle";
        }

        private async Task<string> RefillAsync()
        {
            await _h.Engine.ProcessRefillsAsync();
            return "refill";
        }

        /// <summary>
        /// Moves the clock the way a running sidecar lives through time: settling at least every few seconds while
        /// holds may be open, then (past every hold's TTL) leaping over hours or days.
        /// </summary>
        private async Task<string> JumpAsync()
        {
            var roll = _random.Next(100);
            var total = roll < 70 ? TimeSpan.FromMilliseconds(_random.Next(1, 3_000))
                : roll < 95 ? TimeSpan.FromSeconds(_random.Next(3, 60))
                : TimeSpan.FromHours(_random.Next(1, 49));
            var left = total;
            var walked = TimeSpan.Zero;
            while (left > TimeSpan.Zero)
            {
                await _h.Engine.SettleOnceAsync();
                var step = walked < TimeSpan.FromMinutes(3) ? TimeSpan.FromSeconds(2) : left;
                step = step < left ? step : left;
                _h.Time.Advance(step);
                walked += step;
                left -= step;
            }

            return $"jump {(total > TimeSpan.FromMinutes(5) ? "long" : "short")}";
        }

        /// <summary>A denial is right only when spendable credits (plus overage headroom) really do not cover it.</summary>
        private async Task AssertReallyShortAsync(ModelAccount account, long amount)
        {
            var before = _h.Engine.Describe(account.Id) + "\n" + string.Join("\n", _h.Store.Trace) + "\n";
            var view = await _h.Engine.GetBalanceAsync(account.Id, consistent: true);
            var reach = view.Spendable + (account.Mode == OverageMode.Soft ? view.OverageHeadroom : 0);
            Assert.True(
                reach < amount,
                $"{account.Name}: denied {amount} while {view.Spendable} spendable and {view.OverageHeadroom} overage headroom; before: {before}; now: {_h.Engine.Describe(account.Id)}");
        }

        private async Task CheckAsync()
        {
            foreach (var account in _accounts)
            {
                var b = await _h.CentralBalanceAsync(account.Id);
                var unreported = _h.Engine.UnreportedUsage(account.Id);
                Assert.True(
                    account.Usage == b.Consumed + b.Overage + unreported,
                    $"{account.Name}: usage {account.Usage} != consumed {b.Consumed} + overage {b.Overage} + unreported {unreported}");
                if (account.Strict && account.Mode == OverageMode.Hard)
                {
                    Assert.True(b.Overage == 0, $"strict HARD account went into overage: {b}");
                }

                if (account.Mode == OverageMode.Soft)
                {
                    Assert.True(b.Overage + b.OverageLeased <= 300, $"soft account beyond its overage limit: {b}");
                }

                var held = _holds.Where(h => h.Account.Path.Contains(account) && h.StateAt(Now) == HoldState.Open).Sum(h => h.Amount);
                if (Step % 10 == 0 || held > 0)
                {
                    var view = await _h.Engine.GetBalanceAsync(account.Id);
                    Assert.Equal(held, view.Held);
                }
            }

            // Forget holds shortly before the engine may (its idempotency window counts from creation).
            _holds.RemoveAll(h => h.Expires - h.Ttl + IdempotencyWindow - TimeSpan.FromSeconds(30) <= Now);
        }
    }

    private sealed class ModelAccount(string name, string id, OverageMode mode, bool strict)
    {
        public string Name { get; } = name;

        public string Id { get; } = id;

        public OverageMode Mode { get; } = mode;

        public bool Strict { get; } = strict;

        /// <summary>Its own usage and its descendants' (what its ledger must show).</summary>
        public long Usage { get; private set; }

        public List<string> Grants { get; } = ["seed"];

        public ModelAccount? Parent { get; init; }

        /// <summary>The account, then its ancestors.</summary>
        public IEnumerable<ModelAccount> Path
        {
            get
            {
                for (var a = this; a is not null; a = a.Parent)
                {
                    yield return a;
                }
            }
        }

        /// <summary>Usage granted on this account: charged to it and every ancestor.</summary>
        public void AddUsage(long amount)
        {
            foreach (var a in Path)
            {
                a.Usage += amount;
            }
        }
    }

    private enum HoldState
    {
        Open,
        Committed,
        Released,
        Expired,
        Denied,
    }

    private sealed class ModelHold(string id, ModelAccount account, long amount, TimeSpan ttl, DateTimeOffset expires, ReserveResult first)
    {
        public string Id { get; } = id;

        public ModelAccount Account { get; } = account;

        public long Amount { get; } = amount;

        public TimeSpan Ttl { get; } = ttl;

        public DateTimeOffset Expires { get; } = expires;

        public ReserveResult First { get; } = first;

        public HoldState State { get; set; } = HoldState.Open;

        public long Committed { get; set; }

        public HoldState StateAt(DateTimeOffset now) => State == HoldState.Open && now >= Expires ? HoldState.Expired : State;
    }
}
