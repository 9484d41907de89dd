using System.Diagnostics;
using System.Globalization;

namespace QuotaSidecar.Testing.Processes;

/// <summary>
/// A Redis Cluster of child redis-servers on free ports of 127.0.0.1 (<see cref="RedisServer"/>s, each with its own
/// data directory and <c>nodes.conf</c>), formed with <c>redis-cli --cluster create</c>: a scenario can kill a primary
/// and watch its replica take over. scripts/redis-cluster.sh is the long-lived 3-master one for the contract tests;
/// this one lives for one test, so it may be killed.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly RedisServer[] _nodes;

    private RedisCluster(RedisServer[] nodes, TimeSpan nodeTimeout)
    {
        _nodes = nodes;
        NodeTimeout = nodeTimeout;
    }

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary><c>cluster-node-timeout</c>: how long a primary may be unreachable before its replica is promoted.</summary>
    public TimeSpan NodeTimeout { get; }

    /// <summary>Every node's endpoint, comma-separated (a StackExchange.Redis connection string).</summary>
    public string Endpoints => string.Join(',', _nodes.Select(n => n.Endpoint));

    /// <summary>
    /// Starts <paramref name="primaries"/> × (1 + <paramref name="replicasPerPrimary"/>) redis-servers with
    /// <c>--cluster-enabled yes</c> and <paramref name="arguments"/> (e.g. <c>--appendonly yes</c>), forms the cluster
    /// and waits until every node says <c>cluster_state:ok</c> and every replica is in sync with its primary.
    /// </summary>
    public static async Task<RedisCluster> StartAsync(int primaries = 3, int replicasPerPrimary = 1, TimeSpan? nodeTimeout = null, params string[] arguments)
    {
        var timeout = nodeTimeout ?? TimeSpan.FromSeconds(1);
        string[] all =
        [
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), .. arguments,
        ];
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < primaries * (1 + replicasPerPrimary); i++)
            {
                nodes.Add(await RedisServer.StartAsync(all));
            }

            var create = await ProcessRun.RunAsync(
                "redis-cli",
                ["--cluster", "create", .. nodes.Select(n => n.Endpoint), "--cluster-replicas", replicasPerPrimary.ToString(CultureInfo.InvariantCulture), "--cluster-yes"],
                timeout: TimeSpan.FromSeconds(60));
            if (create.ExitCode != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}):\n{create.Stdout}\n{create.Stderr}");
            }

            var cluster = new RedisCluster([.. nodes], timeout);
            await cluster.WaitHealthyAsync(primaries, replicasPerPrimary, TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The hash slot of <paramref name="key"/>: CRC16 (XMODEM) of its hash tag (the text between the first
    /// <c>{</c> and the next <c>}</c>, if not empty) or of the whole key, mod 16384, as Redis Cluster computes it.</summary>
    public static int SlotOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1)
            {
                key = key[(open + 1)..close];
            }
        }

        ushort crc = 0;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % 16384;
    }

    /// <summary>The hash slot of <paramref name="key"/> as the cluster computes it (<c>CLUSTER KEYSLOT</c>).</summary>
    public async Task<int> SlotOfAsync(string key) =>
        int.Parse(await Live().CliAsync("cluster", "keyslot", key), CultureInfo.InvariantCulture);

    /// <summary>The node serving <paramref name="slot"/> now, as a live node sees the cluster.</summary>
    public async Task<RedisServer> PrimaryOfSlotAsync(int slot)
    {
        var topology = await TopologyAsync();
        var owner = topology.SingleOrDefault(n => n.IsPrimary && n.Serves(slot))
            ?? throw new InvalidOperationException($"no primary serves slot {slot}:\n{string.Join('\n', topology)}");
        return _nodes.Single(n => n.Port == owner.Port);
    }

    /// <summary>The replicas of <paramref name="primary"/>, as a live node sees the cluster.</summary>
    public async Task<IReadOnlyList<RedisServer>> ReplicasOfAsync(RedisServer primary)
    {
        ArgumentNullException.ThrowIfNull(primary);
        var topology = await TopologyAsync();
        var id = topology.Single(n => n.Port == primary.Port).Id;
        return [.. topology.Where(n => n.PrimaryId == id).Select(n => _nodes.Single(s => s.Port == n.Port))];
    }

    /// <summary>
    /// Waits until <paramref name="slot"/> is served by a live primary other than <paramref name="killed"/> and every
    /// live node says <c>cluster_state:ok</c>; the new primary and how long that took from <paramref name="since"/>
    /// (a Stopwatch timestamp). Throws after <paramref name="timeout"/>.
    /// </summary>
    public async Task<(RedisServer Primary, TimeSpan After)> WaitForFailoverAsync(RedisServer killed, int slot, long since, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(killed);
        RedisServer? promoted = null;
        await Wait.UntilAsync(
            async () =>
            {
                var owner = await PrimaryOfSlotAsync(slot);
                if (owner.Port == killed.Port || owner.HasExited)
                {
                    return false;
                }

                foreach (var node in _nodes.Where(n => !n.HasExited))
                {
                    if (await InfoFieldAsync(node, "cluster_state") != "ok")
                    {
                        return false;
                    }
                }

                promoted = owner;
                return true;
            },
            timeout,
            () => $"slot {slot} was not failed over from {killed.Endpoint} within {timeout}",
            CancellationToken.None);
        return (promoted!, Stopwatch.GetElapsedTime(since));
    }

    /// <summary>Every node as a live node sees it (<c>CLUSTER NODES</c>).</summary>
    public async Task<IReadOnlyList<ClusterNode>> TopologyAsync() =>
        [.. (await Live().CliAsync("cluster", "nodes")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ClusterNode.Parse)];

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static async Task<string?> InfoFieldAsync(RedisServer node, string field)
    {
        foreach (var line in (await node.CliAsync("cluster", "info")).Split('\n'))
        {
            var parts = line.Trim().Split(':', 2);
            if (parts.Length == 2 && parts[0] == field)
            {
                return parts[1];
            }
        }

        return null;
    }

    private RedisServer Live() => _nodes.FirstOrDefault(n => !n.HasExited) ?? throw new InvalidOperationException("every node of the cluster has exited");

    private async Task WaitHealthyAsync(int primaries, int replicasPerPrimary, TimeSpan timeout)
    {
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var node in _nodes)
                {
                    if (await InfoFieldAsync(node, "cluster_state") != "ok")
                    {
                        return false;
                    }
                }

                var topology = await TopologyAsync();
                if (topology.Count(n => n.IsPrimary) != primaries || topology.Count(n => !n.IsPrimary) != primaries * replicasPerPrimary)
                {
                    return false;
                }

                // Every replica has finished its first sync: a primary killed before that has nothing to fail over to.
                foreach (var replica in topology.Where(n => !n.IsPrimary))
                {
                    var info = await _nodes.Single(n => n.Port == replica.Port).CliAsync("info", "replication");
                    if (!info.Contains("master_link_status:up", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            },
            timeout,
            () => $"the cluster on {Endpoints} was not healthy within {timeout}",
            CancellationToken.None);
    }
}
