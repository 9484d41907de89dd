using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Core.Holds;

/// <summary>The remembered answer of a Consume with a request id: what a retry is checked against and gets again
/// (64 bytes; the key is the same request id string).</summary>
internal sealed class ConsumeAnswer(string requestId, string accountId, long amount, ConsumeResult result)
{
    public string RequestId { get; } = requestId;

    public string AccountId { get; } = accountId;

    public long Amount { get; } = amount;

    public ConsumeResult Result { get; } = result;
}
