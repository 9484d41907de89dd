namespace QuotaSidecar.Core.Grants;

/// <summary>Where a grant's credits came from; promotional credits burn before paid ones of equal priority and expiry.</summary>
public enum GrantCategory
{
    /// <summary>Bought credits.</summary>
    Paid = 1,

    /// <summary>Free credits (trials, promotions).</summary>
    Promotional = 2,
}
