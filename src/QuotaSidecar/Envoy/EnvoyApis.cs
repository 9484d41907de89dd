using Microsoft.Extensions.Options;

namespace QuotaSidecar.Envoy;

/// <summary>Envoy's ext_authz and rate limit APIs on the sidecar's gRPC endpoint (docs/authorization.md).</summary>
public static class EnvoyApis
{
    /// <summary>Registers the <c>Quota:Envoy</c> options (validated at start) (the rules the Envoy APIs apply are part of the live settings).</summary>
    public static WebApplicationBuilder AddEnvoyApis(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<EnvoyOptions>().BindConfiguration(EnvoyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<EnvoyOptions>, EnvoyOptionsValidator>();
        return builder;
    }

    /// <summary>Maps <c>envoy.service.auth.v3.Authorization</c> and <c>envoy.service.ratelimit.v3.RateLimitService</c>,
    /// unless <c>Quota:Envoy:Enabled</c> is false.</summary>
    public static WebApplication MapEnvoyApis(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Read from configuration, not IOptions: invalid options are reported by the validator at start, not here.
        if (!(app.Configuration.GetValue<bool?>($"{EnvoyOptions.Section}:Enabled") ?? true))
        {
            return app;
        }

        app.MapGrpcService<ExtAuthzService>();
        app.MapGrpcService<EnvoyRateLimitService>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var o = app.Services.GetRequiredService<IOptions<EnvoyOptions>>().Value;
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QuotaSidecar.Envoy");
            var source = o.AccountSource == EnvoyAccountSource.Header ? $"header {o.AccountHeader}" : "the source principal";
            EnvoyLog.Serving(logger, source, o.RateLimit.AccountKey, o.RateLimit.CostKey);
        });
        return app;
    }
}
