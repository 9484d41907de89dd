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
            ? $"{text} ({EnumVocabulary<DenyReason>.Instance.Display(reason).ToUpperInvariant()})"
            : text;
    }

    /// <summary>
    /// A denial is an answer, not an error, but scripts must be able to tell it from success. Only GRANTED is success:
    /// a decision this build does not know is treated as a denial, so <c>quotactl consume ... &amp;&amp; work</c> fails closed.
    /// </summary>
    public static int ExitCode(Decision decision) => decision == Decision.Granted ? ExitCodes.Success : ExitCodes.Denied;
}
