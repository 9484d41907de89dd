namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>One fake sidecar for all end-to-end test classes: starting Kestrel per class would only cost time.</summary>
[CollectionDefinition(Name)]
public sealed class FakeSidecarCollection : ICollectionFixture<FakeSidecar>
{
    public const string Name = "fake sidecar";
}
