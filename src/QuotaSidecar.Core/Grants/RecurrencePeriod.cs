namespace QuotaSidecar.Core.Grants;

/// <summary>How often a recurring allowance renews, anchored at the grant's effective time (UTC).</summary>
public enum RecurrencePeriod
{
    /// <summary>Every 24 hours.</summary>
    Daily = 1,

    /// <summary>Every 7 days.</summary>
    Weekly = 2,

    /// <summary>Every calendar month (the anchor's day, clamped to the month's length).</summary>
    Monthly = 3,

    /// <summary>Every hour (spend-rate caps).</summary>
    Hourly = 4,

    /// <summary>Every minute (spend-rate caps).</summary>
    Minute = 5,
}
