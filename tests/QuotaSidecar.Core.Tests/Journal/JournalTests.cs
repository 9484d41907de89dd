using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Tests.Engine;

namespace QuotaSidecar.Core.Tests.Journal;

/// <summary>
/// The usage journal over a real embedded ledger (standing for Redis: it outlives the crashed engine) on a fake
/// clock, with real segment files in a temporary directory: a crash loses nothing answered GRANTED and bills
/// nothing twice; torn, corrupt, full and shared journals behave as docs/design.md §4b says.
/// </summary>
public sealed class JournalTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "quota-journal-tests", Guid.NewGuid().ToString("N"));
    private EngineHarness _h = null!;

    private UsageJournalOptions Options(long segmentBytes = 64 << 10, long maxBytes = 1 << 20) =>
        new() { Directory = _directory, Fsync = JournalFsync.Never, SegmentBytes = segmentBytes, MaxBytes = maxBytes };

    public Task InitializeAsync()
    {
        _h = new EngineHarness(journal: Options());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Usage_unreported_at_a_crash_is_billed_once_after_replay()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 10, times: 5); // the first one loads the lease
        await _h.Engine.SettleOnceAsync();
        await ConsumeAsync(account, 7, times: 3); // never reported
        Assert.Equal(21, _h.Engine.UnreportedUsage(account));

        var report = await _h.CrashAndRestartAsync();

        var b = await _h.CentralBalanceAsync(account);
        Assert.Equal(71, b.Consumed);
        Assert.Equal(0, b.Leased); // the dead instance's lease went back with the report
        Assert.Equal(21, report.ReplayedCredits);
        Assert.Equal(0, report.LostCredits);
        Assert.Empty(EarlierFiles()); // replayed files go
    }

    [Fact]
    public async Task Exchange_applied_but_not_acknowledged_before_the_crash_is_not_billed_twice()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 10, times: 4);
        _h.Store.LoseResponses = true; // the store applies the exchange, the answer never arrives
        await _h.Engine.SettleOnceAsync();
        _h.Store.LoseResponses = false;
        Assert.Equal(40, (await _h.CentralBalanceAsync(account)).Consumed);
        await ConsumeAsync(account, 5, times: 1); // after the exchange was composed: never in one

        var report = await _h.CrashAndRestartAsync();

        Assert.Equal(45, (await _h.CentralBalanceAsync(account)).Consumed);
        Assert.Equal(40, report.ResentCredits);
        Assert.Equal(5, report.ReplayedCredits);
    }

    [Fact]
    public async Task Exchange_composed_but_never_applied_is_billed_after_replay()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 10, times: 4);
        _h.Store.Down = true; // composed and sent, the store never got it
        await _h.Engine.SettleOnceAsync();
        _h.Store.Down = false;
        Assert.Equal(0, (await _h.CentralBalanceAsync(account)).Consumed);

        await _h.CrashAndRestartAsync();

        Assert.Equal(40, (await _h.CentralBalanceAsync(account)).Consumed);
    }

    [Fact]
    public async Task Replaying_the_same_journal_twice_bills_once()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 9, times: 3);
        _h.Journal!.Abandon();
        var copy = Path.Combine(_directory, "copy");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(_directory, "*.seg"))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        var replayer = new JournalReplayer(_h.Store, _h.Time);
        await replayer.ReplayAsync([.. Directory.GetFiles(_directory, "*.seg")], CancellationToken.None);
        await replayer.ReplayAsync([.. Directory.GetFiles(copy, "*.seg")], CancellationToken.None);

        Assert.Equal(27, (await _h.CentralBalanceAsync(account)).Consumed);
    }

    [Fact]
    public async Task A_torn_last_record_is_dropped_and_the_rest_replayed()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 10, times: 3);
        var segment = Assert.Single(Directory.GetFiles(_directory, "*.seg"));
        _h.Journal!.Abandon();
        // A crash in the middle of copying a record: its length and half its body made it into the page cache.
        var bytes = await File.ReadAllBytesAsync(segment);
        var end = EndOfRecords(bytes);
        new byte[] { 30, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 4, (byte)'x' }.CopyTo(bytes, end);
        await File.WriteAllBytesAsync(segment, bytes);

        var report = await Restart();

        Assert.Equal(1, report.TornRecords);
        Assert.Equal(0, report.CorruptSegments);
        Assert.Equal(30, (await _h.CentralBalanceAsync(account)).Consumed);
    }

    [Fact]
    public async Task A_corrupt_segment_is_moved_aside_and_the_start_goes_on_billing_nothing_twice()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 10, times: 3);
        await _h.Engine.SettleOnceAsync();
        await ConsumeAsync(account, 1, times: 2);
        var segment = Assert.Single(Directory.GetFiles(_directory, "*.seg"));
        _h.Journal!.Abandon();
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[JournalFormat.HeaderBytes + 12] ^= 0xFF; // inside the first record, with more after it
        await File.WriteAllBytesAsync(segment, bytes);

        var report = await Restart();

        Assert.Equal(1, report.CorruptSegments);
        Assert.Single(Directory.GetFiles(_directory, "*.seg.corrupt-*"));
        var consumed = (await _h.CentralBalanceAsync(account)).Consumed;
        Assert.True(consumed is >= 30 and <= 32, $"consumed {consumed}: the reported 30 stay billed once, the unreadable 2 may be lost");
    }

    [Fact]
    public async Task Acknowledged_segments_are_trimmed_so_the_directory_stays_small()
    {
        var account = await _h.AccountAsync(10_000_000);
        for (var round = 0; round < 40; round++)
        {
            await ConsumeAsync(account, 1, times: 200); // ~9 KB of records a round: a 64 KiB segment every ~7 rounds
            await _h.Engine.SettleOnceAsync();
        }

        Assert.True(_h.Journal!.Records > 8_000);
        Assert.InRange(_h.Journal.SegmentCount, 1, 2);
        Assert.InRange(Directory.GetFiles(_directory, "*.seg").Length, 1, 3); // and the next one, made ahead
    }

    [Fact]
    public async Task A_full_journal_turns_off_and_requests_still_succeed()
    {
        await _h.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        _h = new EngineHarness(o => o.MinLease = 100_000, journal: Options(segmentBytes: 64 << 10, maxBytes: 128 << 10));
        var account = await _h.AccountAsync(10_000_000);
        await ConsumeAsync(account, 1, times: 1);
        _h.Store.Down = true; // nothing is acknowledged: nothing can be trimmed

        await ConsumeAsync(account, 1, times: 5_000);

        Assert.False(_h.Journal!.Enabled);
        Assert.Equal(2, _h.Journal.SegmentCount);
    }

    [Fact]
    public void A_second_sidecar_on_the_same_directory_is_refused_clearly()
    {
        var e = Assert.Throws<IOException>(() => UsageJournal.Open(Options(), "other-1"));
        Assert.Contains("in use by another sidecar", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_that_cannot_be_made_fails_the_open()
    {
        var file = Path.Combine(_directory, "a-file");
        File.WriteAllText(file, "not a directory");
        Assert.ThrowsAny<IOException>(() => UsageJournal.Open(new UsageJournalOptions { Directory = Path.Combine(file, "journal") }, "x-1"));
    }

    [Fact]
    public async Task A_clean_shutdown_leaves_no_segment()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 3, times: 10);
        await _h.DrainAsync();

        _h.Journal!.Dispose();

        Assert.Empty(Directory.GetFiles(_directory, "*.seg"));
    }

    [Fact]
    public async Task Usage_older_than_the_instance_horizon_is_reported_lost_never_applied()
    {
        var account = await _h.AccountAsync(10_000);
        await ConsumeAsync(account, 10, times: 2);
        _h.Journal!.Abandon();
        _h.Time.Advance(TimeSpan.FromMinutes(2));
        await _h.Central.GetAccountAsync(account); // the dead lease is reclaimed: the horizon starts
        _h.Time.Advance(new CentralLedgerOptions().InstanceRecordHorizon + TimeSpan.FromMinutes(1));
        await _h.Central.GetAccountAsync(account); // the instance is forgotten

        var report = await Restart();

        Assert.Equal(20, report.LostCredits);
        Assert.Equal(0, (await _h.CentralBalanceAsync(account)).Consumed);
    }

    private async Task<ReplayReport> Restart()
    {
        await using var restarted = new EngineHarnessRestart(_directory, _h);
        return await restarted.ReplayAsync();
    }

    private async Task ConsumeAsync(string account, long amount, int times)
    {
        for (var i = 0; i < times; i++)
        {
            var r = await _h.Engine.ConsumeAsync(account, amount);
            Assert.Equal(Decision.Granted, r.Decision);
        }
    }

    private string[] EarlierFiles() =>
        [.. Directory.GetFiles(_directory, "*.seg").Where(f => !f.Contains(_h.Options.InstanceId, StringComparison.Ordinal))];

    private static int EndOfRecords(byte[] bytes)
    {
        var position = JournalFormat.HeaderBytes;
        while (JournalFormat.TryReadRecord(bytes.AsSpan(position), out _, out var length) == JournalFormat.ReadResult.Record)
        {
            position += length;
        }

        return position;
    }

    /// <summary>A new process on the directory after <see cref="UsageJournal.Abandon"/> was called by the test.</summary>
    private sealed class EngineHarnessRestart(string directory, EngineHarness h) : IAsyncDisposable
    {
        private readonly UsageJournal _journal = UsageJournal.Open(new UsageJournalOptions { Directory = directory, Fsync = JournalFsync.Never, SegmentBytes = 64 << 10, MaxBytes = 1 << 20 }, "restarted-1", h.Time);

        public Task<ReplayReport> ReplayAsync() => new JournalReplayer(h.Store, h.Time).ReplayAsync(_journal);

        public ValueTask DisposeAsync()
        {
            _journal.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
