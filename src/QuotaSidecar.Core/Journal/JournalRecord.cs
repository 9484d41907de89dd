namespace QuotaSidecar.Core.Journal;

/// <summary>One decoded journal record. <see cref="Sequence"/> is the exchange's (Exchange, Ack) or the last one
/// composed before the usage (Usage); <see cref="Amount"/> is the usage (Usage) or the usage carried (Exchange).</summary>
internal readonly record struct JournalRecord(JournalRecordKind Kind, string Account, long Sequence, long Amount, long ComposedAtTicks);
