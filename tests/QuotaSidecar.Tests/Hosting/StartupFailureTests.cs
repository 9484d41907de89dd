using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace QuotaSidecar.Tests.Hosting;

/// <summary>The real executable, started with one thing wrong each time: it must print the setting and the fix on
/// stderr and exit 1 at once, without a stack trace or an abort (exit 134).</summary>
public sealed class StartupFailureTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_setting_the_validator_refuses_is_one_line_naming_it()
    {
        var run = await StartAsync(new() { ["Quota__Admin__Token"] = "short" });

        AssertCleanFailure(run, "Quota:Admin:Token must be at least 16 characters", "Quota__Admin__Token");
        Assert.Single(run.Run.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Every_refused_setting_gets_its_own_line()
    {
        var run = await StartAsync(new() { ["Quota__Admin__Token"] = "short", ["Quota__Leases__MaxShare"] = "2" });

        AssertCleanFailure(run, "Quota:Admin:Token", "Quota:Leases:MaxShare");
        Assert.Equal(2, run.Run.Stderr.Trim().Split('\n').Length);
    }

    [Fact]
    public async Task A_value_that_does_not_convert_names_the_key()
    {
        var run = await StartAsync(new() { ["Quota__Settle__Interval"] = "fast" });

        AssertCleanFailure(run, "'fast' at 'Quota:Settle:Interval'", "Quota__Settle__Interval");
    }

    [Theory]
    [InlineData("Quota__Grpc__Port", "Quota:Grpc:Port")]
    [InlineData("Quota__Http__Port", "Quota:Http:Port")]
    public async Task A_port_in_use_names_the_port_setting(string variable, string setting)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var run = await StartAsync(new() { [variable] = port });

        AssertCleanFailure(run, $"{setting} {port} is already in use", variable);
    }

    [Fact]
    public async Task An_admin_certificate_that_does_not_load_names_the_setting()
    {
        var garbage = Path.Combine(Path.GetTempPath(), $"quota-bad-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(garbage, "not a certificate\n");
        try
        {
            var run = await StartAsync(new()
            {
                ["Quota__Admin__Token"] = "startup-test-admin-token",
                ["Quota__Admin__MtlsPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Quota__Admin__CertificatePath"] = garbage,
                ["Quota__Admin__KeyPath"] = garbage,
                ["Quota__Admin__ClientCaPath"] = garbage,
            });

            AssertCleanFailure(run, "Quota:Admin:CertificatePath and Quota:Admin:KeyPath could not be loaded", "PEM");
        }
        finally
        {
            File.Delete(garbage);
        }
    }

    [Fact]
    public async Task A_redis_client_certificate_that_does_not_load_names_the_setting()
    {
        var garbage = Path.Combine(Path.GetTempPath(), $"quota-bad-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(garbage, "not a certificate\n");
        try
        {
            var run = await StartAsync(new()
            {
                ["Quota__Store"] = "Redis",
                ["Quota__Redis__ConnectionString"] = $"127.0.0.1:{FreePort.Next()}", // never reached: the files fail first
                ["Quota__Redis__TlsCertFile"] = garbage,
                ["Quota__Redis__TlsKeyFile"] = garbage,
            });

            AssertCleanFailure(run, $"Quota:Redis:TlsCertFile '{garbage}'", "could not be loaded");
        }
        finally
        {
            File.Delete(garbage);
        }
    }

    [Fact]
    public async Task A_journal_directory_that_cannot_be_made_names_the_setting()
    {
        // Under a regular file: no directory can be made there, whoever runs the test (root ignores permissions).
        var file = Path.Combine(Path.GetTempPath(), $"quota-not-a-dir-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(file, "");
        try
        {
            var run = await StartAsync(new()
            {
                ["Quota__Store"] = "Redis",
                ["Quota__Redis__ConnectionString"] = $"127.0.0.1:{FreePort.Next()}",
                ["Quota__Journal__Path"] = Path.Combine(file, "journal"),
            });

            AssertCleanFailure(run, "Quota:Journal:Path", "Fix the volume or its permissions");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_live_settings_file_that_does_not_exist_names_the_setting()
    {
        var run = await StartAsync(new() { ["Quota__SettingsFile"] = Path.Combine(Path.GetTempPath(), $"quota-missing-{Guid.NewGuid():N}.json") });

        AssertCleanFailure(run, "Quota:SettingsFile", "does not exist", "Quota__SettingsFile");
    }

    [Fact]
    public async Task A_live_settings_file_that_is_not_json_names_the_setting()
    {
        var file = Path.Combine(Path.GetTempPath(), $"quota-settings-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{ \"Quota\": ");
        try
        {
            var run = await StartAsync(new() { ["Quota__SettingsFile"] = file });

            AssertCleanFailure(run, "Quota:SettingsFile", "is not valid JSON");
            Assert.Single(run.Run.Stderr.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void AssertCleanFailure(TimedRun run, params string[] expected)
    {
        var r = run.Run;
        Assert.True(r.ExitCode == 1, r.ToString());
        foreach (var text in expected)
        {
            Assert.True(r.Stderr.Contains(text, StringComparison.Ordinal), $"stderr lacks '{text}'\n{r}");
        }

        Assert.StartsWith("QuotaSidecar cannot start: ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr + r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", r.Stderr + r.Stdout, StringComparison.Ordinal);
        Assert.True(run.Elapsed < Fast, $"took {run.Elapsed}");
    }

    private static async Task<TimedRun> StartAsync(Dictionary<string, string> settings)
    {
        var env = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Quota__Grpc__Port"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Quota__Http__Port"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            env[key] = value;
        }

        var started = Stopwatch.GetTimestamp();
        var run = await ProcessRun.DotnetAsync(Repository.SidecarDll, [], env, TimeSpan.FromSeconds(60));
        return new TimedRun(run, Stopwatch.GetElapsedTime(started));
    }

    private sealed record TimedRun(ProcessRun Run, TimeSpan Elapsed);
}
