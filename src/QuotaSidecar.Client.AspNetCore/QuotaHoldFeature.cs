namespace QuotaSidecar.Client.AspNetCore;

internal sealed class QuotaHoldFeature(QuotaHold hold) : IQuotaHoldFeature
{
    public QuotaHold Hold { get; } = hold;
}
