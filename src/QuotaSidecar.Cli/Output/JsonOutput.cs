using Google.Protobuf;

namespace QuotaSidecar.Cli.Output;

/// <summary>
/// <c>--json</c>: the response message in the canonical protobuf JSON mapping (lowerCamelCase names, enum value
/// names, int64 as strings), the same shape any gRPC JSON tool prints. Scalar zero values are written too, so a
/// script reads <c>"held": "0"</c> instead of finding the field missing; unset message fields are left out.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithFormatDefaultValues(true)
        .WithIndentation());

    public static void Write(TextWriter writer, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(Formatter.Format(message));
    }

    /// <summary>Several messages as one JSON array, each in the same mapping as <see cref="Write"/>.</summary>
    public static void WriteArray(TextWriter writer, IEnumerable<IMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(messages);
        writer.WriteLine("[" + string.Join(",\n", messages.Select(m => Formatter.Format(m))) + "]");
    }
}
