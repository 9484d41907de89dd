namespace QuotaSidecar.Core.Journal;

/// <summary>What one segment file of an earlier instance holds: its header (null: unreadable) and the records that
/// check out, in order; whether its last record was torn, and where it is corrupt (-1: nowhere).</summary>
internal sealed record SegmentScan(string Path, SegmentHeader? Header, IReadOnlyList<JournalRecord> Records, long TornAt, long CorruptAt, string? CorruptReason)
{
    /// <summary>Reads a segment file. Records are read up to the first zero length; a record that does not check out
    /// is torn when everything from it on (past the longest record) is zero and it is in its instance's last segment
    /// (<paramref name="last"/> decides that once the header is known), otherwise corrupt.</summary>
    public static SegmentScan Read(string path, Func<SegmentHeader, bool> last)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SegmentScan(path, null, [], -1, 0, "unreadable: " + e.Message);
        }

        var header = JournalFormat.ReadHeader(bytes);
        if (header is null)
        {
            return new SegmentScan(path, null, [], -1, 0, bytes.AsSpan().ContainsAnyExcept((byte)0) ? "bad header" : "empty");
        }

        var records = new List<JournalRecord>();
        var position = JournalFormat.HeaderBytes;
        while (true)
        {
            var result = JournalFormat.TryReadRecord(bytes.AsSpan(position), out var record, out var length);
            if (result == JournalFormat.ReadResult.End)
            {
                return new SegmentScan(path, header, records, -1, -1, null);
            }

            if (result == JournalFormat.ReadResult.Bad)
            {
                var after = Math.Min(bytes.Length, position + JournalFormat.TornWindow);
                var torn = last(header) && !bytes.AsSpan(after).ContainsAnyExcept((byte)0);
                return torn ? new SegmentScan(path, header, records, position, -1, null)
                    : new SegmentScan(path, header, records, -1, position, "a record that does not check out, with more data after it");
            }

            records.Add(record);
            position += length;
        }
    }

    /// <summary>An all-zero file: a crash while the segment was being made.</summary>
    public bool Empty => Header is null && CorruptReason == "empty";
}
