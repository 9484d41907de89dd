namespace QuotaSidecar.Configuration;

public sealed class SeedOptions
{
    /// <summary>Accounts to create (or update) at start, each with one grant of <see cref="SeedAccount.Credits"/>.</summary>
    public List<SeedAccount> Accounts { get; set; } = [];
}
