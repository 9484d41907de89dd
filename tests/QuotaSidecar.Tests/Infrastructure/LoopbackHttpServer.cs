using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>A real HTTP server (Kestrel on a free loopback port) with one POST route: what the tests' receivers of
/// webhooks and exported usage stand on.</summary>
internal static class LoopbackHttpServer
{
    /// <summary>Starts the server; returns it (dispose to stop) and the route's absolute URL.</summary>
    public static async Task<(WebApplication App, string Url)> StartAsync(string path, Delegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost(path, handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address + path);
    }
}
