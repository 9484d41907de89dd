using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace QuotaSidecar.Core.Events;

/// <summary>
/// The Standard Webhooks signature (docs/design.md#webhooks): <c>v1,</c> and base64 of HMAC-SHA256, keyed with the
/// secret's bytes, over <c>{webhook-id}.{webhook-timestamp}.{body}</c>. A few lines of System.Security.Cryptography
/// rather than a package: nothing else of one is needed to send.
/// </summary>
public static class WebhookSignature
{
    private const string SecretPrefix = "whsec_";

    /// <summary>The key bytes of a <c>whsec_</c> secret; false when it is absent or malformed (24 to 64 bytes).</summary>
    public static bool TryReadSecret(string? secret, out byte[] key)
    {
        key = [];
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException)
        {
            return false;
        }

        return key.Length is >= 24 and <= 64;
    }

    /// <summary>The <c>webhook-signature</c> header value for one delivery.</summary>
    public static string Sign(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(id);
        var prefix = Encoding.UTF8.GetBytes(id + "." + timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
