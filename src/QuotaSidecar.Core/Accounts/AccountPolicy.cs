namespace QuotaSidecar.Core.Accounts;

/// <summary>
/// The settings of one credit pool: everything about an account except its grants and balance.
/// Sidecars cache it; the ledger is its source of truth.
/// </summary>
/// <param name="AccountId">1–128 characters of <c>[A-Za-z0-9._:-]</c>.</param>
/// <param name="Status">Active or suspended.</param>
/// <param name="OverageMode">HARD denies at zero credits; SOFT allows <paramref name="OverageLimit"/> of debt.</param>
/// <param name="OverageLimit">Credits of debt allowed in SOFT mode (ignored in HARD mode), &gt;= 0.</param>
/// <param name="LowBalanceThreshold">Responses carry <c>low_balance</c> once spendable credits are at or below this, &gt;= 0.</param>
/// <param name="Unit">Display name of the credit unit, e.g. <c>api_call</c>.</param>
/// <param name="ParentId">The parent in the account tree (docs/design.md#account-tree), null for a root: every charge
/// of this account also charges the parent and its ancestors.</param>
public sealed record AccountPolicy(
    string AccountId,
    AccountStatus Status = AccountStatus.Active,
    OverageMode OverageMode = OverageMode.Hard,
    long OverageLimit = 0,
    long LowBalanceThreshold = 0,
    string Unit = "",
    string? ParentId = null)
{
    /// <summary>Throws <see cref="QuotaException"/> (InvalidArgument) when a field is out of range.</summary>
    public void Validate()
    {
        Validation.AccountId(AccountId, "account_id");
        if (!Enum.IsDefined(Status))
        {
            throw QuotaException.Invalid($"status must be ACTIVE or SUSPENDED (got {(int)Status})");
        }

        if (!Enum.IsDefined(OverageMode))
        {
            throw QuotaException.Invalid($"overage_mode must be HARD, SOFT or TRACK (got {(int)OverageMode})");
        }

        Validation.NonNegativeAmount(OverageLimit, "overage_limit");
        Validation.NonNegativeAmount(LowBalanceThreshold, "low_balance_threshold");
        if (ParentId is not null)
        {
            Validation.AccountId(ParentId, "parent_id");
            if (ParentId == AccountId)
            {
                throw QuotaException.Invalid($"parent_id must name another account (an account cannot be its own parent: '{AccountId}')");
            }
        }

        if (Unit.Length > 64)
        {
            throw QuotaException.Invalid($"unit must be at most 64 characters (got {Unit.Length})");
        }
    }
}
