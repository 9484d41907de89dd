namespace QuotaSidecar.Core.Engine;

/// <summary>The kinds of <see cref="ShortfallStep"/>.</summary>
internal enum ShortfallAction
{
    Exchange,
    WaitForReclaim,
    Deny,
}
