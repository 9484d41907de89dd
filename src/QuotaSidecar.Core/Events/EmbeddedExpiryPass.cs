using QuotaSidecar.Core.Ledger.Embedded;

namespace QuotaSidecar.Core.Events;

/// <summary>
/// The expiry pass of the embedded store (docs/design.md#grant-expiring): each step touches the next
/// <see cref="EventOptions.ExpiryPassCount"/> accounts of a snapshot of the ledger's accounts; a new snapshot starts
/// the next pass. One process holds the whole store, so there is no lease.
/// </summary>
public sealed class EmbeddedExpiryPass(EmbeddedLedger ledger, EventOptions options) : IExpiryPass
{
    private readonly Lock _gate = new();
    private IReadOnlyList<string> _accounts = [];
    private int _next;
    private long _passes;

    /// <inheritdoc />
    public long Passes => Interlocked.Read(ref _passes);

    /// <inheritdoc />
    public async Task<int> StepAsync(string instanceId, TimeSpan lead, CancellationToken cancellationToken = default)
    {
        string[] batch;
        lock (_gate)
        {
            if (_next >= _accounts.Count)
            {
                if (_accounts.Count > 0)
                {
                    Interlocked.Increment(ref _passes);
                }

                _accounts = ledger.AccountIds();
                _next = 0;
            }

            var n = Math.Min(options.ExpiryPassCount, _accounts.Count - _next);
            batch = new string[n];
            for (var i = 0; i < n; i++)
            {
                batch[i] = _accounts[_next + i];
            }

            _next += n;
        }

        foreach (var id in batch)
        {
            await ledger.TouchAsync(id, lead, cancellationToken).ConfigureAwait(false);
        }

        return batch.Length;
    }
}
