using QuotaSidecar.Core;
using QuotaSidecar.Core.Journal;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Hosting;

/// <summary>
/// At start, replays the journals earlier instances left in the journal directory (docs/design.md#journal-replay),
/// retrying with backoff while the store is unreachable. Readiness waits for it (<see cref="Done"/>), so traffic
/// routed by readiness never races a replay; the app beside the sidecar may already be served meanwhile (its usage
/// is this instance's and is journaled as usual).
/// </summary>
internal sealed class JournalReplayService(JournalHandle handle, ICentralLedger ledger, TimeProvider time, ILogger<JournalReplayer> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private volatile bool _done;

    /// <summary>Nothing (left) to replay.</summary>
    public bool Done => _done || handle.Journal is not { EarlierSegments.Count: > 0 };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (handle.Journal is not { EarlierSegments.Count: > 0 } journal)
        {
            _done = true;
            return;
        }

        var replayer = new JournalReplayer(ledger, time, handle.Metrics, logger);
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await replayer.ReplayAsync(journal, stoppingToken);
                _done = true;
                return;
            }
            catch (QuotaException e)
            {
                HostLog.ReplayRetry(logger, e.Message, delay);
            }

            await Task.Delay(delay, time, stoppingToken);
            delay = delay * 2 > MaxDelay ? MaxDelay : delay * 2;
        }
    }
}
