using QuotaSidecar.Api.Envoy.Auth.V3;
using QuotaSidecar.Core;

namespace QuotaSidecar.Envoy;

/// <summary>
/// Which account an ext_authz check charges and how much, from <see cref="EnvoyOptions"/>: the account from a header
/// or the caller's principal; the cost from the route's context extension, else the cost header (if enabled), else
/// the longest matching path prefix, else the default. Immutable: part of the <see cref="Configuration.LiveSettings"/>
/// snapshot, rebuilt when the settings file is reloaded.
/// </summary>
internal sealed class CheckRules
{
    private readonly string _accountHeader;
    private readonly string? _costHeader;
    private readonly Dictionary<string, string> _principals;
    private readonly EnvoyPathCost[] _paths;

    public CheckRules(EnvoyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _accountHeader = Options.AccountHeader.ToLowerInvariant(); // Envoy sends header keys lower-cased
        _costHeader = string.IsNullOrEmpty(Options.CostHeader) ? null : Options.CostHeader.ToLowerInvariant();
        _principals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in Options.PrincipalAccounts)
        {
            _principals[p.Principal] = p.Account;
        }

        _paths = [.. Options.PathCosts.OrderByDescending(p => p.Prefix.Length).ThenByDescending(p => p.Method is { Length: > 0 })];
        AccountField = Options.AccountSource == EnvoyAccountSource.Header ? $"header {_accountHeader}" : "the account mapped to attributes.source.principal";
    }

    public EnvoyOptions Options { get; }

    /// <summary>Where the account comes from, for messages ("header x-quota-account").</summary>
    public string AccountField { get; }

    /// <summary>The account to charge, or null when the request names none.</summary>
    public string? Account(AttributeContext attributes, AttributeContext.Types.HttpRequest http)
    {
        if (Options.AccountSource == EnvoyAccountSource.SourcePrincipal)
        {
            var principal = attributes.Source?.Principal;
            return !string.IsNullOrEmpty(principal) && _principals.TryGetValue(principal, out var mapped) ? mapped : null;
        }

        return Header(http, _accountHeader) is { } value && value.Trim() is { Length: > 0 } account ? account : null;
    }

    /// <summary>The request's cost; false with a message naming the source when a given cost is malformed.</summary>
    public bool TryCost(AttributeContext attributes, AttributeContext.Types.HttpRequest http, out long cost, out string? error)
    {
        error = null;
        if (attributes.ContextExtensions.TryGetValue(Options.CostContextKey, out var routeCost))
        {
            return TryParse(routeCost, $"context_extensions[{Options.CostContextKey}]", out cost, out error);
        }

        if (_costHeader is not null && Header(http, _costHeader) is { } headerCost)
        {
            return TryParse(headerCost, $"header {_costHeader}", out cost, out error);
        }

        var path = http.Path;
        var query = path.IndexOf('?', StringComparison.Ordinal);
        var pathOnly = query < 0 ? path.AsSpan() : path.AsSpan(0, query);
        foreach (var rule in _paths)
        {
            if (pathOnly.StartsWith(rule.Prefix, StringComparison.Ordinal)
                && (string.IsNullOrEmpty(rule.Method) || string.Equals(rule.Method, http.Method, StringComparison.OrdinalIgnoreCase)))
            {
                cost = rule.Cost;
                return true;
            }
        }

        cost = Options.DefaultCost;
        return true;
    }

    /// <summary>A header of the checked request: from <c>headers</c>, or from <c>header_map</c> when Envoy sends raw headers.</summary>
    public static string? Header(AttributeContext.Types.HttpRequest http, string lowerName)
    {
        if (http.Headers.TryGetValue(lowerName, out var value))
        {
            return value;
        }

        if (http.HeaderMap is { } map)
        {
            foreach (var h in map.Headers)
            {
                if (string.Equals(h.Key, lowerName, StringComparison.OrdinalIgnoreCase))
                {
                    return h.Value.Length > 0 || h.RawValue.IsEmpty ? h.Value : h.RawValue.ToStringUtf8();
                }
            }
        }

        return null;
    }

    private static bool TryParse(string text, string source, out long cost, out string? error)
    {
        if (long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cost)
            && cost is >= 1 and <= Validation.MaxAmount)
        {
            error = null;
            return true;
        }

        error = $"{source} must be a whole number of credits, 1..{Validation.MaxAmount} (got '{Truncate(text)}')";
        return false;
    }

    private static string Truncate(string text) => text.Length <= 32 ? text : string.Concat(text.AsSpan(0, 32), "...");
}
