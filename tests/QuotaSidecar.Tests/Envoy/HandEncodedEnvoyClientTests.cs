using System.Text;
using Grpc.Core;
using QuotaSidecar.Tests.Infrastructure;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>
/// An independent client built from Envoy's message shapes: requests encoded by hand with Envoy's field numbers
/// (including fields the sidecar's subset leaves out), responses decoded by field number. If a field number of our
/// protos drifted from Envoy's, these fail.
/// </summary>
public sealed class HandEncodedEnvoyClientTests : IClassFixture<EnvoySidecar>
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> Check = new(MethodType.Unary, "envoy.service.auth.v3.Authorization", "Check", Raw, Raw);
    private static readonly Method<byte[], byte[]> ShouldRateLimit = new(MethodType.Unary, "envoy.service.ratelimit.v3.RateLimitService", "ShouldRateLimit", Raw, Raw);

    private readonly EnvoySidecar _sidecar;

    public HandEncodedEnvoyClientTests(EnvoySidecar sidecar) => _sidecar = sidecar;

    [Fact]
    public async Task A_hand_encoded_CheckRequest_is_allowed_then_denied_with_Envoys_response_fields()
    {
        var account = await _sidecar.NewAccountAsync(12);
        var request = CheckRequest(account, "POST", "/v1/reports/7?draft=1"); // priced 5 by the fixture's path costs

        var first = ProtoWire.Read(await CallAsync(Check, request));
        var second = ProtoWire.Read(await CallAsync(Check, request));
        var third = ProtoWire.Read(await CallAsync(Check, request));

        // CheckResponse: status = 1 (google.rpc.Status: code = 1), denied_response = 2, ok_response = 3.
        Assert.Equal(0ul, Code(first));
        Assert.True(first.ContainsKey(3), "ok_response (3) is missing");
        Assert.False(first.ContainsKey(2));
        Assert.Equal(0ul, Code(second));
        Assert.Equal(8ul, Code(third)); // RESOURCE_EXHAUSTED
        Assert.False(third.ContainsKey(3));
        var denied = ProtoWire.Read(Bytes(third, 2));
        var httpStatus = ProtoWire.Read(Bytes(denied, 1));          // DeniedHttpResponse.status = 1: HttpStatus
        Assert.Equal(429ul, (ulong)httpStatus[1][0]);                 // HttpStatus.code = 1
        var headers = denied[2].Cast<byte[]>().Select(ProtoWire.Read).ToList(); // DeniedHttpResponse.headers = 2
        var reason = headers.Select(h => ProtoWire.Read(Bytes(h, 1))).Single(h => Text(h, 1) == "x-quota-denied-reason"); // HeaderValueOption.header = 1
        Assert.Equal("insufficient_credits", Text(reason, 2));        // HeaderValue.value = 2
        Assert.All(headers, h => Assert.Equal(2ul, (ulong)h[3][0]));  // append_action = 3: OVERWRITE_IF_EXISTS_OR_ADD
        Assert.Contains("insufficient_credits", Text(denied, 3), StringComparison.Ordinal); // body = 3
        Assert.Equal(2, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task A_hand_encoded_RateLimitRequest_is_ok_then_over_limit_with_Envoys_response_fields()
    {
        var account = await _sidecar.NewAccountAsync(10);

        // RateLimitRequest: domain = 1, descriptors = 2 (RateLimitDescriptor: entries = 1 (key = 1, value = 2)), hits_addend = 3.
        var request = new ProtoWire()
            .String(1, "quota")
            .Message(2, new ProtoWire()
                .Message(1, new ProtoWire().String(1, "generic_key").String(2, "reports"))
                .Message(1, new ProtoWire().String(1, "quota_account").String(2, account))
                .Message(2, new ProtoWire().Varint(1, 100).Varint(2, 2)))  // limit override (left out of our subset)
            .Varint(3, 6)
            .ToBytes();

        var ok = ProtoWire.Read(await CallAsync(ShouldRateLimit, request));
        var over = ProtoWire.Read(await CallAsync(ShouldRateLimit, request));

        // RateLimitResponse: overall_code = 1 (OK = 1, OVER_LIMIT = 2), statuses = 2 (code = 1, limit_remaining = 3),
        // response_headers_to_add = 3 (HeaderValue), raw_body = 5.
        Assert.Equal(1ul, (ulong)ok[1][0]);
        var status = ProtoWire.Read(Bytes(ok, 2));
        Assert.Equal(1ul, (ulong)status[1][0]);
        Assert.Equal(4ul, (ulong)status[3][0]);
        Assert.Equal(2ul, (ulong)over[1][0]);
        Assert.Equal(2ul, (ulong)ProtoWire.Read(Bytes(over, 2))[1][0]);
        var reason = over[3].Cast<byte[]>().Select(ProtoWire.Read).Single(h => Text(h, 1) == "x-quota-denied-reason");
        Assert.Equal("insufficient_credits", Text(reason, 2));
        Assert.Contains("insufficient_credits", Text(over, 5), StringComparison.Ordinal);
        Assert.Equal(4, await _sidecar.SpendableAsync(account));
    }

    /// <summary>
    /// CheckRequest.attributes = 1: AttributeContext with source = 1 (Peer: address = 1, principal = 4),
    /// request = 4 (Request: time = 1, http = 2), context_extensions = 10, metadata_context = 11; HttpRequest: id = 1,
    /// method = 2, headers = 3, path = 4, host = 5, scheme = 6, size = 9, protocol = 10, raw_body = 12.
    /// </summary>
    private static byte[] CheckRequest(string account, string method, string path)
    {
        var http = new ProtoWire()
            .String(1, "6a1b9f1e-3c1d-4d7e-9a51-0d6c1d1b2c3d")
            .String(2, method)
            .MapEntry(3, ":authority", "reports.shop:8080")
            .MapEntry(3, ":method", method)
            .MapEntry(3, ":path", path)
            .MapEntry(3, "x-quota-account", account)
            .String(4, path)
            .String(5, "reports.shop:8080")
            .String(6, "http")
            .Varint(9, -1)
            .String(10, "HTTP/2")
            .Message(12, new ProtoWire()); // raw_body: not in our subset, skipped
        var source = new ProtoWire()
            .Message(1, new ProtoWire().Message(1, new ProtoWire().String(2, "10.1.2.3").Varint(3, 41234))) // Address.socket_address
            .String(4, "spiffe://cluster.local/ns/shop/sa/checkout");
        var attributes = new ProtoWire()
            .Message(1, source)
            .Message(4, new ProtoWire().Message(1, new ProtoWire().Varint(1, 1_767_225_600)).Message(2, http))
            .Message(11, new ProtoWire().Message(1, new ProtoWire().String(1, "istio"))); // metadata_context, skipped
        return new ProtoWire().Message(1, attributes).ToBytes();
    }

    private async Task<byte[]> CallAsync(Method<byte[], byte[]> method, byte[] request) =>
        await _sidecar.Factory.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, Calls.Deadline, request);

    private static ulong Code(Dictionary<int, List<object>> checkResponse) =>
        ProtoWire.Read(Bytes(checkResponse, 1)).TryGetValue(1, out var code) ? (ulong)code[0] : 0ul;

    private static byte[] Bytes(Dictionary<int, List<object>> message, int field) =>
        message.TryGetValue(field, out var values) ? (byte[])values[0] : throw new InvalidOperationException($"field {field} is missing");

    private static string Text(Dictionary<int, List<object>> message, int field) => Encoding.UTF8.GetString(Bytes(message, field));
}
