using Google.Protobuf;
using Grpc.Core;
using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Api.Envoy.Config.Core.V3;
using QuotaSidecar.Tests.Infrastructure;
using HttpCode = QuotaSidecar.Api.Envoy.Type.V3.StatusCode;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>envoy.service.auth.v3.Authorization/Check over a real gRPC channel, with requests shaped as Envoy sends them.</summary>
public sealed class ExtAuthzServiceTests : IClassFixture<EnvoySidecar>
{
    private const int GrpcOk = 0;
    private const int GrpcInvalidArgument = 3;
    private const int GrpcPermissionDenied = 7;
    private const int GrpcResourceExhausted = 8;

    private readonly EnvoySidecar _sidecar;

    public ExtAuthzServiceTests(EnvoySidecar sidecar) => _sidecar = sidecar;

    [Fact]
    public async Task An_allowed_request_is_charged_to_the_account_in_the_header()
    {
        var account = await _sidecar.NewAccountAsync(100);

        var response = await CheckAsync(EnvoyRequests.Check("GET", "/healthcheck?verbose=1", account));

        Assert.Equal(GrpcOk, response.Status.Code);
        Assert.Equal(CheckResponse.HttpResponseOneofCase.OkResponse, response.HttpResponseCase);
        Assert.Equal(account, Header(response.OkResponse.Headers, "x-quota-account"));
        Assert.Equal(HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd, response.OkResponse.Headers[0].AppendAction);
        Assert.Equal("99", Header(response.OkResponse.ResponseHeadersToAdd, "x-quota-remaining"));
        Assert.Equal(99, await _sidecar.SpendableAsync(account));
    }

