using QuotaSidecar.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddQuotaSidecar();
var app = builder.Build();
app.MapQuotaSidecar();
app.Run();

/// <summary>The entry point, visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program;
