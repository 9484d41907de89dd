using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using QuotaSidecar.Redis;

namespace QuotaSidecar.Events;

/// <summary>
/// Runs the expiry pass (docs/design.md#grant-expiring): every <c>Quota:Events:ExpiryPassInterval</c> one bounded
/// step over the store's accounts, so <c>grant.expiring</c> reaches accounts nobody touches. Off when
/// <c>Quota:Events:GrantExpiringLead</c> is 0, or for a ledger the host does not know.
/// </summary>
internal sealed partial class GrantExpiryService(
    ICentralLedger ledger,
    IOptions<QuotaOptions> quota,
    TimeProvider time,
    EngineMetrics metrics,
    ILogger<GrantExpiryService> logger) : BackgroundService
{
    private readonly Counter<long> _touched = metrics.Meter.CreateCounter<long>(
        "quota.events.expiry.touched", "{account}", "Accounts the expiry pass touched to decide grant.expiring.");
    private readonly Counter<long> _passes = metrics.Meter.CreateCounter<long>(
        "quota.events.expiry.passes", "{pass}", "Full expiry passes over every account this sidecar finished.");
    private readonly Counter<long> _failures = metrics.Meter.CreateCounter<long>(
        "quota.events.expiry.failures", "{failure}", "Expiry pass steps that failed (the next step tries again).");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = quota.Value.Events;
        var lead = options.GrantExpiringLead;
        IExpiryPass? pass = ledger switch
        {
            EmbeddedLedger embedded => new EmbeddedExpiryPass(embedded, options),
            RedisLedger redis => redis.CreateExpiryPass(options),
            _ => null,
        };
        if (lead <= TimeSpan.Zero || pass is null)
        {
            return;
        }

        var instance = quota.Value.EngineOptions.InstanceId;
        var failing = false;
        var passes = pass.Passes;
        var passStart = time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.ExpiryPassInterval, time, stoppingToken);
                try
                {
                    var touched = await pass.StepAsync(instance, lead, stoppingToken);
                    if (touched > 0)
                    {
                        _touched.Add(touched);
                    }

                    if (pass.Passes != passes)
                    {
                        passes = pass.Passes;
                        _passes.Add(1);
                        var took = time.GetElapsedTime(passStart);
                        passStart = time.GetTimestamp();
                        if (took > lead)
                        {
                            // The bound bites: a grant can expire between two visits without its warning.
                            Log.PassSlowerThanLead(logger, took, lead);
                        }
                    }

                    if (failing)
                    {
                        failing = false;
                        Log.Recovered(logger);
                    }
                }
                catch (QuotaException e)
                {
                    _failures.Add(1);
                    if (!failing)
                    {
                        failing = true;
                        Log.Failing(logger, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1620, LogLevel.Warning, "The expiry pass failed ({Reason}); grant.expiring waits for the store to answer again")]
        public static partial void Failing(ILogger logger, string reason);

        [LoggerMessage(1621, LogLevel.Information, "The expiry pass works again")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(1622, LogLevel.Warning, "A full expiry pass took {Took}, longer than Quota:Events:GrantExpiringLead ({Lead}): grants may expire without grant.expiring; raise Quota:Events:ExpiryPassCount or the lead")]
        public static partial void PassSlowerThanLead(ILogger logger, TimeSpan took, TimeSpan lead);
    }
}
