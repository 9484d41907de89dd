using System.Security.Cryptography;
using System.Text;

namespace QuotaSidecar.Redis.Scripts;

/// <summary>One Lua script as Redis runs it: the shared library followed by the script's body, and its SHA1 (the
/// name EVALSHA calls it by).</summary>
internal sealed class LedgerScript
{
    public LedgerScript(string name, string source)
    {
        Name = name;
        Source = source;
#pragma warning disable CA5350 // Redis names cached scripts by SHA1; this is an identifier, not security.
        Sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(source));
#pragma warning restore CA5350
    }

    /// <summary>The file name without extension, e.g. <c>exchange</c>; also the metric tag.</summary>
    public string Name { get; }

    public string Source { get; }

    public byte[] Sha1 { get; }

    public string Sha1Hex => Convert.ToHexStringLower(Sha1);
}
