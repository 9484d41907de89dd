using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core;

namespace QuotaSidecar.Hosting;

/// <summary>
/// Runs the sidecar and turns a failure to start (an invalid setting, a port in use, a certificate that does not load,
/// a journal directory that cannot be written) into a few lines on stderr that name the setting and the fix, and exit
/// code 1: no stack trace, no abort (an exception escaping Main is SIGABRT, exit 134 and a core dump in a container).
/// Exit codes: 0 stopped normally, 1 could not start (docs/deploy.md#exit-codes).
/// </summary>
internal static partial class StartupFailure
{
    /// <summary>The exit code of a sidecar that could not start.</summary>
    public const int ExitCode = 1;

    /// <summary>The host logs a failed start itself, with the stack trace; this category is muted until the host has
    /// started, and the failure is printed by <see cref="RunAsync"/> instead.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>True when this is the sidecar's own process. A host that runs <c>Program</c> from another assembly (a
    /// test's WebApplicationFactory) is given the exception instead: it waits for the app to start or to throw, and an
    /// entry point that returned 1 would leave it a disposed host rather than the reason.</summary>
    private static bool OwnProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(StartupFailure).Assembly;

    /// <summary>Builds and runs the sidecar; returns the process's exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        QuotaOptions? settings = null;
        var started = false; // per run, not static: a test process starts many hosts, some of them meant to fail
        try
        {
            var builder = WebApplication.CreateBuilder(args);
            builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Information && (Volatile.Read(ref started) || level < LogLevel.Error));
            builder.AddQuotaSidecar();
            settings = QuotaSidecarHost.ReadBeforeValidation(builder.Configuration);
            await using var app = builder.Build();
            app.MapQuotaSidecar();
            app.Lifetime.ApplicationStarted.Register(() => Volatile.Write(ref started, true));
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (!Volatile.Read(ref started) && OwnProcess && e is not HostAbortedException) // HostAbortedException: a test host took the app
        {
            foreach (var line in Describe(e, settings ?? new QuotaOptions()))
            {
                await stderr.WriteLineAsync($"QuotaSidecar cannot start: {line}");
            }

            await stderr.FlushAsync();
            return ExitCode;
        }
    }

    /// <summary>What to print for <paramref name="failure"/>: one line per problem, each naming the setting (as written
    /// in appsettings.json and as an environment variable) where one is known.</summary>
    internal static IReadOnlyList<string> Describe(Exception failure, QuotaOptions settings)
    {
        var lines = new List<string>();
        foreach (var e in Causes(failure))
        {
            switch (e)
            {
                case OptionsValidationException invalid:
                    lines.AddRange(invalid.Failures.Select(WithVariable));
                    break;
                case StartupException or QuotaException:
                    lines.Add(WithVariable(e.Message));
                    break;
                case IOException when Find<AddressInUseException>(e) is not null:
                    lines.Add(PortInUse(e.Message, settings));
                    break;
                case CryptographicException:
                    lines.Add($"a certificate or key could not be loaded ({e.Message}); check Quota:Admin:CertificatePath, KeyPath, ClientCaPath and Quota:Redis:TlsCaFile, TlsCertFile, TlsKeyFile (PEM files)");
                    break;
                case InvalidOperationException when e.Message.Contains("Quota", StringComparison.Ordinal):
                case ArgumentException or FormatException or InvalidDataException:
                    // Binding errors ("Failed to convert configuration value at 'Quota:Grpc:Port'...") and malformed
                    // appsettings.json: their messages name the key or the file.
                    lines.Add(WithVariable(e.Message + (e.InnerException is { } inner ? $" ({inner.Message})" : "")));
                    break;
                default:
                    // Not a known kind: a defect rather than a setting, so the whole exception is shown.
                    lines.Add($"unexpected {e}");
                    break;
            }
        }

        return lines;
    }

    /// <summary>The failures inside <paramref name="e"/>: a host that fails to start several services throws them
    /// together; the dependency-injection container and reflection wrap others.</summary>
    private static IEnumerable<Exception> Causes(Exception e) => e switch
    {
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.SelectMany(Causes),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Causes(inner),
        _ when Find<OptionsValidationException>(e) is { } invalid => [invalid],
        _ when Find<StartupException>(e) is { } startup => [startup],
        _ => [e],
    };

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static string PortInUse(string message, QuotaOptions settings)
    {
        // Kestrel: "Failed to bind to address http://127.0.0.1:7070: address already in use."
        var match = BoundPort().Match(message);
        var port = match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        var setting = port == settings.Grpc.Port ? "Quota:Grpc:Port"
            : port == settings.Http.Port ? "Quota:Http:Port"
            : port == settings.Admin.MtlsPort ? "Quota:Admin:MtlsPort"
            : null;
        return setting is null
            ? $"{message} Stop the process that holds it, or change Quota:Grpc:Port, Quota:Http:Port or Quota:Admin:MtlsPort"
            : WithVariable($"{setting} {port} is already in use by another process: stop that process or choose another port for {setting}");
    }

    /// <summary>Adds the environment-variable spelling of the first setting the line names: <c>Quota__Admin__Token</c>.</summary>
    private static string WithVariable(string line)
    {
        var setting = SettingName().Match(line);
        return setting.Success ? $"{line} [environment variable {setting.Value.Replace(":", "__", StringComparison.Ordinal)}]" : line;
    }

    [GeneratedRegex(@"Quota(:[A-Za-z0-9]+)+")]
    private static partial Regex SettingName();

    [GeneratedRegex(@":(\d{1,5})(?:[:/]|$|\s)")]
    private static partial Regex BoundPort();
}
