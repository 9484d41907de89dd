using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Events;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Ledger.Embedded;
using QuotaSidecar.Redis;

namespace QuotaSidecar.Events;

/// <summary>Balance events in the host (docs/design.md#balance-events): <c>Quota:Events</c> settings, the event log
/// of the configured store, and (Redis) the relay and sweep.</summary>
internal static class EventsRegistration
{
    /// <summary>The configuration section of <see cref="EventOptions"/> (<see cref="QuotaOptions.Events"/>).</summary>
    public const string Section = "Quota:Events";

    public static IServiceCollection AddBalanceEvents(this IServiceCollection services)
    {
        // Quota:Events binds with the rest of QuotaOptions; this validator runs next to QuotaOptionsValidator at start.
        services.AddSingleton<IValidateOptions<QuotaOptions>, EventOptionsValidator>();
        // A ledger the host does not know (a test's wrapper around one) has no events: an empty in-process log.
        services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<ICentralLedger>() switch
        {
            EmbeddedLedger embedded => embedded.Events,
            RedisLedger redis => redis.CreateEventLog(sp.GetRequiredService<IOptions<QuotaOptions>>().Value.Events),
            _ => new EmbeddedEventLog(sp.GetRequiredService<IOptions<QuotaOptions>>().Value.Events, sp.GetRequiredService<TimeProvider>()),
        });
        services.AddSingleton<IEventDeliveryQueue>(sp => sp.GetRequiredService<ICentralLedger>() is RedisLedger redis
            ? redis.CreateDeliveryQueue()
            : new EmbeddedDeliveryQueue((EmbeddedEventLog)sp.GetRequiredService<IEventLog>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRechargePolicies>(sp => sp.GetRequiredService<ICentralLedger>() switch
        {
            EmbeddedLedger embedded => embedded,
            RedisLedger redis => redis.CreateRechargePolicies(),
            _ => new NoRechargePolicies(),
        });
        services.AddHostedService<EventRelayService>();
        services.AddHostedService<WebhookDeliveryService>();
        services.AddHostedService<GrantExpiryService>();
        return services;
    }
}
