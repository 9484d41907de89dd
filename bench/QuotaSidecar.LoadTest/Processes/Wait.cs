using System.Diagnostics;

namespace QuotaSidecar.LoadTest.Processes;

/// <summary>Polls a condition until it holds or a deadline passes.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or Grpc.Core.RpcException or TaskCanceledException)
            {
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException(failure());
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
