using System.Diagnostics;
using System.Net.Sockets;

namespace QuotaSidecar.LoadTest.Network;

/// <summary>Round-trip time of a Redis PING, to report what the delay proxy really adds.</summary>
internal static class RedisPing
{
    /// <summary>Median PING round trip to 127.0.0.1:<paramref name="port"/> over <paramref name="count"/> pings, microseconds.</summary>
    public static async Task<double> MedianMicrosecondsAsync(int port, int count, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        var stream = client.GetStream();
        var ping = "PING\r\n"u8.ToArray();
        var buffer = new byte[64];
        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await stream.WriteAsync(ping, cancellationToken);
            var read = 0;
            while (read < 7)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
                if (n == 0)
                {
                    throw new IOException("Redis closed the connection");
                }

                read += n;
            }

            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(samples);
        return samples[count / 2];
    }
}
