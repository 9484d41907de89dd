namespace QuotaSidecar.Core.Accounts;

/// <summary>Whether an account may take new holds.</summary>
public enum AccountStatus
{
    /// <summary>Reserves and consumes are served.</summary>
    Active = 1,

    /// <summary>New reserves are denied; open holds may still be committed or released.</summary>
    Suspended = 2,
}
