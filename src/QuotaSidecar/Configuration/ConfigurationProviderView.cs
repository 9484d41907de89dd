using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace QuotaSidecar.Configuration;

/// <summary>A read-only view of a running configuration provider, so a candidate configuration can be built from the
/// running sources plus a proposed settings file without loading those sources again or subscribing to them.</summary>
internal sealed class ConfigurationProviderView(IConfigurationProvider inner) : IConfigurationProvider
{
    private static readonly IChangeToken Never = new CancellationChangeToken(CancellationToken.None);

    public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) => inner.GetChildKeys(earlierKeys, parentPath);

    public IChangeToken GetReloadToken() => Never;

    public void Load()
    {
        // Already loaded: the view only reads.
    }

    public void Set(string key, string? value)
    {
        // Read-only: a candidate configuration is never written.
    }

    public bool TryGet(string key, out string? value) => inner.TryGet(key, out value);
}
