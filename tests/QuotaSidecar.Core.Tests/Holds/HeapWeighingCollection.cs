namespace QuotaSidecar.Core.Tests.Holds;

/// <summary>Tests that weigh the managed heap run alone: another test allocating meanwhile would move the scale.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapWeighingCollection
{
    public const string Name = "Heap weighing";
}
