using Microsoft.Extensions.Options;
using QuotaSidecar.Core;

namespace QuotaSidecar.Envoy;

/// <summary>Checks <see cref="EnvoyOptions"/> at start; every failure names the setting and says what to fix.</summary>
internal sealed class EnvoyOptionsValidator : IValidateOptions<EnvoyOptions>
{
    private const string S = EnvoyOptions.Section;

    public ValidateOptionsResult Validate(string? name, EnvoyOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.AccountSource))
        {
            errors.Add($"{S}:AccountSource must be Header or SourcePrincipal (got '{options.AccountSource}')");
        }

        if (options.AccountSource == EnvoyAccountSource.Header && !IsHeaderName(options.AccountHeader))
        {
            errors.Add($"{S}:AccountHeader must be a header name such as x-quota-account (got '{options.AccountHeader}')");
        }

        if (options.AccountSource == EnvoyAccountSource.SourcePrincipal && options.PrincipalAccounts.Count == 0)
        {
            errors.Add($"{S}:AccountSource is SourcePrincipal but {S}:PrincipalAccounts is empty: add Principal/Account pairs");
        }

        for (var i = 0; i < options.PrincipalAccounts.Count; i++)
        {
            var p = options.PrincipalAccounts[i];
            if (string.IsNullOrWhiteSpace(p.Principal))
            {
                errors.Add($"{S}:PrincipalAccounts:{i}:Principal is required (e.g. spiffe://cluster.local/ns/shop/sa/checkout)");
            }

            AccountId(errors, $"{S}:PrincipalAccounts:{i}:Account", p.Account);
        }

        if (options.CostHeader is { Length: > 0 } costHeader && !IsHeaderName(costHeader))
        {
            errors.Add($"{S}:CostHeader must be a header name such as x-quota-cost, or unset (got '{costHeader}')");
        }

        Cost(errors, $"{S}:DefaultCost", options.DefaultCost);
        for (var i = 0; i < options.PathCosts.Count; i++)
        {
            var p = options.PathCosts[i];
            if (!p.Prefix.StartsWith('/'))
            {
                errors.Add($"{S}:PathCosts:{i}:Prefix must start with '/' (got '{p.Prefix}')");
            }

            if (p.Method is { Length: > 0 } method && !method.All(char.IsAsciiLetterUpper))
            {
                errors.Add($"{S}:PathCosts:{i}:Method must be an upper-case HTTP method such as POST, or unset (got '{method}')");
            }

            Cost(errors, $"{S}:PathCosts:{i}:Cost", p.Cost);
        }

        if (options.DeniedStatus is not (402 or 429))
        {
            errors.Add($"{S}:DeniedStatus must be 429 (Too Many Requests) or 402 (Payment Required) (got {options.DeniedStatus})");
        }

        if (!IsHeaderName(options.ReasonHeader))
        {
            errors.Add($"{S}:ReasonHeader must be a header name such as x-quota-denied-reason (got '{options.ReasonHeader}')");
        }

        if (options.BalanceHeader is { Length: > 0 } balanceHeader && !IsHeaderName(balanceHeader))
        {
            errors.Add($"{S}:BalanceHeader must be a header name such as x-quota-remaining, or empty (got '{balanceHeader}')");
        }

        if (string.IsNullOrWhiteSpace(options.RateLimit.AccountKey))
        {
            errors.Add($"{S}:RateLimit:AccountKey is required (e.g. quota_account)");
        }

        if (string.IsNullOrWhiteSpace(options.RateLimit.CostKey))
        {
            errors.Add($"{S}:RateLimit:CostKey is required (e.g. quota_cost)");
        }
        else if (options.RateLimit.CostKey == options.RateLimit.AccountKey)
        {
            errors.Add($"{S}:RateLimit:CostKey and {S}:RateLimit:AccountKey must differ (both '{options.RateLimit.CostKey}')");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // RFC 9110 token characters; pseudo headers and spaces are not accepted.
    private static bool IsHeaderName(string? value) =>
        !string.IsNullOrEmpty(value) && value.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static void Cost(List<string> errors, string setting, long cost)
    {
        if (cost is < 1 or > Validation.MaxAmount)
        {
            errors.Add($"{setting} must be 1..{Validation.MaxAmount} credits (got {cost})");
        }
    }

    private static void AccountId(List<string> errors, string setting, string account)
    {
        try
        {
            Validation.AccountId(account, setting);
        }
        catch (QuotaException e)
        {
            errors.Add(e.Message);
        }
    }
}
