using QuotaSidecar.Core.Accounts;

namespace QuotaSidecar.Core.Ledger;

/// <summary>An account's settings with its central balance.</summary>
public sealed record AccountView(AccountPolicy Policy, Balance Balance);
