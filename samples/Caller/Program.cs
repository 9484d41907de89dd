using System.Net;
using Callee;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

// The caller spends the account given in its own URL when it calls the Callee (Callee:Address, HTTP/2 without TLS):
//   GET  /render/{account}/{name}  -> gRPC Reports/Render with metadata x-quota-account
//   POST /export/{account}/{name}  -> HTTP POST /exports/{name} with header x-quota-account
// and reports what the Callee answered, including a denial's reason.
var builder = WebApplication.CreateBuilder(args);
var calleeAddress = new Uri(builder.Configuration["Callee:Address"] ?? "http://127.0.0.1:5081");
using var channel = GrpcChannel.ForAddress(calleeAddress);
using var http = new HttpClient { BaseAddress = calleeAddress };

var app = builder.Build();
app.MapGet("/render/{account}/{name}", async (string account, string name) =>
{
    var invoker = channel.CreateCallInvoker();
    var call = invoker.AsyncUnaryCall(
        ReportsContract.Render, null,
        new CallOptions(new Metadata { { "x-quota-account", account } }, TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10)),
        new StringValue { Value = name });
    try
    {
        var reply = await call;
        return Results.Ok(new Outcome("granted", "OK", reply.Value, null));
    }
    catch (RpcException e)
    {
        var reason = e.Trailers.GetValue("x-quota-denied-reason");
        var status = e.StatusCode == StatusCode.ResourceExhausted ? StatusCodes.Status429TooManyRequests : StatusCodes.Status502BadGateway;
        return Results.Json(new Outcome("refused", e.StatusCode.ToString(), e.Status.Detail, reason), statusCode: status);
    }
});
app.MapPost("/export/{account}/{name}", async (string account, string name) =>
{
    using var request = new HttpRequestMessage(HttpMethod.Post, $"/exports/{Uri.EscapeDataString(name)}")
    {
        Version = HttpVersion.Version20, // the Callee speaks HTTP/2 without TLS (prior knowledge)
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
    request.Headers.Add("x-quota-account", account);
    using var response = await http.SendAsync(request);
    var reason = response.Headers.TryGetValues("x-quota-denied-reason", out var values) ? values.First() : null;
    var body = await response.Content.ReadAsStringAsync();
    var outcome = response.IsSuccessStatusCode ? "granted" : "refused";
    return Results.Json(new Outcome(outcome, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), body, reason), statusCode: (int)response.StatusCode);
});
app.MapGet("/healthz", () => "ok");
app.Run();

/// <summary>What the Callee answered.</summary>
internal sealed record Outcome(string Result, string Status, string Detail, string? Reason);
