namespace QuotaSidecar.LoadTest.Network;

/// <summary>How the load tool reaches a server: TCP on 127.0.0.1, or a Unix domain socket.</summary>
internal enum Transport
{
    Tcp,
    Unix,
}
