using System.Diagnostics;
using System.Globalization;
using QuotaSidecar.LoadTest.Load;

namespace QuotaSidecar.LoadTest.Report;

/// <summary>
/// One line on stderr, rewritten in place while a run goes: which run of how many, time, requests, rate and the
/// median so far. When stderr is not a terminal (CI logs) it prints one line per run instead.
/// </summary>
internal sealed class ProgressLine : IDisposable
{
    private readonly bool _live = !Console.IsErrorRedirected;
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private string _label = "";
    private RunRecorder? _recorder;
    private long _started;
    private TimeSpan _planned;
    private int _width;

    public ProgressLine() => _timer = new Timer(_ => Render(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));

    /// <summary>Shows <paramref name="label"/> while <paramref name="recorder"/> fills for about <paramref name="planned"/>.</summary>
    public void Track(string label, RunRecorder? recorder, TimeSpan planned)
    {
        lock (_gate)
        {
            _label = label;
            _recorder = recorder;
            _planned = planned;
            _started = Stopwatch.GetTimestamp();
        }

        if (!_live)
        {
            Console.Error.WriteLine(label);
        }

        Render();
    }

    /// <summary>Prints a message on its own line (the progress line is redrawn after it).</summary>
    public void Note(string message)
    {
        lock (_gate)
        {
            Clear();
            Console.Error.WriteLine(message);
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            Clear();
        }
    }

    private void Render()
    {
        if (!_live)
        {
            return;
        }

        lock (_gate)
        {
            var elapsed = Stopwatch.GetElapsedTime(_started);
            var text = _label + string.Create(CultureInfo.InvariantCulture, $"  {elapsed.TotalSeconds:0.0}/{_planned.TotalSeconds:0.0}s");
            if (_recorder is { } r)
            {
                var n = r.Requests;
                text += string.Create(CultureInfo.InvariantCulture, $"  {n:N0} req  {n / Math.Max(0.001, elapsed.TotalSeconds):N0}/s  p50 {RunRecorder.Microseconds(r.Latency, 50):0}µs");
                if (r.Errors > 0)
                {
                    text += string.Create(CultureInfo.InvariantCulture, $"  errors {r.Errors}");
                }
            }

            var columns = Console.IsOutputRedirected ? 120 : Math.Max(40, Console.WindowWidth);
            text = text.Length >= columns ? text[..(columns - 1)] : text;
            Console.Error.Write("\r" + text.PadRight(Math.Max(_width, text.Length)));
            _width = text.Length;
        }
    }

    private void Clear()
    {
        if (_live && _width > 0)
        {
            Console.Error.Write("\r" + new string(' ', _width) + "\r");
            _width = 0;
        }
    }
}
