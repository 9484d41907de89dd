using Microsoft.Extensions.Logging;

namespace QuotaSidecar.Core.Usage;

internal static partial class UsageLog
{
    [LoggerMessage(1200, LogLevel.Warning, "Usage labels of account {AccountId} reached the cap of distinct label sets (Quota:Usage:MaxLabelSets, {Where}): {Credits} credits went to the overflow set _overflow=true. Use fewer distinct label values (no ids in labels) or raise the cap. Further cases this minute are only counted (quota_usage_label_overflow_total)")]
    public static partial void LabelOverflow(ILogger logger, string accountId, string where, long credits);
}
