using Google.Protobuf;

namespace QuotaSidecar.Tests.Envoy;

/// <summary>
/// Protobuf written and read by field number with CodedOutputStream/CodedInputStream, independent of the generated
/// types: what any client built from Envoy's own .proto files puts on the wire.
/// </summary>
internal sealed class ProtoWire
{
    private readonly MemoryStream _buffer = new();
    private readonly CodedOutputStream _output;

    public ProtoWire() => _output = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoWire String(int field, string value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteString(value);
        return this;
    }

    public ProtoWire Varint(int field, long value)
    {
        _output.WriteTag(field, WireFormat.WireType.Varint);
        _output.WriteInt64(value);
        return this;
    }

    public ProtoWire Message(int field, ProtoWire message)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteBytes(ByteString.CopyFrom(message.ToBytes()));
        return this;
    }

    /// <summary>One entry of a <c>map&lt;string, string&gt;</c> field: a message with key = 1 and value = 2.</summary>
    public ProtoWire MapEntry(int field, string key, string value) => Message(field, new ProtoWire().String(1, key).String(2, value));

    public byte[] ToBytes()
    {
        _output.Flush();
        return _buffer.ToArray();
    }

    /// <summary>Every field of a message by number: varints as ulong, length-delimited fields as byte[].</summary>
    public static Dictionary<int, List<object>> Read(byte[] message)
    {
        var fields = new Dictionary<int, List<object>>();
        var input = new CodedInputStream(message);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            object value = WireFormat.GetTagWireType(tag) switch
            {
                Google.Protobuf.WireFormat.WireType.Varint => input.ReadUInt64(),
                Google.Protobuf.WireFormat.WireType.LengthDelimited => input.ReadBytes().ToByteArray(),
                var other => throw new InvalidOperationException($"unexpected wire type {other}"),
            };
            var number = WireFormat.GetTagFieldNumber(tag);
            if (!fields.TryGetValue(number, out var list))
            {
                fields[number] = list = [];
            }

            list.Add(value);
        }

        return fields;
    }
}
