using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace QuotaSidecar.Core.Journal;

/// <summary>
/// The bytes of a segment file. A 256-byte header (magic, version, segment number, creation time, size, the
/// instance id, a CRC-32C of the header), then records back to back: <c>u32 body length, u32 CRC-32C of the body,
/// body</c>, where the body is <c>u8 kind, u8 account length, account (ASCII), the kind's i64 fields</c>
/// (little-endian). The file is pre-allocated and zero-filled, so a zero length marks the end of the records.
/// CRC-32C is <see cref="BitOperations.Crc32C(uint, ulong)"/>: hardware-accelerated, no package needed.
/// </summary>
internal static class JournalFormat
{
    public const int HeaderBytes = 256;

    public const int RecordHeaderBytes = 8;

    public const int MaxAccountBytes = 128;

    /// <summary>The longest body: kind, account length, a 128-byte account and three i64 fields.</summary>
    public const int MaxBodyBytes = 2 + MaxAccountBytes + 24;

    /// <summary>Beyond a torn record (crash mid-write) every byte is zero from here on: the longest record, rounded.</summary>
    public const int TornWindow = 256;

    public const string SegmentExtension = ".seg";

    public const string LockFileName = "journal.lock";

    private const uint Magic = 0x314A5351; // "QSJ1"
    private const ushort Version = 1;
    private const int InstanceOffset = 33;
    private const int HeaderCrcOffset = 248;

    public static int BodyBytes(JournalRecordKind kind, int accountLength) => 2 + accountLength + kind switch
    {
        JournalRecordKind.Usage => 16,
        JournalRecordKind.Exchange => 24,
        _ => 8,
    };

    /// <summary>Writes a record at the start of <paramref name="destination"/> (at least 8 + body bytes); returns its
    /// length. The account id is ASCII (validated by the engine: <c>[A-Za-z0-9._:-]</c>, at most 128).</summary>
    public static int WriteRecord(Span<byte> destination, JournalRecordKind kind, string account, long a, long b, long c)
    {
        var body = destination.Slice(RecordHeaderBytes, BodyBytes(kind, account.Length));
        body[0] = (byte)kind;
        body[1] = (byte)account.Length;
        Encoding.ASCII.GetBytes(account, body.Slice(2, account.Length));
        var fields = body[(2 + account.Length)..];
        BinaryPrimitives.WriteInt64LittleEndian(fields, a);
        if (kind != JournalRecordKind.Ack)
        {
            BinaryPrimitives.WriteInt64LittleEndian(fields[8..], b);
        }

        if (kind == JournalRecordKind.Exchange)
        {
            BinaryPrimitives.WriteInt64LittleEndian(fields[16..], c);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Checksum(body));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)body.Length);
        return RecordHeaderBytes + body.Length;
    }

    /// <summary>
    /// Reads the record at the start of <paramref name="source"/>. <see cref="ReadResult.End"/>: a zero length (no
    /// more records); <see cref="ReadResult.Bad"/>: a length, checksum or body that does not hold together.
    /// </summary>
    public static ReadResult TryReadRecord(ReadOnlySpan<byte> source, out JournalRecord record, out int length)
    {
        record = default;
        length = 0;
        if (source.Length < RecordHeaderBytes)
        {
            return ReadResult.End;
        }

        var bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (bodyLength == 0)
        {
            return ReadResult.End;
        }

        if (bodyLength > MaxBodyBytes || bodyLength > source.Length - RecordHeaderBytes)
        {
            return ReadResult.Bad;
        }

        var body = source.Slice(RecordHeaderBytes, (int)bodyLength);
        if (Checksum(body) != BinaryPrimitives.ReadUInt32LittleEndian(source[4..]))
        {
            return ReadResult.Bad;
        }

        var kind = (JournalRecordKind)body[0];
        int accountLength = body[1];
        if (kind is < JournalRecordKind.Usage or > JournalRecordKind.Ack || accountLength is 0 or > MaxAccountBytes
            || BodyBytes(kind, accountLength) != bodyLength)
        {
            return ReadResult.Bad;
        }

        var account = Encoding.ASCII.GetString(body.Slice(2, accountLength));
        var fields = body[(2 + accountLength)..];
        var first = BinaryPrimitives.ReadInt64LittleEndian(fields);
        record = kind switch
        {
            JournalRecordKind.Usage => new JournalRecord(kind, account, BinaryPrimitives.ReadInt64LittleEndian(fields[8..]), first, 0),
            JournalRecordKind.Exchange => new JournalRecord(kind, account, first, BinaryPrimitives.ReadInt64LittleEndian(fields[8..]), BinaryPrimitives.ReadInt64LittleEndian(fields[16..])),
            _ => new JournalRecord(kind, account, first, 0, 0),
        };
        length = RecordHeaderBytes + (int)bodyLength;
        return ReadResult.Record;
    }

    public static void WriteHeader(Span<byte> destination, long number, long createdTicks, long size, string instanceId)
    {
        destination[..HeaderBytes].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], number);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], createdTicks);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], size);
        var id = Encoding.UTF8.GetBytes(instanceId);
        var length = Math.Min(id.Length, HeaderCrcOffset - InstanceOffset);
        destination[32] = (byte)length;
        id.AsSpan(0, length).CopyTo(destination[InstanceOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[HeaderCrcOffset..], Checksum(destination[..HeaderCrcOffset]));
    }

    /// <summary>The header's fields, or null when it is not a valid header.</summary>
    public static SegmentHeader? ReadHeader(ReadOnlySpan<byte> source)
    {
        if (source.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(source[4..]) != Version
            || Checksum(source[..HeaderCrcOffset]) != BinaryPrimitives.ReadUInt32LittleEndian(source[HeaderCrcOffset..]))
        {
            return null;
        }

        int length = source[32];
        return new SegmentHeader(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            Encoding.UTF8.GetString(source.Slice(InstanceOffset, length)));
    }

    /// <summary>The file name of a segment: the instance id (characters unsafe in a file name replaced) and the number.</summary>
    public static string SegmentFileName(string instanceId, long number)
    {
        var safe = string.Create(instanceId.Length, instanceId, static (span, id) =>
        {
            for (var i = 0; i < id.Length; i++)
            {
                var ch = id[i];
                span[i] = char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_';
            }
        });
        return $"journal-{safe}.{number:D8}{SegmentExtension}";
    }

    /// <summary>CRC-32C, eight bytes at a time.</summary>
    public static uint Checksum(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        var longs = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var value in longs)
        {
            crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        }

        for (var i = longs.Length * 8; i < data.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, data[i]);
        }

        return ~crc;
    }

    public enum ReadResult
    {
        End,
        Record,
        Bad,
    }
}
