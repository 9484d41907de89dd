using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Tests.Output;

public sealed class DecisionTextTests
{
    [Theory]
    [InlineData(Decision.Granted, DenyReason.Unspecified, "GRANTED")]
    [InlineData(Decision.Denied, DenyReason.InsufficientCredits, "DENIED (INSUFFICIENT_CREDITS)")]
    [InlineData(Decision.Denied, DenyReason.StoreUnavailable, "DENIED (STORE_UNAVAILABLE)")]
    [InlineData(Decision.Denied, DenyReason.Unspecified, "DENIED")]
    [InlineData(Decision.Unspecified, DenyReason.Unspecified, "UNSPECIFIED")]
    public void The_decision_line_names_the_reason_of_a_denial(Decision decision, DenyReason reason, string expected)
    {
        Assert.Equal(expected, DecisionText.Format(decision, reason));
    }

    [Theory]
    [InlineData(Decision.Granted, 0)]
    [InlineData(Decision.Denied, 3)]
    [InlineData(Decision.Unspecified, 3)]
    [InlineData((Decision)9, 3)]
    public void Only_granted_exits_0_so_scripts_fail_closed(Decision decision, int expected)
    {
        Assert.Equal(expected, DecisionText.ExitCode(decision));
    }
}
