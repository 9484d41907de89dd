using Microsoft.Extensions.Logging;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Settlement;

/// <summary>Whether the central store answers, as the last exchange or probe found. Logs once per transition, not
/// per request.</summary>
internal sealed class StoreHealth(ILogger logger)
{
    private volatile bool _available = true;

    public bool Available => _available;

    /// <summary>The store answered.</summary>
    public void Answered()
    {
        if (!_available)
        {
            _available = true;
            EngineLog.StoreBack(logger);
        }
    }

    /// <summary>The store did not answer a call about <paramref name="accountId"/>.</summary>
    public void Failed(string accountId, Exception error)
    {
        if (_available)
        {
            _available = false;
            EngineLog.StoreUnavailable(logger, accountId, error.Message);
        }
    }
}