    [Theory]
    [InlineData("POST", "/v1/reports/42?format=pdf", 5)] // longest prefix, method matches
    [InlineData("GET", "/v1/reports/42", 2)]             // method differs: the shorter prefix
    [InlineData("POST", "/v1/reportsX", 5)]              // plain string prefix, as Envoy's route prefix
    [InlineData("GET", "/v2/other", 1)]                  // nothing matches: the default cost
    [InlineData("GET", "/?next=/v1/reports", 1)]         // the query string is not part of the path
    public async Task The_cost_comes_from_the_longest_matching_path_prefix(string method, string path, long cost)
    {
        var account = await _sidecar.NewAccountAsync(100);

        var response = await CheckAsync(EnvoyRequests.Check(method, path, account));

        Assert.Equal(GrpcOk, response.Status.Code);
        Assert.Equal(100 - cost, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task A_route_context_extension_and_the_cost_header_set_the_cost()
    {
        var account = await _sidecar.NewAccountAsync(100);
        var routed = EnvoyRequests.Check("POST", "/v1/reports", new Dictionary<string, string> { ["x-quota-account"] = account, ["x-quota-cost"] = "9" });
        routed.Attributes.ContextExtensions.Add("quota_cost", "7");

        var fromRoute = await CheckAsync(routed);
        var afterRoute = await _sidecar.SpendableAsync(account);
        var fromHeader = await CheckAsync(EnvoyRequests.Check("POST", "/v1/reports", new Dictionary<string, string> { ["x-quota-account"] = account, ["x-quota-cost"] = "9" }));

        Assert.Equal(GrpcOk, fromRoute.Status.Code);
        Assert.Equal(93, afterRoute);
        Assert.Equal(GrpcOk, fromHeader.Status.Code);
        Assert.Equal(84, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task Requests_are_denied_with_429_and_a_reason_once_the_credits_run_out()
    {
        var account = await _sidecar.NewAccountAsync(12);
        var request = EnvoyRequests.Check("POST", "/v1/reports", account);

        var first = await CheckAsync(request);
        var second = await CheckAsync(request);
        var third = await CheckAsync(request);

        Assert.Equal(GrpcOk, first.Status.Code);
        Assert.Equal(GrpcOk, second.Status.Code);
        Assert.Equal(GrpcResourceExhausted, third.Status.Code);
        Assert.Equal(CheckResponse.HttpResponseOneofCase.DeniedResponse, third.HttpResponseCase);
        Assert.Equal(HttpCode.TooManyRequests, third.DeniedResponse.Status.Code);
        Assert.Equal("insufficient_credits", Header(third.DeniedResponse.Headers, "x-quota-denied-reason"));
        Assert.Equal("2", Header(third.DeniedResponse.Headers, "x-quota-remaining"));
        Assert.Contains("insufficient_credits", third.DeniedResponse.Body, StringComparison.Ordinal);
        Assert.Equal(2, await _sidecar.SpendableAsync(account)); // a denial charges nothing
    }

    [Fact]
    public async Task Denied_status_402_is_configurable()
    {
        using var factory = EnvoySidecar.Configure(new SidecarFactory()).With("Quota:Envoy:DeniedStatus", "402").With("Quota:Envoy:ReasonHeader", "x-why");
        var account = await EnvoySidecar.NewAccountAsync(factory, 1);

        var response = await new Authorization.AuthorizationClient(factory.Channel).CheckAsync(EnvoyRequests.Check("POST", "/v1/reports", account), Calls.Deadline);

        Assert.Equal(HttpCode.PaymentRequired, response.DeniedResponse.Status.Code);
        Assert.Equal("insufficient_credits", Header(response.DeniedResponse.Headers, "x-why"));
    }

    [Fact]
    public async Task A_request_without_an_account_is_denied_403_not_failed()
    {
        var response = await CheckAsync(EnvoyRequests.Check("GET", "/v1/reports"));

        Assert.Equal(GrpcPermissionDenied, response.Status.Code);
        Assert.Equal(HttpCode.Forbidden, response.DeniedResponse.Status.Code);
        Assert.Equal("missing_account", Header(response.DeniedResponse.Headers, "x-quota-denied-reason"));
        Assert.Contains("header x-quota-account is required", response.DeniedResponse.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x-quota-account", "bad account!", "invalid_account", "header x-quota-account may contain only")]
    [InlineData("x-quota-cost", "0", "invalid_cost", "header x-quota-cost must be a whole number of credits")]
    [InlineData("x-quota-cost", "-3", "invalid_cost", "got '-3'")]
    [InlineData("x-quota-cost", "ten", "invalid_cost", "got 'ten'")]
    public async Task Malformed_account_or_cost_is_denied_400_with_the_reason(string header, string value, string reason, string message)
    {
        var account = await _sidecar.NewAccountAsync(10);
        var headers = new Dictionary<string, string> { ["x-quota-account"] = account, [header] = value };

        var response = await CheckAsync(EnvoyRequests.Check("GET", "/", headers));

        Assert.Equal(GrpcInvalidArgument, response.Status.Code);
        Assert.Equal(HttpCode.BadRequest, response.DeniedResponse.Status.Code);
        Assert.Equal(reason, Header(response.DeniedResponse.Headers, "x-quota-denied-reason"));
        Assert.Contains(message, response.DeniedResponse.Body, StringComparison.Ordinal);
        Assert.Equal(10, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task An_unknown_account_is_denied_403()
    {
        var response = await CheckAsync(EnvoyRequests.Check("GET", "/", "nobody-by-that-name"));

        Assert.Equal(GrpcPermissionDenied, response.Status.Code);
        Assert.Equal(HttpCode.Forbidden, response.DeniedResponse.Status.Code);
        Assert.Equal("unknown_account", Header(response.DeniedResponse.Headers, "x-quota-denied-reason"));
    }

    [Fact]
    public async Task Raw_headers_in_header_map_are_read_when_Envoy_encodes_raw_headers()
    {
        var account = await _sidecar.NewAccountAsync(10);
        var request = EnvoyRequests.Check("GET", "/", new Dictionary<string, string>());
        var http = request.Attributes.Request.Http;
        http.HeaderMap = new HeaderMap();
        foreach (var (key, value) in http.Headers)
        {
            http.HeaderMap.Headers.Add(new HeaderValue { Key = key, RawValue = ByteString.CopyFromUtf8(value) });
        }

        http.HeaderMap.Headers.Add(new HeaderValue { Key = "x-quota-account", RawValue = ByteString.CopyFromUtf8(account) });
        http.Headers.Clear();

        var response = await CheckAsync(request);

        Assert.Equal(GrpcOk, response.Status.Code);
        Assert.Equal(9, await _sidecar.SpendableAsync(account));
    }

    [Fact]
    public async Task A_check_without_an_http_request_is_invalid_argument_naming_the_field()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await CheckAsync(new CheckRequest { Attributes = new AttributeContext() }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("attributes.request.http is required", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Low_balance_is_signalled_in_a_response_header()
    {
        var account = await _sidecar.NewAccountAsync(10, lowBalance: 8);

        var above = await CheckAsync(EnvoyRequests.Check("GET", "/", account));
        var at = await CheckAsync(EnvoyRequests.Check("GET", "/", account));

        Assert.Null(Header(above.OkResponse.ResponseHeadersToAdd, "x-quota-low-balance"));
        Assert.Equal("true", Header(at.OkResponse.ResponseHeadersToAdd, "x-quota-low-balance"));
    }

    [Fact]
    public async Task With_SourcePrincipal_the_mtls_identity_picks_the_account_and_the_header_is_ignored()
    {
        const string checkout = "spiffe://cluster.local/ns/shop/sa/checkout";
        var account = EnvoySidecar.NewAccountId();
        using var factory = new SidecarFactory()
            .With("Quota:Envoy:AccountSource", "SourcePrincipal")
            .With("Quota:Envoy:PrincipalAccounts:0:Principal", checkout)
            .With("Quota:Envoy:PrincipalAccounts:0:Account", account);
        await EnvoySidecar.NewAccountAsync(factory, 10, id: account);
        var other = await EnvoySidecar.NewAccountAsync(factory, 10);
        var client = new Authorization.AuthorizationClient(factory.Channel);

        var mapped = await client.CheckAsync(EnvoyRequests.Check("GET", "/", new Dictionary<string, string> { ["x-quota-account"] = other }, checkout), Calls.Deadline);
        var unmapped = await client.CheckAsync(EnvoyRequests.Check("GET", "/", new Dictionary<string, string> { ["x-quota-account"] = other }, "spiffe://cluster.local/ns/shop/sa/intruder"), Calls.Deadline);

        Assert.Equal(GrpcOk, mapped.Status.Code);
        Assert.Equal(9, await EnvoySidecar.SpendableAsync(factory, account));
        Assert.Equal(10, await EnvoySidecar.SpendableAsync(factory, other));
        Assert.Equal("missing_account", Header(unmapped.DeniedResponse.Headers, "x-quota-denied-reason"));
    }

    [Fact]
    public async Task The_header_names_the_leaf_of_a_tree_and_a_denial_names_the_account_that_refused()
    {
        // org (100) → team (cap 3) → key (TRACK): the mesh names only the key; the sidecar charges the path.
        var admin = _sidecar.Factory.Admin;
        var org = await _sidecar.NewAccountAsync(100);
        var team = await EnvoySidecar.NewAccountAsync(_sidecar.Factory, 3);
        await admin.UpsertAccountAsync(new Api.V1.UpsertAccountRequest { AccountId = team, ParentId = org }, Calls.Admin());
        var key = EnvoySidecar.NewAccountId();
        await admin.UpsertAccountAsync(new Api.V1.UpsertAccountRequest { AccountId = key, ParentId = team, OverageMode = Api.V1.OverageMode.Track }, Calls.Admin());
        var request = EnvoyRequests.Check("GET", "/", key);

        var answers = new List<CheckResponse>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await CheckAsync(request));
        }

        Assert.All(answers.Take(3), a => Assert.Equal(GrpcOk, a.Status.Code));
        Assert.Equal(GrpcResourceExhausted, answers[3].Status.Code);
        Assert.Equal("ancestor_insufficient_credits", Header(answers[3].DeniedResponse.Headers, "x-quota-denied-reason"));
        Assert.Equal(team, Header(answers[3].DeniedResponse.Headers, "x-quota-denied-account"));
        Assert.Equal(97, await _sidecar.SpendableAsync(org));
    }

    private async Task<CheckResponse> CheckAsync(CheckRequest request) => await _sidecar.Authorization.CheckAsync(request, Calls.Deadline);

    private static string? Header(IEnumerable<HeaderValueOption> headers, string key) =>
        headers.FirstOrDefault(h => h.Header.Key == key)?.Header.Value;
}
