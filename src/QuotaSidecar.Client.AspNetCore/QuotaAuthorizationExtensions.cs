using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace QuotaSidecar.Client.AspNetCore;

/// <summary>Wires quota authorization into a service: options, HTTP endpoints, and the hold of the current request.</summary>
public static class QuotaAuthorizationExtensions
{
    /// <summary>
    /// Registers <see cref="QuotaAuthorizationOptions"/> (validated at start). Needs <c>services.AddQuotaClient(...)</c>;
    /// for gRPC add <see cref="QuotaServerInterceptor"/> to <c>AddGrpc</c>, for HTTP call <c>RequireQuota()</c> on endpoints.
    /// </summary>
    public static IServiceCollection AddQuotaAuthorization(this IServiceCollection services, Action<QuotaAuthorizationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<QuotaAuthorizationOptions>().Configure(configure ?? (_ => { })).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotaAuthorizationOptions>, QuotaAuthorizationOptionsValidator>());
        return services;
    }

    /// <summary>
    /// Charges the endpoint (or every endpoint of a group): <paramref name="cost"/> credits, else its
    /// <see cref="QuotaCostAttribute"/>, configured cost or default, else 1.
    /// </summary>
    public static TBuilder RequireQuota<TBuilder>(this TBuilder builder, long? cost = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (cost is { } c)
        {
            var attribute = new QuotaCostAttribute(c);
            builder.Add(endpoint => endpoint.Metadata.Add(attribute));
        }

        return builder.AddEndpointFilter(new QuotaEndpointFilter());
    }

    /// <summary>The granted hold of this request, or null when the request is not charged.</summary>
    public static QuotaHold? GetQuotaHold(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<IQuotaHoldFeature>()?.Hold;
    }
}
