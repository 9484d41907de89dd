using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuotaSidecar.Tests.Grpc;

/// <summary>
/// At least 10,000 random and malformed requests: random bytes as protobuf, huge strings, thousands of labels,
/// int64 edges, Unicode oddities. No crash, no INTERNAL or UNKNOWN, every error an expected status with a message,
/// and the balance of an account the fuzzer aims at untouched by every rejected request.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IClassFixture<SidecarFactory>
{
    private static readonly string[] Methods =
    [
        "/quota.v1.Quota/Reserve", "/quota.v1.Quota/Commit", "/quota.v1.Quota/Release", "/quota.v1.Quota/Consume",
        "/quota.v1.Quota/GetBalance", "/quota.v1.QuotaAdmin/UpsertAccount", "/quota.v1.QuotaAdmin/GrantCredits",
        "/quota.v1.QuotaAdmin/VoidGrant", "/quota.v1.QuotaAdmin/ListGrants", "/quota.v1.QuotaAdmin/ListLedgerEntries",
        "/quota.v1.QuotaAdmin/GetAccount",
    ];

    private static readonly StatusCode[] Expected =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition,
        StatusCode.AlreadyExists, StatusCode.ResourceExhausted, StatusCode.PermissionDenied, StatusCode.Unauthenticated,
    ];

    private static readonly long[] Edges =
    [
        0, 1, -1, 2, long.MinValue, long.MaxValue, long.MinValue + 1, long.MaxValue - 1, 1L << 53, (1L << 53) + 1,
        -(1L << 53), int.MaxValue, int.MinValue, uint.MaxValue, 1L << 62,
    ];

    private static readonly string[] Oddities =
    [
        "", " ", "\0", "\u202Eevil", "e\u0301", "😀", "\uFEFF", "a\nb", "../../etc/passwd", "%00", "' OR 1=1 --",
        new string('x', 129), new string('y', 128), "\u00A0", "ＡＢＣ", "\t", "a b", "{acct}", "x:y.z_w-1",
    ];

    private readonly SidecarFactory _sidecar = new SidecarFactory().With("Quota:Grpc:MaxReceiveMessageSize", "65536");

    [Fact]
    public async Task Ten_thousand_hostile_requests_get_expected_statuses_and_change_no_balance()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("QUOTA_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var count = int.TryParse(Environment.GetEnvironmentVariable("QUOTA_FUZZ_REQUESTS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 10_000;
        output.WriteLine($"seed={seed} requests={count} (reproduce: QUOTA_FUZZ_SEED={seed})");
        var random = new Random(seed);
        var target = $"fuzz-target-{seed}";
        await _sidecar.Admin.UpsertAccountAsync(new UpsertAccountRequest { AccountId = target }, Calls.Admin());
        await _sidecar.Admin.GrantCreditsAsync(new GrantCreditsRequest { AccountId = target, GrantId = "g", Amount = 1_000 }, Calls.Admin());
        var before = await _sidecar.Admin.GetAccountAsync(new GetAccountRequest { AccountId = target }, Calls.Admin());
        var invoker = _sidecar.Channel.CreateCallInvoker();
        var statuses = new Dictionary<StatusCode, int>();

        for (var i = 0; i < count; i++)
        {
            var method = Methods[random.Next(Methods.Length)];
            var body = random.Next(3) switch
            {
                0 => RandomBytes(random),
                1 => MutatedMessage(random, method, target),
                _ => HostileMessage(random, method, target),
            };
            var admin = random.Next(4) != 0;
            var status = await Send(invoker, method, body, admin);
            statuses[status.StatusCode] = statuses.GetValueOrDefault(status.StatusCode) + 1;
            Assert.True(Expected.Contains(status.StatusCode), $"request {i} to {method} got {status.StatusCode}: {status.Detail} (seed {seed})");
            Assert.True(status.StatusCode == StatusCode.OK || status.Detail.Length > 0, $"request {i}: {status.StatusCode} without a message (seed {seed})");
        }

        output.WriteLine(string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}")));
        var after = await _sidecar.Admin.GetAccountAsync(new GetAccountRequest { AccountId = target }, Calls.Admin());
        var balance = await _sidecar.Quota.GetBalanceAsync(new GetBalanceRequest { AccountId = target, Consistent = true }, Calls.Deadline);
        Assert.Equal(before.Balance.Granted, after.Balance.Granted);
        Assert.Equal(0, after.Balance.Consumed + after.Balance.Overage + after.Balance.Voided);
        Assert.Equal(1_000, balance.Spendable);
        Assert.Equal(0, balance.Held);

        // The sidecar still serves normally.
        var ok = await _sidecar.Quota.ConsumeAsync(new ConsumeRequest { AccountId = "seeded", Amount = 1 }, Calls.Deadline);
        Assert.Equal(Decision.Granted, ok.Decision);
    }

    private static async Task<Status> Send(CallInvoker invoker, string method, byte[] body, bool admin)
    {
        var service = method.Split('/')[1];
        var m = new Method<byte[], byte[]>(MethodType.Unary, service, method.Split('/')[2], RawMarshaller, RawMarshaller);
        var options = admin ? Calls.Admin() : Calls.Deadline;
        try
        {
            await invoker.AsyncUnaryCall(m, null, options, body);
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    private static readonly Marshaller<byte[]> RawMarshaller = new(b => b, b => b);

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, random.Next(2) == 0 ? 64 : 4096)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A valid message of the method's type with random bytes flipped, cut or appended.</summary>
    private static byte[] MutatedMessage(Random random, string method, string target)
    {
        var bytes = HostileMessage(random, method, target).ToList();
        for (var k = random.Next(1, 5); k > 0 && bytes.Count > 0; k--)
        {
            switch (random.Next(3))
            {
                case 0: bytes[random.Next(bytes.Count)] = (byte)random.Next(256); break;
                case 1: bytes.RemoveRange(random.Next(bytes.Count), 1); break;
                default: bytes.Insert(random.Next(bytes.Count), (byte)random.Next(256)); break;
            }
        }

        // A mutation can turn an invalid amount into a valid one (a CI seed made a Consume of 88): that request is
        // valid and rightly charged, so it is not sent; the unmutated hostile one is.
        byte[] mutated = [.. bytes];
        return Spends(method, mutated, target) ? HostileMessage(random, method, target) : mutated;
    }

    private static bool Spends(string method, byte[] body, string target)
    {
        try
        {
            return method[(method.LastIndexOf('/') + 1)..] switch
            {
                "Reserve" => ReserveRequest.Parser.ParseFrom(body) is { } r && r.AccountId == target && r.Amount is > 0 and <= 1L << 53,
                "Consume" => ConsumeRequest.Parser.ParseFrom(body) is { } c && c.AccountId == target && c.Amount is > 0 and <= 1L << 53,
                "GrantCredits" => GrantCreditsRequest.Parser.ParseFrom(body) is { } g && g.AccountId == target && g.Amount > 0,
                _ => false,
            };
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    /// <summary>A well-formed message with hostile values; it names the target account only with invalid values.</summary>
    private static byte[] HostileMessage(Random random, string method, string target)
    {
        string Account() => random.Next(3) == 0 ? target : Odd(random);
        long Amount() => Edges[random.Next(Edges.Length)];
        IMessage message = method.Split('/')[2] switch
        {
            "Reserve" => Fill(new ReserveRequest
            {
                AccountId = Account(),
                Amount = Invalid(random, Amount()),
                ReservationId = Odd(random),
                Ttl = random.Next(2) == 0 ? null : new Duration { Seconds = Amount(), Nanos = (int)Amount() },
            }, random),
            "Commit" => new CommitRequest { ReservationId = Odd(random), Amount = Amount() },
            "Release" => new ReleaseRequest { ReservationId = Odd(random) },
            "Consume" => new ConsumeRequest { AccountId = Account(), Amount = Invalid(random, Amount()), RequestId = Odd(random) },
            "GetBalance" => new GetBalanceRequest { AccountId = Odd(random), Consistent = random.Next(2) == 0 },
            "UpsertAccount" => new UpsertAccountRequest { AccountId = Odd(random), Status = (AccountStatus)random.Next(-2, 5), OverageMode = (OverageMode)random.Next(-2, 5), OverageLimit = Amount(), Unit = Odd(random) },
            "GrantCredits" => new GrantCreditsRequest
            {
                AccountId = Account(),
                GrantId = Odd(random),
                Amount = Invalid(random, Amount()),
                Priority = (int)Amount(),
                Category = (GrantCategory)random.Next(-1, 4),
                EffectiveAt = new Timestamp { Seconds = Amount(), Nanos = (int)Amount() },
                ExpiresAt = new Timestamp { Seconds = Amount() },
            },
            "VoidGrant" => new VoidGrantRequest { AccountId = Odd(random), GrantId = Odd(random) },
            "ListGrants" => new ListGrantsRequest { AccountId = Odd(random), IncludeInactive = true },
            "ListLedgerEntries" => new ListLedgerEntriesRequest { AccountId = Odd(random), After = Odd(random), Limit = (int)Amount() },
            _ => new GetAccountRequest { AccountId = Odd(random) },
        };
        return message.ToByteArray();
    }

    /// <summary>Amounts aimed at the target account are always invalid, so nothing may change its balance.</summary>
    private static long Invalid(Random random, long amount) => amount is > 0 and <= 1L << 53 ? -amount : amount;

    private static ReserveRequest Fill(ReserveRequest request, Random random)
    {
        var labels = random.Next(4) switch { 0 => 0, 1 => 17, 2 => 2_000, _ => 3 };
        for (var i = 0; i < labels; i++)
        {
            request.Labels[$"k{i}{Odd(random)}"] = Odd(random);
        }

        return request;
    }

    private static string Odd(Random random) => random.Next(6) switch
    {
        0 => new string((char)random.Next(0x20, 0xD7FF), random.Next(0, 300)),
        1 => new string('h', random.Next(1_000, 70_000)),
        2 => Encoding.UTF8.GetString(RandomBytes(random)),
        _ => Oddities[random.Next(Oddities.Length)],
    };
}
