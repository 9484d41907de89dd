using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;

namespace QuotaSidecar.Cli.Tests.Arguments;

public sealed class EnumVocabularyTests
{
    [Fact]
    public void Names_are_the_value_names_without_prefix_in_lower_case_and_without_unspecified()
    {
        Assert.Equal(["active", "suspended"], EnumVocabulary<AccountStatus>.Instance.Names);
        Assert.Equal(["hard", "soft", "track"], EnumVocabulary<OverageMode>.Instance.Names);
        Assert.Equal(["paid", "promotional"], EnumVocabulary<GrantCategory>.Instance.Names);
    }

    [Fact]
    public void Recurrence_words_include_the_rate_cap_periods()
    {
        Assert.Equal(["daily", "weekly", "monthly", "hourly", "minute"], EnumVocabulary<RecurrencePeriod>.Instance.Names);
        Assert.Equal("daily|weekly|monthly|hourly|minute", EnumVocabulary<RecurrencePeriod>.Instance.HelpName);
        Assert.True(EnumVocabulary<RecurrencePeriod>.Instance.TryParse("MINUTE", out var minute, out _));
        Assert.Equal(RecurrencePeriod.Minute, minute);
        Assert.Equal("hourly", EnumVocabulary<RecurrencePeriod>.Instance.Display(RecurrencePeriod.Hourly));
    }

    [Theory]
    [InlineData("suspended")]
    [InlineData("SUSPENDED")]
    [InlineData("Suspended")]
    [InlineData("ACCOUNT_STATUS_SUSPENDED")]
    public void Input_is_case_insensitive_and_takes_the_full_proto_name(string text)
    {
        Assert.True(EnumVocabulary<AccountStatus>.Instance.TryParse(text, out var value, out var error), error);

        Assert.Equal(AccountStatus.Suspended, value);
    }

    [Theory]
    [InlineData("unspecified")]
    [InlineData("ACCOUNT_STATUS_UNSPECIFIED")]
    [InlineData("2")]
    [InlineData("paused")]
    [InlineData(null)]
    public void Unspecified_numbers_and_unknown_words_are_rejected_with_the_choices(string? text)
    {
        Assert.False(EnumVocabulary<AccountStatus>.Instance.TryParse(text, out _, out var error));

        Assert.Equal($"must be one of active, suspended (got '{text}')", error);
    }

    [Fact]
    public void Display_uses_the_same_words_and_keeps_multi_word_names_readable()
    {
        Assert.Equal("soft", EnumVocabulary<OverageMode>.Instance.Display(OverageMode.Soft));
        Assert.Equal("overage_paid", EnumVocabulary<LedgerEntryKind>.Instance.Display(LedgerEntryKind.OveragePaid));
        Assert.Equal("insufficient_credits", EnumVocabulary<DenyReason>.Instance.Display(DenyReason.InsufficientCredits));
        Assert.Equal("unspecified", EnumVocabulary<AccountStatus>.Instance.Display(AccountStatus.Unspecified));
    }

    [Fact]
    public void A_value_newer_than_this_build_displays_as_its_number()
    {
        Assert.Equal("99", EnumVocabulary<DenyReason>.Instance.Display((DenyReason)99));
    }
}
