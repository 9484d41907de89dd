using Microsoft.Extensions.Configuration;
using QuotaSidecar.Hosting;

namespace QuotaSidecar.Configuration;

/// <summary>
/// The live settings file (<c>Quota:SettingsFile</c>): JSON of the same shape as appsettings.json, layered over every
/// other configuration source, and polled for changes (docs/deploy.md#live-settings).
/// </summary>
/// <remarks>
/// Polled rather than watched: Kubernetes updates a mounted ConfigMap by swapping the <c>..data</c> symlink of its
/// directory, which an inotify watch on the file never sees; the file is small, so each poll reads it whole and
/// compares the text, which also catches a swap that keeps the modification time. Unlike a JSON file source with
/// <c>reloadOnChange</c>, a new text is only proposed: the data changes (and the configuration's reload token fires,
/// which is how log levels follow) when the owner's decision accepts it, so a malformed or invalid file leaves every
/// setting, log levels included, as it was.
/// </remarks>
internal sealed class SettingsFileProvider : ConfigurationProvider, IDisposable
{
    /// <summary>The setting that names the file.</summary>
    public const string FileSetting = "Quota:SettingsFile";

    private readonly TimeProvider _time;
    private readonly Lock _polling = new();
    private Func<IDictionary<string, string?>?, string?, bool>? _decide;
    private ITimer? _timer;
    private string? _seen;

    public SettingsFileProvider(string path, TimeSpan interval, TimeProvider time)
    {
        FilePath = Path.GetFullPath(path);
        Interval = interval;
        _time = time;
    }

    /// <summary>The file's absolute path, as logged.</summary>
    public string FilePath { get; }

    /// <summary>How often the file is read (Quota:SettingsPollInterval as the other sources set it: the file is read
    /// with it, so it cannot set it itself).</summary>
    public TimeSpan Interval { get; }

    /// <summary>The settings now in force from the file (key → value).</summary>
    public IReadOnlyDictionary<string, string?> Current => new Dictionary<string, string?>(Data, StringComparer.OrdinalIgnoreCase);

    /// <summary>At start: the file must exist and be JSON, or the sidecar does not start.</summary>
    public override void Load()
    {
        var (text, data, error) = Read();
        if (error is not null)
        {
            throw new StartupException($"{FileSetting} '{FilePath}' {error}");
        }

        _seen = text;
        Data = data!;
    }

    /// <summary>Starts polling; each new text of the file (or a new failure to read it) is passed to
    /// <paramref name="decide"/> (data, or null and the error), and the data replace the current ones if it returns true.</summary>
    public void Watch(Func<IDictionary<string, string?>?, string?, bool> decide)
    {
        _decide = decide;
        _timer = _time.CreateTimer(_ => Poll(), null, Interval, Interval);
    }

    /// <summary>One poll: reads the file and proposes it if its text changed since the last poll.</summary>
    public void Poll()
    {
        if (_decide is not { } decide || !_polling.TryEnter())
        {
            return; // not watched yet, or the previous poll is still deciding
        }

        try
        {
            var (text, data, error) = Read();
            var seen = error is null ? text : "error: " + error;
            if (seen == _seen)
            {
                return;
            }

            _seen = seen;
            if (decide(data, error is null ? null : $"{FileSetting} '{FilePath}' {error}"))
            {
                Data = data!;
                OnReload();
            }
        }
        finally
        {
            _polling.Exit();
        }
    }

    public void Dispose() => _timer?.Dispose();

    private (string? Text, Dictionary<string, string?>? Data, string? Error) Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, null, e is FileNotFoundException or DirectoryNotFoundException
                ? "does not exist: mount the settings file there, or unset the setting"
                : $"cannot be read ({e.Message})");
        }

        try
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
            var parsed = new ConfigurationBuilder().AddJsonStream(stream).Build();
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in parsed.AsEnumerable())
            {
                if (value is not null)
                {
                    data[key] = value;
                }
            }

            return (text, data, null);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            return (text, null, $"is not valid JSON of the appsettings.json shape ({e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")})");
        }
    }
}
