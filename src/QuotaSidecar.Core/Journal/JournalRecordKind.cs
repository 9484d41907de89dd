namespace QuotaSidecar.Core.Journal;

/// <summary>What a journal record says.</summary>
internal enum JournalRecordKind : byte
{
    /// <summary>Usage answered GRANTED (Commit, Consume, commit above the hold, fail-open) and not yet in an
    /// exchange: account, amount, and the sequence of the account's last exchange composed before it.</summary>
    Usage = 1,

    /// <summary>An exchange composed: account, sequence, the usage it carries, when it was composed.</summary>
    Exchange = 2,

    /// <summary>The store's answer to an exchange was applied: account, sequence.</summary>
    Ack = 3,
}
