using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Hosting;

/// <summary>
/// Runs the engine's background loops, and at shutdown (SIGTERM; a native sidecar gets it after the app has gone)
/// releases open holds, settles usage and returns leases within the grace period.
/// </summary>
internal sealed class EngineService(QuotaEngine engine, IOptions<QuotaOptions> options, ILogger<EngineService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => engine.Settler.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var grace = options.Value.Shutdown.GracePeriod;
        HostLog.ShuttingDown(logger, grace);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(grace);
        await engine.Settler.ShutdownAsync(deadline.Token);
    }
}
