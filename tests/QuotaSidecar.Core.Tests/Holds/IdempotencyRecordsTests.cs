using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Tests.Engine;
using Xunit.Abstractions;

namespace QuotaSidecar.Core.Tests.Holds;

/// <summary>
/// Finished holds leave only a compact record, for the retry window and under a hard cap (docs/design.md §4a).
/// These tests weigh the heap, so they run alone (no other test allocating meanwhile).
/// </summary>
[Collection(HeapWeighingCollection.Name)]
public sealed class IdempotencyRecordsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_million_finished_holds_keep_the_heap_flat_and_a_recent_retry_answers_as_the_first_time()
    {
        await using var h = new EngineHarness(o =>
        {
            o.MinLease = 100_000_000;
            o.MaxLease = 100_000_000;
        });
        var id = await h.AccountAsync(1_000_000_000_000);
        var capacity = 524_288; // the default SidecarIdRecords
        var before = Heap();

        RunPairs(h.Engine, id, capacity + 100_000); // the ring has come round: every slot is in use
        var full = Heap();
        RunPairs(h.Engine, id, 1_000_000);
        var (lastId, lastCommit) = RunPairs(h.Engine, id, 2_000_000 - capacity - 1_100_000);
        var after = Heap();

        output.WriteLine($"heap: {before / 1048576.0:F1} MiB before, {full / 1048576.0:F1} MiB with the ring full, {after / 1048576.0:F1} MiB after 2,000,000 pairs");
        output.WriteLine($"retained per finished record: {(full - before) / (double)capacity:F1} B (ring of {capacity:N0} slots)");
        Assert.True(full - before <= (capacity * 32L) + (4 << 20), $"the full ring retains {full - before:N0} B, more than 32 B a slot");
        Assert.True(after - full <= 2 << 20, $"the heap grew by {after - full:N0} B over the last 1.4 million pairs: records are not bounded");

        Assert.Equal(lastCommit, h.Engine.Commit(lastId, 1));
        var fail = Assert.Throws<QuotaException>(() => h.Engine.Commit(lastId, 2));
        Assert.Equal(QuotaError.FailedPrecondition, fail.Error);
        var forgotten = Assert.Throws<QuotaException>(() => h.Engine.Release($"r-{h.Options.InstanceId}-{capacity + 1:x}"));
        Assert.Equal(QuotaError.Forgotten, forgotten.Error);
    }

    [Fact]
    public async Task A_repeated_release_and_commit_of_a_finished_sidecar_made_hold_answer_exactly_as_the_first_time()
    {
        await using var h = new EngineHarness();
        var id = await h.AccountAsync(1_000);
        var released = await h.Engine.ReserveAsync(id, 10);
        var committed = await h.Engine.ReserveAsync(id, 10);

        var release = h.Engine.Release(released.ReservationId);
        var commit = h.Engine.Commit(committed.ReservationId, 4);
        await h.Engine.ConsumeAsync(id, 50); // the balance moves on

        Assert.Equal(release, h.Engine.Release(released.ReservationId));
        Assert.Equal(commit, h.Engine.Commit(committed.ReservationId, 4));
        Assert.Equal(QuotaError.FailedPrecondition, Assert.Throws<QuotaException>(() => h.Engine.Commit(released.ReservationId, 1)).Error);
        Assert.Equal(QuotaError.FailedPrecondition, Assert.Throws<QuotaException>(() => h.Engine.Release(committed.ReservationId)).Error);
    }

    [Fact]
    public async Task An_expired_sidecar_made_hold_keeps_answering_expired_after_only_its_record_is_left()
    {
        await using var h = new EngineHarness();
        var id = await h.AccountAsync(1_000);
        var r = await h.Engine.ReserveAsync(id, 10, ttl: TimeSpan.FromSeconds(1));

        h.Time.Advance(TimeSpan.FromSeconds(2));
        await h.Engine.SettleOnceAsync(); // the pass sweeps the expired hold: only its record is left

        Assert.Equal(0, h.Engine.OpenHolds);
        Assert.Equal(10, h.Engine.Release(r.ReservationId).Released);
        var e = Assert.Throws<QuotaException>(() => h.Engine.Commit(r.ReservationId, 10));
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hold_too_large_for_the_packed_record_is_kept_whole_and_answers_the_same()
    {
        await using var h = new EngineHarness(o =>
        {
            o.MinLease = 10_000_000_000_000;
            o.MaxLease = 10_000_000_000_000;
        });
        var id = await h.AccountAsync(100_000_000_000_000, lowBalance: 0);
        var big = await h.Engine.ReserveAsync(id, 5_000_000_000_000); // above 2^37

        var commit = h.Engine.Commit(big.ReservationId, 4_000_000_000_000);

        Assert.Equal(1_000_000_000_000, commit.Released);
        Assert.Equal(commit, h.Engine.Commit(big.ReservationId, 4_000_000_000_000));
    }

    [Fact]
    public async Task Client_id_records_are_capped_and_the_oldest_finished_ones_go_first()
    {
        await using var h = new EngineHarness(o => o.MaxIdempotencyRecords = 1_000);
        var id = await h.AccountAsync(1_000_000);
        var first = await h.Engine.ConsumeAsync(id, 1, "req-0");

        for (var i = 1; i < 5_000; i++)
        {
            await h.Engine.ConsumeAsync(id, 1, $"req-{i}");
        }

        Assert.InRange(h.Engine.ClientIdempotencyRecords, 1_000, 1_001);
        var recent = await h.Engine.ConsumeAsync(id, 1, "req-4999");
        Assert.Equal(Decision.Granted, recent.Decision);
        await h.DrainAsync();
        Assert.Equal(5_000, (await h.CentralBalanceAsync(id)).Consumed); // the repeat of req-4999 charged nothing
        Assert.Equal(Decision.Granted, first.Decision);
    }

    [Fact]
    public async Task A_client_id_is_remembered_for_the_window_after_its_hold_finished_not_after_it_was_made()
    {
        await using var h = new EngineHarness(o =>
        {
            o.MaxHoldTtl = TimeSpan.FromHours(1);
            o.IdempotencyWindow = TimeSpan.FromMinutes(10);
        });
        var id = await h.AccountAsync(1_000);
        await h.Engine.ReserveAsync(id, 10, "job-1", TimeSpan.FromMinutes(30));

        h.Time.Advance(TimeSpan.FromMinutes(20)); // older than the window, but still open: kept whole
        await h.Engine.SettleOnceAsync();
        var commit = h.Engine.Commit("job-1", 7);
        h.Time.Advance(TimeSpan.FromMinutes(9));
        await h.Engine.SettleOnceAsync();
        Assert.Equal(commit, h.Engine.Commit("job-1", 7));

        h.Time.Advance(TimeSpan.FromMinutes(2));
        await h.Engine.SettleOnceAsync();
        Assert.Equal(QuotaError.NotFound, Assert.Throws<QuotaException>(() => h.Engine.Commit("job-1", 7)).Error);
    }

    [Fact]
    public async Task A_client_id_in_the_sidecars_own_id_form_is_refused()
    {
        await using var h = new EngineHarness();
        var id = await h.AccountAsync(1_000);

        var e = await Assert.ThrowsAsync<QuotaException>(() => h.Engine.ReserveAsync(id, 1, $"r-{h.Options.InstanceId}-1f").AsTask());

        Assert.Equal(QuotaError.AlreadyExists, e.Error);
    }

    private static (string Id, CommitResult Commit) RunPairs(QuotaEngine engine, string accountId, int pairs)
    {
        (string, CommitResult) last = default;
        for (var i = 0; i < pairs; i++)
        {
            var r = engine.ReserveAsync(accountId, 1).Result;
            Assert.Equal(Decision.Granted, r.Decision);
            last = (r.ReservationId, engine.Commit(r.ReservationId, 1));
        }

        return last;
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
