namespace QuotaSidecar.Core.Journal;

/// <summary>A segment file's header: its number within its instance, when it was made (UTC ticks), its size and
/// the instance that wrote it.</summary>
internal sealed record SegmentHeader(long Number, long CreatedTicks, long Size, string InstanceId);
