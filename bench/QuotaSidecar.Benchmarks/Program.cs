using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using QuotaSidecar.Benchmarks.Redis;

// Engine micro-benchmarks. Arguments are BenchmarkDotNet's own (--filter, --job, --profiler, ...), plus:
//   --dry       one invocation of every benchmark (BenchmarkDotNet's Dry job): the CI smoke run
//   --profile   also record an EventPipe trace per benchmark (BenchmarkDotNet's EventPipe profiler, CPU sampling)
//   --cpu-time [filter] [batches]  instead of BenchmarkDotNet: the single-thread benchmarks timed by the thread's CPU clock (for a
//               shared, overloaded machine, where wall-clock numbers swing by several x)
// Without --filter every benchmark runs (never an interactive prompt, so CI cannot hang on stdin).
if (args is ["--cpu-time", ..])
{
    // --cpu-time [name filter] [batches]
    return QuotaSidecar.Benchmarks.CpuTime.CpuTimeRun.Run(
        args.Length > 1 ? args[1] : null,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 300);
}

var arguments = new List<string>();
foreach (var arg in args)
{
    switch (arg)
    {
        case "--dry":
            arguments.AddRange(["--job", "Dry"]);
            break;
        case "--profile":
            arguments.AddRange(["--profiler", "EP"]);
            break;
        default:
            arguments.Add(arg);
            break;
    }
}

if (!arguments.Exists(a => a is "--filter" or "-f" or "--list" or "--help" or "-h" or "--info"))
{
    arguments.AddRange(["--filter", "*"]);
}

// The Redis ledger benchmarks run only against a reachable Redis (found or started here); otherwise they are left
// out and the reason is printed, so the rest still runs (and CI without Redis stays green).
var types = typeof(Program).Assembly.GetTypes()
    .Where(t => t.IsPublic && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
    .ToList();
if (!arguments.Contains("--list") && LocalRedis.Prepare() is { } noRedis)
{
    Console.WriteLine($"// skipped {nameof(RedisLedgerBenchmarks)}: {noRedis}");
    types.Remove(typeof(RedisLedgerBenchmarks));
}

// The default config keeps BenchmarkDotNet's validators, among them the one that refuses non-optimized builds.
var config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
IEnumerable<BenchmarkDotNet.Reports.Summary> summaries;
try
{
    summaries = BenchmarkSwitcher.FromTypes([.. types]).Run([.. arguments], config);
}
finally
{
    LocalRedis.Stop();
}

// Non-zero when a benchmark failed to build or run, or a validator refused the run: CI sees crashes.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.BuildResult.IsBuildSuccess || !r.Success)) ? 1 : 0;
