using QuotaSidecar.Client.AspNetCore;

// The callee charges its callers through its own quota sidecar (Quota:Address, a Unix socket in a pod):
// gRPC Reports/Render costs 5 ([QuotaCost] on the method), HTTP POST /exports/{name} costs what configuration says.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddQuotaClient(o =>
{
    o.Address = builder.Configuration["Quota:Address"] ?? "http://127.0.0.1:7070";
    o.Timeout = builder.Configuration.GetValue("Quota:Timeout", o.Timeout);
});
builder.Services.AddQuotaAuthorization(o =>
{
    o.AccountHeader = "x-quota-account";
    o.Costs["POST /exports/{name}"] = builder.Configuration.GetValue("Quota:ExportCost", 20L);
});
builder.Services.AddGrpc(o => o.Interceptors.Add<QuotaServerInterceptor>());

var app = builder.Build();
app.MapGrpcService<Callee.ReportsService>();
app.MapPost("/exports/{name}", (string name) => name == "fail"
        ? throw new InvalidOperationException("the exporter failed")
        : Results.Ok(new { export = name, status = "done" }))
    .RequireQuota();
app.MapGet("/healthz", () => "ok");
app.Run();
