using QuotaSidecar.Api.V1;
using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Grpc;

/// <summary>The GetUsage answer: the ledger's usage per label set, filtered (every label of the filter, same value).</summary>
internal static class UsageAnswer
{
    public static GetUsageResponse For(string accountId, IReadOnlyList<LabelUsage> usage, IReadOnlyCollection<KeyValuePair<string, string>> filter)
    {
        var response = new GetUsageResponse { AccountId = accountId };
        foreach (var (labelSet, amount) in usage)
        {
            if (!UsageLabels.Matches(labelSet, filter))
            {
                continue;
            }

            var entry = new LabelSetUsage { Amount = amount, Overflow = labelSet == UsageLabels.Overflow };
            foreach (var (key, value) in UsageLabels.Parse(labelSet, "label_set"))
            {
                entry.Labels.Add(key, value);
            }

            response.Usage.Add(entry);
            response.Total += amount;
        }

        return response;
    }
}
