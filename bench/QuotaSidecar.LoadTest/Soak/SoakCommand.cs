using System.Globalization;
using QuotaSidecar.LoadTest.Report;

namespace QuotaSidecar.LoadTest.Soak;

/// <summary>
/// The soak mode (<c>--soak</c>): each scenario in turn, one sidecar at a time, with its results written as soon as
/// it ends (a long run interrupted later keeps what it finished). Exit code: 0 when every scenario ran its full
/// length without an error (a missed memory budget is reported, not failed, as the other modes report targets),
/// 1 when one failed, errored or was not run, 2 for bad arguments, 130 when interrupted.
/// </summary>
internal static class SoakCommand
{
    /// <summary>Time allowed per scenario beyond its load: starting Redis and the sidecar, draining, writing.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count > 1 && args[0] == "--redraw")
        {
            return SoakRedraw.Run([.. args.Skip(1)]);
        }

        var options = SoakOptions.Parse(args, out var error);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(error);
            return 2;
        }

        var scenarios = options.Scenarios;
        using var stop = new StopSignal((options.Duration + Margin) * scenarios.Count);

        var paths = ToolPaths.Resolve(options.Sidecar, options.Output);
        var machine = MachineInfo.Read();
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var results = new List<SoakResult>();
        try
        {
            using var progress = new ProgressLine();
            var runner = new SoakRunner(options, paths, progress);
            foreach (var scenario in scenarios)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                progress.Note($"soak {scenario.Name}: {scenario.Describe}, {options.Duration.TotalSeconds:0} s, {options.Concurrency} callers");
                var result = await runner.RunAsync(scenario, stop.Token);
                results.Add(result);
                var written = SoakReport.Write(result, Path.Combine(paths.ResultsDirectory, $"soak-{stamp}-{scenario.Name}"), machine, paths.SidecarDll ?? "?", options.Transport.ToString().ToLowerInvariant());
                progress.Note($"written: {written} (+ .csv, .svg)");
            }
        }
        finally
        {
            ChildProcess.KillAll();
            try
            {
                Directory.Delete(paths.RunDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        Console.WriteLine();
        foreach (var result in results)
        {
            Console.WriteLine(result.Verdict);
        }

        var failed = results.Count < scenarios.Count || results.Exists(r => r.Failure is not null || r.Errors > 0);
        return stop.Interrupted ? 130 : failed ? 1 : 0;
    }
}
