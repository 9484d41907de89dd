using Grpc.Net.Client;
using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest.Servers;

/// <summary>A server process the tool started and measures.</summary>
internal interface IServerUnderTest : IAsyncDisposable
{
    /// <summary>Short name used in the tables: floor, sidecar-embedded, sidecar-redis, naive.</summary>
    string Name { get; }

    /// <summary>The account the quota workloads spend from (null for the floor).</summary>
    string? Account { get; }

    /// <summary>The leaf of a depth-3 account path (org → team → key) the depth-3 workloads spend from (null: the
    /// server has no account trees).</summary>
    string? TreeAccount { get; }

    /// <summary>A second flat account like <see cref="Account"/>, for A/A controls (null: none).</summary>
    string? TwinAccount { get; }

    GrpcChannel Channel(Transport transport);

    /// <summary>Marks the start of a measured run (reads the server's counters).</summary>
    Task BeginAsync(CancellationToken cancellationToken);

    /// <summary>What the server recorded since <see cref="BeginAsync"/>.</summary>
    Task<ServerInterval> EndAsync(CancellationToken cancellationToken);

    /// <summary>The server process's resident memory now, MiB.</summary>
    double? RssMiB();
}
