using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Core.Usage;

/// <summary>
/// What happens after the store applied an exchange, for usage labels (docs/design.md#usage-labels): credits that went
/// to the overflow set are counted (<c>quota.usage.label_overflow</c>, by where the cap bit: <c>local</c>, the sidecar's
/// per-exchange bound, or <c>store</c>, the ledger's per-account cap) and logged (one line a minute), and the
/// <see cref="IUsageSink"/>, if any, is told. Called once per applied sequence, outside the account's lock.
/// </summary>
internal sealed class UsageAttribution
{
    private static readonly long MinuteMs = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;
    private readonly Counter<long> _overflow;
    private readonly ILogger _logger;
    private readonly IUsageSink? _sink;
    private long _lastLoggedMs = long.MinValue;

    public UsageAttribution(EngineMetrics metrics, ILogger logger, IUsageSink? sink)
    {
        _overflow = metrics.Meter.CreateCounter<long>(
            "quota.usage.label_overflow", "{credit}", "Usage put in the overflow label set because an account reached Quota:Usage:MaxLabelSets distinct label sets.");
        _logger = logger;
        _sink = sink;
    }

    /// <summary>The store applied <paramref name="exchange"/> and answered <paramref name="result"/> (its first answer).</summary>
    public void Applied(LeaseExchange exchange, LeaseExchangeResult result)
    {
        if (!result.AccountExists || result.InstanceExpired)
        {
            return; // nothing of it was applied
        }

        if (exchange.LabelUsage is { Count: > 0 } usage)
        {
            foreach (var (labelSet, amount) in usage)
            {
                if (labelSet == UsageLabels.Overflow)
                {
                    Overflowed(exchange.AccountId, "local", amount);
                }
            }
        }

        if (result.LabelOverflow > 0)
        {
            Overflowed(exchange.AccountId, "store", result.LabelOverflow);
        }

        _sink?.Applied(exchange, result);
    }

    private void Overflowed(string accountId, string where, long credits)
    {
        _overflow.Add(credits, new KeyValuePair<string, object?>("where", where));

        // The process's tick count, not the injected clock: this paces log lines, it decides nothing.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLoggedMs);
        if (now - last >= MinuteMs && Interlocked.CompareExchange(ref _lastLoggedMs, now, last) == last)
        {
            UsageLog.LabelOverflow(_logger, accountId, where, credits);
        }
    }
}
