using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Output;

/// <summary>The first line of a reserve or consume answer: <c>GRANTED</c>, or <c>DENIED (INSUFFICIENT_CREDITS)</c>.</summary>
internal static class DecisionText
{
    public static string Format(Decision decision, DenyReason reason)
    {
        var text = EnumVocabulary<Decision>.Instance.Display(decision).ToUpperInvariant();
        return decision == Decision.Denied && reason != DenyReason.Unspecified
            ? $"{text} ({Reason(reason)})"
            : text;
    }

    /// <summary>As <see cref="Format(Decision, DenyReason)"/>; a shadow-mode grant says what enforcement would have
    /// answered: <c>GRANTED (SHADOW: would deny INSUFFICIENT_CREDITS)</c>. Its exit code stays that of a grant.</summary>
    public static string Format(Decision decision, DenyReason reason, bool shadowDenied, DenyReason shadowReason) =>
        shadowDenied && decision == Decision.Granted
            ? $"{Format(decision, reason)} (SHADOW: would deny {Reason(shadowReason)})"
            : Format(decision, reason);

    private static string Reason(DenyReason reason) => EnumVocabulary<DenyReason>.Instance.Display(reason).ToUpperInvariant();

    /// <summary>
    /// A denial is an answer, not an error, but scripts must be able to tell it from success. Only GRANTED is success:
    /// a decision this build does not know is treated as a denial, so <c>quotactl consume ... &amp;&amp; work</c> fails closed.
    /// </summary>
    public static int ExitCode(Decision decision) => decision == Decision.Granted ? ExitCodes.Success : ExitCodes.Denied;
}
