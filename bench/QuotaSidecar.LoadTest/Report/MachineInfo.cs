using System.Runtime.InteropServices;

namespace QuotaSidecar.LoadTest.Report;

/// <summary>What the numbers were measured on, read from /proc where available.</summary>
internal sealed record MachineInfo(string Cpu, int LogicalCores, string Memory, string Kernel, string Runtime, string LoadAverage)
{
    public static MachineInfo Read() => new(
        FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        FirstValue("/proc/meminfo", "MemTotal") ?? "?",
        ReadAll("/proc/version")?.Split(' ').Skip(2).FirstOrDefault() ?? RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        LoadAverageNow());

    /// <summary>The 1/5/15-minute load averages: how busy the shared machine was around the run.</summary>
    public static string LoadAverageNow() => string.Join(' ', (ReadAll("/proc/loadavg") ?? "?").Split(' ').Take(3));

    private static string? FirstValue(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    private static string? ReadAll(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
