using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>Three real sidecar processes in Redis mode drain one account over gRPC: exactly the credits are granted and
/// every lease comes back at SIGTERM.</summary>
public sealed class ThreeSidecarDrainTests(ITestOutputHelper output)
{
    private const string Token = "multi-sidecar-admin-token-0123";
    private const long Credits = 10_000;

    private static string RedisEndpoint =>
        Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") is { Length: > 0 } s ? s : "127.0.0.1:6391";

    [Fact]
    public async Task Three_sidecars_grant_exactly_the_credits_and_return_every_lease_at_SIGTERM()
    {
        var prefix = $"proc-test-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["Quota__Store"] = "Redis",
            ["Quota__Redis__ConnectionString"] = RedisEndpoint,
            ["Quota__Redis__KeyPrefix"] = prefix,
            ["Quota__Admin__Token"] = Token,
            ["Quota__Settle__Interval"] = "00:00:00.100",
            // About exactness, not the wait budget (a loaded machine can take longer than 100 ms for an exchange).
            ["Quota__Store__MaxWait"] = "00:00:05",
            ["Quota__Store__ExchangeTimeout"] = "00:00:05",
        };
        var sidecars = new List<SidecarProcess>();
        var channels = new List<GrpcChannel>();
        try
        {
            sidecars.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SidecarProcess.StartAsync(settings))));
            channels.AddRange(sidecars.Select(s => GrpcChannel.ForAddress(s.TcpTarget)));
            var admin = new QuotaAdmin.QuotaAdminClient(channels[0]);
            var id = $"acct-{Guid.NewGuid():N}";
            await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id }, Calls.Admin(Token));
            await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "purchase-1", Amount = Credits }, Calls.Admin(Token));
            var clients = channels.Select(c => new Quota.QuotaClient(c)).ToList();

            // Each sidecar loads the account once before the concurrent load. A first contact racing a settle pass can
            // be answered "unknown account" (a new local account is instantly forgettable by the idle eviction, and
            // a store error on the first load also reads as unknown): counted and printed, see the report.
            var firstContactMisses = 0;
            foreach (var client in clients)
            {
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 50, "a sidecar never found the account");
                    try
                    {
                        await client.GetBalanceAsync(new GetBalanceRequest { AccountId = id, Consistent = true }, Calls.Deadline);
                        break;
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                    {
                        firstContactMisses++;
                        await Task.Delay(100);
                    }
                }
            }

            long granted = 0, requests = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));

            async Task Worker(Quota.QuotaClient client, int index, int seed)
            {
                var rng = new Random(seed);
                var onlyOne = false;
                for (var i = 0; i < 100_000 && !timeout.IsCancellationRequested; i++)
                {
                    var amount = onlyOne ? 1 : rng.Next(1, 6);
                    Interlocked.Increment(ref requests);
                    var r = await client.ConsumeAsync(new ConsumeRequest { AccountId = id, Amount = amount }, Calls.Deadline);
                    if (r.Decision == Decision.Granted)
                    {
                        Interlocked.Add(ref granted, amount);
                        continue;
                    }

                    Assert.True(r.DenyReason == DenyReason.InsufficientCredits, $"{r} after {granted} granted; sidecar output:\n{string.Join('\n', sidecars[index].Output.Split('\n').TakeLast(30))}");
                    if (amount == 1)
                    {
                        return;
                    }

                    onlyOne = true;
                }
            }

            var started = DateTime.UtcNow;
            await Task.WhenAll(clients.SelectMany((c, i) => new[] { Worker(c, i, 10 * i), Worker(c, i, (10 * i) + 1) })).WaitAsync(TimeSpan.FromSeconds(45));
            Assert.False(timeout.IsCancellationRequested, "the account was not drained within 40 s");
            var drainTime = DateTime.UtcNow - started;
            var grantedByWorkers = Interlocked.Read(ref granted);

            // Until a whole round finds every sidecar denying one credit (credits another sidecar gave back on
            // reclaim go to whoever asks next).
            long sweep = 0;
            for (var round = 0; round < 5; round++)
            {
                var before = sweep;
                foreach (var client in clients)
                {
                    for (var i = 0; i < 1000; i++)
                    {
                        var r = await client.ConsumeAsync(new ConsumeRequest { AccountId = id, Amount = 1 }, Calls.Deadline);
                        if (r.Decision != Decision.Granted)
                        {
                            break;
                        }

                        sweep++;
                    }
                }

                if (sweep == before)
                {
                    break;
                }
            }

            var total = grantedByWorkers + sweep;
            foreach (var sidecar in sidecars)
            {
                sidecar.Terminate();
            }

            var exited = await Task.WhenAll(sidecars.Select(s => s.WaitForExitAsync(TimeSpan.FromSeconds(20))));

            // Every one is gone: a fresh sidecar reads the central balance through the admin API.
            await using var reader = await SidecarProcess.StartAsync(settings);
            using var readerChannel = GrpcChannel.ForAddress(reader.TcpTarget);
            var account = await new QuotaAdmin.QuotaAdminClient(readerChannel).GetAccountAsync(new GetAccountRequest { AccountId = id }, Calls.Admin(Token));
            var balance = account.Balance;

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"3 processes: {requests} Consume calls over gRPC in {drainTime.TotalSeconds:F1} s, granted {grantedByWorkers} + {sweep} in the final sweep = {total} of {Credits}"));
            output.WriteLine($"after SIGTERM of all three: {balance}; first-contact NotFound answers before the load: {firstContactMisses}");

            Assert.True(exited.All(x => x), "a sidecar did not exit within 20 s of SIGTERM");
            Assert.All(sidecars, s => Assert.True(s.ExitCode == 0, $"exit {s.ExitCode}:\n{s.Output}"));
            Assert.Equal(Credits, total);
            Assert.Equal(Credits, balance.Consumed);
            Assert.Equal(0, balance.Leased);
            Assert.Equal(0, balance.Available);
            Assert.Equal(0, balance.Overage);
            Assert.Equal(Credits, balance.Granted);
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }

            foreach (var sidecar in sidecars)
            {
                await sidecar.DisposeAsync();
            }

            await DeleteKeysAsync(prefix);
        }
    }

    private static async Task DeleteKeysAsync(string prefix)
    {
        var config = ConfigurationOptions.Parse(RedisEndpoint);
        config.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var server in redis.GetServers())
        {
            await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }
        }
    }
}
