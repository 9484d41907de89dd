namespace QuotaSidecar.LoadTest;

/// <summary>
/// How a run of the tool stops: at its own deadline, at the first Ctrl-C (finishing cleanly), or at once at the
/// second; and the children it started die with it however it ends (normal exit, Ctrl-C, an unhandled exception).
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private volatile bool _interrupted;

    public StopSignal(TimeSpan deadline)
    {
        _stop = new CancellationTokenSource(deadline);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => ChildProcess.KillAll();
        Console.CancelKeyPress += (_, e) =>
        {
            if (_interrupted)
            {
                ChildProcess.KillAll(); // second Ctrl-C: stop now
                return;
            }

            _interrupted = true;
            e.Cancel = true;
            _stop.Cancel();
        };
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>The deadline passed or the user interrupted.</summary>
    public bool IsCancellationRequested => _stop.IsCancellationRequested;

    /// <summary>The user interrupted (Ctrl-C), as opposed to the deadline.</summary>
    public bool Interrupted => _interrupted;

    public void Dispose() => _stop.Dispose();
}
