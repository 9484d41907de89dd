using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Holds;

/// <summary>The remembered answer of a Consume with a request id: what a retry is checked against and gets again
/// (56 bytes; the key is the request id itself).</summary>
internal sealed class ConsumeAnswer(string accountId, long amount, ConsumeResult result)
{
    public string AccountId { get; } = accountId;

    public long Amount { get; } = amount;

    public ConsumeResult Result { get; } = result;
}
