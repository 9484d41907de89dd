using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;
using StackExchange.Redis;

namespace QuotaSidecar.Tests.Events;

/// <summary>
/// Issue 16's must-show, with real processes: three sidecar executables on one Redis, a real HTTP receiver in the
/// test. One webhook per crossing however many sidecars saw it, signed; a delivering sidecar killed with SIGKILL
/// mid-delivery → another takes the event over and delivers it with the same id.
/// </summary>
public sealed class WebhookFleetTests
{
    private const string Token = "webhook-fleet-admin-token-0123";

    private static string RedisEndpoint =>
        Environment.GetEnvironmentVariable("QUOTA_TEST_REDIS") is { Length: > 0 } s ? s : "127.0.0.1:6391";

    [Fact]
    public async Task Three_sidecars_draining_one_account_through_its_threshold_send_exactly_one_signed_low()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var fleet = await Fleet.StartAsync(receiver, claimIdle: "00:00:05");
        var id = await fleet.FundedAccountAsync(threshold: 500, credits: 1_000);

        await fleet.DrainAsync(id, 700);
        var got = await receiver.WaitForAsync(r => r.Count(x => x.AccountId == id && x.Type == "balance.low") >= 1, TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2)); // a duplicate would come within this

        var lows = receiver.Requests.Where(r => r.AccountId == id && r.Type == "balance.low").ToList();
        var low = Assert.Single(lows);
        Assert.True(low.SignatureValid, low.Body);
        Assert.Equal(id + ":2", low.Id);
        Assert.InRange(low.Balance, 0, 500);
        Assert.Single(receiver.Requests, r => r.AccountId == id && r.Type == "balance.recovered");
        Assert.NotEmpty(got);
    }

    [Fact]
    public async Task Killing_the_delivering_sidecar_mid_delivery_still_delivers_the_event_with_the_same_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var fleet = await Fleet.StartAsync(receiver, claimIdle: "00:00:02");
        var id = $"acct-{Guid.NewGuid():N}";
        var killed = -1;
        var firstAnswered = DateTime.MinValue;
        receiver.Respond = async (_, r) =>
        {
            if (r.AccountId == id && r.Type == "balance.low" && Interlocked.CompareExchange(ref killed, -2, -1) == -1)
            {
                // The first attempt: the receiver stalls its answer while the sidecar that sent it is killed.
                var victim = await fleet.DeliveringSidecarAsync(JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("cursor").GetString()!);
                fleet.Kill(victim);
                Volatile.Write(ref killed, victim);
                firstAnswered = DateTime.UtcNow;
            }

            return 200;
        };
        await fleet.FundedAccountAsync(threshold: 500, credits: 1_000, id);

        await fleet.DrainAsync(id, 700);
        var got = await receiver.WaitForAsync(r => r.Count(x => x.AccountId == id && x.Type == "balance.low") >= 2, TimeSpan.FromSeconds(30));

        var lows = got.Where(r => r.AccountId == id && r.Type == "balance.low").ToList();
        Assert.True(Volatile.Read(ref killed) >= 0, "the delivering sidecar was not found");
        Assert.Equal(2, lows.Count);
        Assert.Equal(lows[0].Id, lows[1].Id); // at least once, same id: the receiver deduplicates by webhook-id
        Assert.All(lows, r => Assert.True(r.SignatureValid, r.Body));
        Assert.True(DateTime.UtcNow - firstAnswered >= TimeSpan.FromSeconds(1.5), "taken over before the claim time");
    }

    private sealed class Fleet : IAsyncDisposable
    {
        private readonly List<GrpcChannel> _channels = [];
        private readonly ConnectionMultiplexer _redis;
        private readonly string _prefix;
        private int _killed = -1;

        private Fleet(List<SidecarProcess> sidecars, ConnectionMultiplexer redis, string prefix)
        {
            Sidecars = sidecars;
            _redis = redis;
            _prefix = prefix;
            _channels.AddRange(sidecars.Select(s => GrpcChannel.ForAddress(s.TcpTarget)));
        }

        public List<SidecarProcess> Sidecars { get; }

        /// <summary>SIGKILL; that sidecar's drain workers stop at their next failed call.</summary>
        public void Kill(int index)
        {
            Volatile.Write(ref _killed, index);
            Sidecars[index].Crash();
        }

        public static async Task<Fleet> StartAsync(WebhookReceiver receiver, string claimIdle)
        {
            var prefix = $"hook-test-{Guid.NewGuid():N}";
            var sidecars = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => SidecarProcess.StartAsync(new Dictionary<string, string>
            {
                ["Quota__Store"] = "Redis",
                ["Quota__Redis__ConnectionString"] = RedisEndpoint,
                ["Quota__Redis__KeyPrefix"] = prefix,
                ["Quota__Admin__Token"] = Token,
                ["Quota__InstanceName"] = $"fleet{i}",
                ["Quota__Settle__Interval"] = "00:00:00.100",
                ["Quota__Store__MaxWait"] = "00:00:05",
                ["Quota__Store__ExchangeTimeout"] = "00:00:05",
                ["Quota__Events__WatchPollInterval"] = "00:00:00.050",
                ["Quota__Events__Webhook__Url"] = receiver.Url,
                ["Quota__Events__Webhook__Secret"] = WebhookReceiver.Secret,
                ["Quota__Events__Webhook__Timeout"] = "00:00:01",
                ["Quota__Events__Webhook__InitialBackoff"] = "00:00:00.100",
                ["Quota__Events__Webhook__MaxBackoff"] = "00:00:00.500",
                ["Quota__Events__Webhook__ClaimIdle"] = claimIdle,
            })));
            return new Fleet([.. sidecars], await ConnectionMultiplexer.ConnectAsync(RedisEndpoint), prefix);
        }

        public async Task<string> FundedAccountAsync(long threshold, long credits, string? id = null)
        {
            id ??= $"acct-{Guid.NewGuid():N}";
            var admin = new QuotaAdmin.QuotaAdminClient(_channels[0]);
            await admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = id, LowBalanceThreshold = threshold }, Calls.Admin(Token));
            await admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = id, GrantId = "purchase-1", Amount = credits }, Calls.Admin(Token));
            return id;
        }

        /// <summary>Two workers per sidecar consume 5 credits at a time until <paramref name="total"/> are granted.</summary>
        public async Task DrainAsync(string id, long total)
        {
            long granted = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            async Task Worker(Quota.QuotaClient client, int index)
            {
                while (Interlocked.Read(ref granted) < total && !timeout.IsCancellationRequested)
                {
                    ConsumeResponse r;
                    try
                    {
                        r = await client.ConsumeAsync(new ConsumeRequest { AccountId = id, Amount = 5 }, Calls.Deadline);
                    }
                    catch (RpcException) when (Volatile.Read(ref _killed) == index)
                    {
                        return; // killed by the test while the others drain on
                    }

                    if (r.Decision == Decision.Granted)
                    {
                        Interlocked.Add(ref granted, 5);
                    }
                }
            }

            var clients = _channels.Select(c => new Quota.QuotaClient(c)).ToList();
            await Task.WhenAll(clients.SelectMany((c, i) => new[] { Worker(c, i), Worker(c, i) }));
            Assert.False(timeout.IsCancellationRequested, $"only {granted} of {total} credits granted in 30 s");
        }

        /// <summary>The index of the sidecar whose consumer holds the event at this global stream position.</summary>
        public async Task<int> DeliveringSidecarAsync(string cursor)
        {
            var pending = await _redis.GetDatabase().StreamPendingMessagesAsync($"{_prefix}:{{#events}}:stream", "webhooks", 100, RedisValue.Null);
            var consumer = (string)pending.Single(p => p.MessageId == cursor).ConsumerName!;
            return int.Parse(consumer["fleet".Length..consumer.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _channels)
            {
                c.Dispose();
            }

            foreach (var s in Sidecars)
            {
                await s.DisposeAsync();
            }

            await _redis.DisposeAsync();
        }
    }
}
