using System.Globalization;
using Grpc.Net.Client;
using QuotaSidecar.Baselines.V1;
using QuotaSidecar.LoadTest.Network;

namespace QuotaSidecar.LoadTest.Servers;

/// <summary>
/// bench/QuotaSidecar.Baselines as a separate process: the floor (empty unary call) and, given a Redis, the naive
/// quota design. Its handler times and Redis calls come from its Stats service.
/// </summary>
internal sealed class BaselineServer : IServerUnderTest
{
    private readonly ChildProcess _process;
    private readonly ServerChannels _channels;
    private readonly V1Stats _stats;
    private double? _cpuBefore;

    private BaselineServer(string name, string? account, ChildProcess process, ServerChannels channels)
    {
        Name = name;
        Account = account;
        _process = process;
        _channels = channels;
        _stats = new V1Stats(channels.Get(Transport.Tcp));
    }

    public string Name { get; }

    public string? Account { get; }

    public string? TreeAccount => null;

    public string? TwinAccount => null;

    public static async Task<BaselineServer> StartAsync(
        string name, string baselinesDll, string? redisEndpoint, string runDirectory, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var socket = Path.Combine(runDirectory, name + ".sock");
        var account = redisEndpoint is null ? null : "naive-" + Guid.NewGuid().ToString("N")[..8];
        List<string> args = [baselinesDll, "--port", port.ToString(CultureInfo.InvariantCulture), "--unix-socket", socket];
        if (redisEndpoint is not null)
        {
            args.AddRange(["--redis", redisEndpoint, "--seed", $"{account}={1_000_000_000_000L}"]);
        }

        var process = ChildProcess.Start(name, "dotnet", args, null, runDirectory);
        var channels = new ServerChannels(port, socket);
        var server = new BaselineServer(name, account, process, channels);
        var floor = new Floor.FloorClient(channels.Get(Transport.Tcp));
        try
        {
            await Wait.UntilAsync(
                async () => Alive(process, name) && await floor.PingAsync(new PingRequest(), deadline: DateTime.UtcNow.AddSeconds(2)) is not null,
                TimeSpan.FromSeconds(30),
                () => $"{name} did not answer on 127.0.0.1:{port} within 30 s:\n{process.Tail()}",
                cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public GrpcChannel Channel(Transport transport) => _channels.Get(transport);

    public async Task BeginAsync(CancellationToken cancellationToken)
    {
        await _stats.IntervalAsync(cancellationToken);
        _cpuBefore = _process.CpuSeconds();
    }

    public async Task<ServerInterval> EndAsync(CancellationToken cancellationToken)
    {
        var cpu = _process.CpuSeconds() - _cpuBefore;
        var reply = await _stats.IntervalAsync(cancellationToken);
        var handler = new HandlerHistogram();
        for (var i = 0; i < reply.HandlerUpperUs.Count; i++)
        {
            handler.Add(reply.HandlerUpperUs[i], reply.HandlerCount[i]);
        }

        return new ServerInterval(handler, Account is null ? null : reply.RedisCalls, cpu);
    }

    public double? RssMiB() => _process.RssMiB();

    public ValueTask DisposeAsync()
    {
        _channels.Dispose();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The Stats client (named apart from the generated Stats class's namespace clash).</summary>
    private sealed class V1Stats(GrpcChannel channel)
    {
        private readonly Baselines.V1.Stats.StatsClient _client = new(channel);

        public async Task<IntervalReply> IntervalAsync(CancellationToken cancellationToken) =>
            await _client.IntervalAsync(new IntervalRequest(), cancellationToken: cancellationToken);
    }

    /// <summary>True while the process runs; once it has exited, waiting longer is pointless: fail with its log.</summary>
    private static bool Alive(ChildProcess process, string name) => !process.HasExited
        ? true
        : throw new InvalidOperationException($"{name} exited during start-up:\n{process.Tail()}");
}
