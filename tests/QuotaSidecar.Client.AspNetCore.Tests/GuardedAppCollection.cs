namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>The interceptor and filter tests share one <see cref="GuardedApp"/> (one sidecar process).</summary>
[CollectionDefinition(Name)]
public sealed class GuardedAppCollection : ICollectionFixture<GuardedApp>
{
    public const string Name = "guarded app";
}
