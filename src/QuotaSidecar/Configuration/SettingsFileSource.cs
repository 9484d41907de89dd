using Microsoft.Extensions.Configuration;

namespace QuotaSidecar.Configuration;

/// <summary>Adds the live settings file to a configuration (see <see cref="SettingsFileProvider"/>).</summary>
internal sealed class SettingsFileSource(string path, TimeSpan pollInterval, TimeProvider time) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new SettingsFileProvider(path, pollInterval, time);
}
