using System.Text.Json.Serialization;

namespace QuotaSidecar.Redis;

/// <summary>Source-generated JSON for <see cref="GrantMetadata"/> (no reflection).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class GrantMetadataJsonContext : JsonSerializerContext;
