using System.Diagnostics;
using QuotaSidecar.LoadTest;
using QuotaSidecar.LoadTest.Plan;
using QuotaSidecar.LoadTest.Report;
using QuotaSidecar.LoadTest.Servers;

// The end-to-end comparison: floor (empty gRPC call) vs the sidecar vs the naive one-Redis-call-per-request design.
//   (no mode)        the full run (~15-20 minutes)
//   --quick          about 2 minutes: the targets' cases and a few more
//   --smoke          a few seconds of load: every path once, no thresholds (CI)
//   --tree           account trees: Reserve+Commit on a flat account vs the leaf of a depth-3 path, side by side (~4 min)
//   --sidecar PATH   the sidecar to run (default: src/QuotaSidecar/bin/Release/net10.0/QuotaSidecar.dll)
//   --out DIR        where to write the .md and .json (default: bench/results)
//   --redis-delay-ms X  delay the proxy adds to each chunk, each direction (default 1; a round trip gains 2X + ~0.3 ms)
//   --proxy-check    only measure what the delay proxy adds to a Redis PING round trip
//   --rounds N       measure each run in N interleaved slices of the mode's length (default: quick 2, full 3)
//   --only TEXT      only the runs whose description contains TEXT (e.g. "unix c8"; repeatable: any of them)
//   --sidecar-env K=V  extra environment for the sidecar processes (repeatable), e.g. Quota__Holds__MaxTtl=00:00:10
//   --soak ...       instead: the soak mode, one sidecar per scenario for 10 minutes each (Soak/SoakOptions.cs, bench/README.md)
// Exit code: 0 when every run completed (targets missed are reported, not failed), 1 when a run or a server
// failed, 2 for bad arguments, 130 when interrupted.
if (args.Length > 0 && args[0] == "--soak")
{
    return await QuotaSidecar.LoadTest.Soak.SoakCommand.RunAsync(args[1..]);
}

string mode = "full";
string? sidecar = null, output = null;
var only = new List<string>();
int? rounds = null;
var sidecarEnvironment = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--redis-delay-ms" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var delay) && delay is > 0 and <= 100:
            RunPlan.DelayMs = delay;
            i++;
            break;
        case "--quick":
            mode = "quick";
            break;
        case "--smoke":
            mode = "smoke";
            break;
        case "--tree":
            mode = "tree";
            break;
        case "--proxy-check":
            return await ProxyCheck.RunAsync();
        case "--full":
            mode = "full";
            break;
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r is >= 1 and <= 100:
            rounds = r;
            i++;
            break;
        case "--only" when i + 1 < args.Length:
            only.Add(args[++i]);
            break;
        case "--sidecar-env" when i + 1 < args.Length && args[i + 1].Contains('=', StringComparison.Ordinal):
            var pair = args[++i].Split('=', 2);
            sidecarEnvironment[pair[0]] = pair[1];
            break;
        case "--sidecar" when i + 1 < args.Length:
            sidecar = Path.GetFullPath(args[++i]);
            break;
        case "--out" when i + 1 < args.Length:
            output = Path.GetFullPath(args[++i]);
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'. Usage: QuotaSidecar.LoadTest [--quick | --smoke | --tree | --full] [--sidecar PATH] [--out DIR] [--redis-delay-ms X] | --proxy-check");
            return 2;
    }
}

var plan = mode switch { "quick" => RunPlan.Quick(), "smoke" => RunPlan.Smoke(), "tree" => RunPlan.Tree(), _ => RunPlan.Full() };
if (rounds is { } n)
{
    // N slices of the mode's slice length: more slices, more pairs for the slice-by-slice ratios.
    plan = plan with { Rounds = n, Duration = plan.Slice * n };
}

if (only.Count > 0)
{
    plan = plan.Only(only);
}

SidecarServer.ExtraEnvironment = sidecarEnvironment;

// Children die with the tool, however it ends: normal exit, Ctrl-C / SIGTERM, or an unhandled exception.
using var stop = new StopSignal(plan.Deadline);

var paths = ToolPaths.Resolve(sidecar, output);
var machine = MachineInfo.Read();
var started = DateTimeOffset.UtcNow;
var clock = Stopwatch.StartNew();
using var progress = new ProgressLine();
var runner = new Runner(plan, paths, progress);
var failed = false;
try
{
    await runner.RunAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    runner.Notes.Add(stop.Interrupted ? "INTERRUPTED: results are partial" : $"STOPPED at the {plan.Mode} deadline ({plan.Deadline}): results are partial");
    failed = !stop.Interrupted;
}
catch (Exception e)
{
    runner.Notes.Add($"FAILED: {e}");
    failed = true;
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

progress.Dispose();
failed |= runner.Notes.Exists(n => n.StartsWith("FAILED", StringComparison.Ordinal)) || runner.Results.Exists(r => r.Errors > 0);
var (markdown, mdPath, jsonPath) = ReportWriter.Write(plan.Mode, started, clock.Elapsed, machine, MachineInfo.LoadAverageNow(), runner.Results, runner.Notes, paths.ResultsDirectory);
Console.WriteLine(markdown);
Console.WriteLine($"Written: {mdPath}");
Console.WriteLine($"         {jsonPath}");
return stop.Interrupted ? 130 : failed ? 1 : 0;
