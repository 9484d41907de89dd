namespace QuotaSidecar.Redis.Scripts;

/// <summary>One function of the ledger's Redis function library, as FCALL names it.</summary>
/// <param name="Name">The short name, e.g. <c>exchange</c>; also the metric tag.</param>
/// <param name="FunctionName">The registered name, with the library's version: <c>quota_exchange_&lt;version&gt;</c>.</param>
internal sealed record LedgerFunction(string Name, string FunctionName);
