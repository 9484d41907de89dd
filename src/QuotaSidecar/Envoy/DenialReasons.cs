using QuotaSidecar.Core.Engine;

namespace QuotaSidecar.Envoy;

/// <summary>The reason tokens sent in the reason header (and response bodies) of Envoy denials.</summary>
internal static class DenialReasons
{
    public const string MissingAccount = "missing_account";
    public const string InvalidAccount = "invalid_account";
    public const string InvalidCost = "invalid_cost";
    public const string AccountNotAllowed = "account_not_allowed";

    public static string Of(DenyReason reason) => reason == DenyReason.None ? "denied" : DenyReasonTokens.Of(reason) ?? "denied";
}
