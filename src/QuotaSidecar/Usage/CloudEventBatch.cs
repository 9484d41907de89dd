using System.Buffers;
using System.Globalization;
using System.Text.Json;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Usage;

/// <summary>
/// Writes usage events as a CloudEvents 1.0 JSON batch (<c>application/cloudevents-batch+json</c>: a JSON array of
/// structured events), the format OpenMeter's ingest endpoint takes. Each event: <c>specversion</c>, <c>id</c>,
/// <c>source</c>, <c>type</c>, <c>subject</c> (the account), <c>time</c>, <c>datacontenttype</c> and <c>data</c>
/// <c>{ "account_id", "amount", "labels": { key: value } }</c>. Hand-written with <see cref="Utf8JsonWriter"/>: seven
/// attributes of one fixed shape do not need the CloudNative.CloudEvents SDK and its dependencies.
/// </summary>
internal static class CloudEventBatch
{
    public const string MediaType = "application/cloudevents-batch+json";

    public static byte[] Write(IReadOnlyList<UsageEvent> events, string source, string type)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * events.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var e in events)
            {
                json.WriteStartObject();
                json.WriteString("specversion", "1.0");
                json.WriteString("id", e.Id);
                json.WriteString("source", source);
                json.WriteString("type", type);
                json.WriteString("subject", e.AccountId);
                json.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                json.WriteString("datacontenttype", "application/json");
                json.WriteStartObject("data");
                json.WriteString("account_id", e.AccountId);
                json.WriteNumber("amount", e.Amount);
                json.WriteStartObject("labels");
                if (e.LabelSet is { } set)
                {
                    foreach (var (key, value) in UsageLabels.Parse(set, "label_set"))
                    {
                        json.WriteString(key, value);
                    }
                }

                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
