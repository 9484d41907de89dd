using QuotaSidecar.Core.Usage;

namespace QuotaSidecar.Core.Tests.Usage;

public sealed class UsageLabelsTests
{
    [Fact]
    public void Canonical_form_sorts_keys_and_escapes_percent_and_comma_in_values()
    {
        var canonical = UsageLabels.Canonical(Labels(("region", "eu,west"), ("model", "100%=large")), "labels");

        Assert.Equal("model=100%25=large,region=eu%2Cwest", canonical);
        Assert.Equal(Labels(("model", "100%=large"), ("region", "eu,west")), UsageLabels.Parse(canonical!, "label_set"));
    }

    [Fact]
    public void No_labels_have_no_canonical_form()
    {
        Assert.Null(UsageLabels.Canonical(Labels(), "labels"));
    }

    [Theory]
    [InlineData("mo del", "x", "labels key 'mo del' may contain only [A-Za-z0-9_.:/-]")]
    [InlineData("k=v", "x", "labels key 'k=v' may contain only [A-Za-z0-9_.:/-]")]
    [InlineData("_overflow", "true", "labels key '_overflow' is reserved")]
    [InlineData("", "x", "labels keys must be 1-64 characters")]
    [InlineData("k", "tab\there", "labels value of 'k' may not contain control characters")]
    public void Invalid_labels_are_rejected_naming_the_field(string key, string value, string message)
    {
        var e = Assert.Throws<QuotaException>(() => UsageLabels.Canonical(Labels((key, value)), "labels"));

        Assert.Equal(QuotaError.InvalidArgument, e.Error);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_are_exact()
    {
        var longest = Labels((new string('k', 64), new string('v', 128)));
        Assert.NotNull(UsageLabels.Canonical(longest, "labels"));
        Assert.NotNull(UsageLabels.Canonical(Labels(("Model/Name:v1", "Größe, groß")), "labels"));
        Assert.Throws<QuotaException>(() => UsageLabels.Canonical(Labels((new string('k', 65), "v")), "labels"));
        Assert.Throws<QuotaException>(() => UsageLabels.Canonical(Labels(("k", new string('v', 129))), "labels"));

        var sixteen = Enumerable.Range(0, 16).Select(i => new KeyValuePair<string, string>($"k{i}", "v")).ToList();
        Assert.NotNull(UsageLabels.Canonical(sixteen, "labels"));
        sixteen.Add(new("k16", "v"));
        var e = Assert.Throws<QuotaException>(() => UsageLabels.Canonical(sixteen, "labels"));
        Assert.Contains("at most 16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_matches_when_every_label_it_names_has_its_value()
    {
        const string set = "model=large,region=eu";

        Assert.True(UsageLabels.Matches(set, Labels()));
        Assert.True(UsageLabels.Matches(set, Labels(("model", "large"))));
        Assert.True(UsageLabels.Matches(set, Labels(("region", "eu"), ("model", "large"))));
        Assert.False(UsageLabels.Matches(set, Labels(("model", "small"))));
        Assert.False(UsageLabels.Matches(set, Labels(("tier", "gold"))));
        Assert.True(UsageLabels.Matches(UsageLabels.Overflow, Labels()));
    }

    private static List<KeyValuePair<string, string>> Labels(params (string Key, string Value)[] labels) =>
        labels.Select(l => new KeyValuePair<string, string>(l.Key, l.Value)).ToList();
}
