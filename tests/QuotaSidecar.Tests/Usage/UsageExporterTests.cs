using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Engine;
using QuotaSidecar.Core.Ledger;
using QuotaSidecar.Core.Usage;
using QuotaSidecar.Usage;

namespace QuotaSidecar.Tests.Usage;

public sealed class UsageExporterTests
{
    [Fact]
    public async Task A_full_queue_drops_the_oldest_events_and_counts_them()
    {
        await using var receiver = await EventReceiver.StartAsync();
        var options = new QuotaOptions();
        options.Usage.Export.Endpoint = receiver.Endpoint;
        options.Usage.Export.MaxQueue = 100;
        options.Usage.Export.BatchSize = 40;
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        long dropped = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "quota.usage.export.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref dropped, value));
        listener.Start();
        using var exporter = new UsageExporter(Options.Create(options), TimeProvider.System, meters, NullLogger<UsageExporter>.Instance);

        for (var sequence = 1; sequence <= 130; sequence++)
        {
            exporter.Applied(new LeaseExchange("acme", "i1", sequence, Used: 3) { LabelUsage = [new LabelUsage("model=large", 2)] }, Applied);
        }

        await exporter.StartAsync(CancellationToken.None);
        await EventReceiver.WaitForAsync(() => Task.FromResult(receiver.Accepted.Count() == 100), "the queued events");
        await exporter.StopAsync(CancellationToken.None);

        Assert.Equal(160, Interlocked.Read(ref dropped)); // 260 events (a labelled one and the rest per exchange), 100 kept
        var sequences = receiver.Accepted.Select(e => int.Parse(e.GetProperty("id").GetString()!.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order();
        Assert.Equal(Enumerable.Range(81, 50), sequences); // the newest
        Assert.All(receiver.Posts, p => Assert.True(p.Events.Length <= 40));
    }

    private static LeaseExchangeResult Applied { get; } = new(true, null, 0, 0, 0, false, 0, DateTimeOffset.UnixEpoch, 0, 0, false);
}
