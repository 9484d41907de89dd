using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using QuotaSidecar.Baselines.Floor;
using QuotaSidecar.Baselines.Naive;
using QuotaSidecar.Baselines.Stats;
using StackExchange.Redis;

// The load tool's reference servers, started by it as a separate process:
//   --port N            gRPC over TCP on 127.0.0.1:N (HTTP/2 without TLS)
//   --unix-socket PATH  also on a Unix domain socket
//   --redis HOST:PORT   also serve quota.v1.Quota the naive way against this Redis
//   --seed ACCOUNT=N    set a naive account's balance at start (repeatable)
// Always serves the floor (an empty unary call) and the Stats service the load tool reads.
var port = 0;
string? unixSocket = null, redisEndpoint = null;
var seeds = new List<(string Account, long Credits)>();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--port":
            port = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--unix-socket":
            unixSocket = Next();
            break;
        case "--redis":
            redisEndpoint = Next();
            break;
        case "--seed":
            var seed = Next().Split('=', 2);
            seeds.Add((seed[0], long.Parse(seed[1], CultureInfo.InvariantCulture)));
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; use --port N [--unix-socket PATH] [--redis HOST:PORT] [--seed ACCOUNT=N]");
            return 2;
    }
}

if (port is <= 0 or > 65535)
{
    Console.Error.WriteLine("--port N (1-65535) is required");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2);
    if (unixSocket is not null)
    {
        File.Delete(unixSocket);
        kestrel.ListenUnixSocket(unixSocket, o => o.Protocols = HttpProtocols.Http2);
    }
});
builder.Services.AddGrpc();
builder.Services.AddSingleton<HandlerStats>();
if (redisEndpoint is not null)
{
    var multiplexer = await ConnectionMultiplexer.ConnectAsync(redisEndpoint);
    builder.Services.AddSingleton<IConnectionMultiplexer>(multiplexer);
    builder.Services.AddSingleton<NaiveStore>();
}

var app = builder.Build();
app.MapGrpcService<FloorService>();
app.MapGrpcService<StatsService>();
if (redisEndpoint is not null)
{
    var store = app.Services.GetRequiredService<NaiveStore>();
    await store.LoadScriptsAsync();
    foreach (var (account, credits) in seeds)
    {
        await store.SeedAsync(account, credits);
    }

    app.MapGrpcService<NaiveQuotaService>();
}

await app.RunAsync();
return 0;
