using System.Text.Json;

namespace QuotaSidecar.Redis;

/// <summary>Grant metadata as stored in Redis: a JSON object of strings, opaque to the scripts ("" when none).</summary>
internal static class GrantMetadata
{
    public static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    public static string Encode(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return "";
        }

        var copy = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        return JsonSerializer.Serialize(copy, GrantMetadataJsonContext.Default.DictionaryStringString);
    }

    public static IReadOnlyDictionary<string, string> Decode(string? stored) =>
        string.IsNullOrEmpty(stored)
            ? Empty
            : JsonSerializer.Deserialize(stored, GrantMetadataJsonContext.Default.DictionaryStringString) ?? Empty;
}
