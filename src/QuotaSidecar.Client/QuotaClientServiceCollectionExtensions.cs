using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Client;

#pragma warning disable IDE0130 // extension methods live in the DI namespace, as AddGrpcClient's do
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IQuotaClient"/>.</summary>
public static class QuotaClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IQuotaClient"/> over a gRPC client from the gRPC client factory, pointed at
    /// <see cref="QuotaClientOptions.Address"/> (TCP, or a Unix socket as <c>unix:/path</c>):
    /// <c>services.AddQuotaClient(o => o.Address = "unix:/run/quota/quota.sock");</c>. The options are validated at
    /// start. Returns the HTTP client builder, for extra handlers.
    /// </summary>
    public static IHttpClientBuilder AddQuotaClient(this IServiceCollection services, Action<QuotaClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<QuotaClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotaClientOptions>, QuotaClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddTransient<IQuotaClient>(sp => sp.GetRequiredService<QuotaClient>());
        services.TryAddTransient(sp => new QuotaClient(
            sp.GetRequiredService<Quota.QuotaClient>(),
            sp.GetRequiredService<IOptions<QuotaClientOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<QuotaClient>>()));
        return services
            .AddGrpcClient<Quota.QuotaClient>((sp, o) => o.Address = Address(sp).Uri)
            .ConfigurePrimaryHttpMessageHandler(sp => UnixSocketConnector.Handler(Address(sp)));
    }

    private static QuotaAddress Address(IServiceProvider sp) =>
        QuotaAddress.Parse(sp.GetRequiredService<IOptions<QuotaClientOptions>>().Value.Address);
}
