using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Core;
using QuotaSidecar.Core.Engine;
using AccountView = QuotaSidecar.Core.Ledger.AccountView;
using ICentralLedger = QuotaSidecar.Core.Ledger.ICentralLedger;
using CoreAccounts = QuotaSidecar.Core.Accounts;
using CoreGrants = QuotaSidecar.Core.Grants;

namespace QuotaSidecar.Grpc;

/// <summary>Accounts, grants and the ledger, straight against the central ledger. Every call needs the bearer token.</summary>
internal sealed partial class QuotaAdminService(ICentralLedger ledger, QuotaEngine engine, AdminAuthorization auth) : QuotaAdmin.QuotaAdminBase
{
    public override async Task<Account> UpsertAccount(UpsertAccountRequest request, ServerCallContext context)
    {
        auth.Check(context);
        var policy = new CoreAccounts.AccountPolicy(
            request.AccountId,
            RequestValidation.Enum(request.Status, CoreAccounts.AccountStatus.Active, "status"),
            RequestValidation.Enum(request.OverageMode, CoreAccounts.OverageMode.Hard, "overage_mode"),
            request.OverageLimit,
            request.LowBalanceThreshold,
            request.Unit,
            await ParentOf(request, context.CancellationToken));
        var view = await ledger.UpsertAccountAsync(policy, context.CancellationToken);
        engine.ApplyPolicy(view.Policy);
        return ToProto(view);
    }

    /// <summary>The accounts whose parent is the account (docs/design.md#account-tree), ordered by id, paged.</summary>
    public override async Task<ListChildAccountsResponse> ListChildAccounts(ListChildAccountsRequest request, ServerCallContext context)
    {
        auth.Check(context);
        Validation.AccountId(request.AccountId, "account_id");
        if (request.PageSize is < 0 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"page_size must be between 0 (default 100) and 1000 (got {request.PageSize})");
        }

        if (request.PageToken.Length > 0)
        {
            try
            {
                Validation.AccountId(request.PageToken, "page_token");
            }
            catch (QuotaException e)
            {
                throw new QuotaException(QuotaError.InvalidArgument, $"page_token must be the next_page_token of a previous page: {e.Message}");
            }
        }

        var page = await ledger.ListChildrenAsync(request.AccountId, request.PageToken, request.PageSize == 0 ? 100 : request.PageSize, context.CancellationToken);
        var response = new ListChildAccountsResponse { NextPageToken = page.Next };
        response.ChildIds.Add(page.ChildIds);
        return response;
    }

    public override async Task<Account> GetAccount(GetAccountRequest request, ServerCallContext context)
    {
        auth.Check(context);
        var view = await ledger.GetAccountAsync(request.AccountId, context.CancellationToken)
            ?? throw new QuotaException(QuotaError.NotFound, $"account '{request.AccountId}' not found");
        return ToProto(view);
    }

    public override async Task<Grant> GrantCredits(GrantCreditsRequest request, ServerCallContext context)
    {
        auth.Check(context);
        CoreGrants.Recurrence? recurrence = null;
        if (request.Recurrence is { } r)
        {
            if (r.Period == RecurrencePeriod.Unspecified)
            {
                throw new QuotaException(QuotaError.InvalidArgument, "recurrence.period must be DAILY, WEEKLY, MONTHLY, HOURLY or MINUTE when recurrence is set");
            }

            recurrence = new CoreGrants.Recurrence(RequestValidation.Enum(r.Period, CoreGrants.RecurrencePeriod.Daily, "recurrence.period"), r.RolloverMax);
        }

        var spec = new CoreGrants.GrantSpec(
            request.AccountId,
            request.GrantId,
            request.Amount,
            request.Priority == 0 ? CoreGrants.GrantSpec.DefaultPriority : request.Priority,
            RequestValidation.Enum(request.Category, CoreGrants.GrantCategory.Paid, "category"),
            RequestValidation.Time(request.EffectiveAt, "effective_at"),
            RequestValidation.Time(request.ExpiresAt, "expires_at"),
            recurrence,
            request.Metadata.Count == 0 ? null : new Dictionary<string, string>(request.Metadata));
        return ToProto(await ledger.GrantAsync(spec, context.CancellationToken));
    }

    public override async Task<Grant> VoidGrant(VoidGrantRequest request, ServerCallContext context)
    {
        auth.Check(context);
        return ToProto(await ledger.VoidGrantAsync(request.AccountId, request.GrantId, context.CancellationToken));
    }

    public override async Task<ListGrantsResponse> ListGrants(ListGrantsRequest request, ServerCallContext context)
    {
        auth.Check(context);
        var response = new ListGrantsResponse();
        foreach (var grant in await ledger.ListGrantsAsync(request.AccountId, request.IncludeInactive, context.CancellationToken))
        {
            response.Grants.Add(ToProto(grant));
        }

        return response;
    }

    public override async Task<ListLedgerEntriesResponse> ListLedgerEntries(ListLedgerEntriesRequest request, ServerCallContext context)
    {
        auth.Check(context);
        if (request.Limit is < 0 or > 1000)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"limit must be between 0 (default 100) and 1000 (got {request.Limit})");
        }

        if (request.After.Length > 128)
        {
            throw new QuotaException(QuotaError.InvalidArgument, $"after must be a cursor from a previous page (at most 128 characters, got {request.After.Length})");
        }

        var page = await ledger.ListEntriesAsync(request.AccountId, request.After, request.Limit == 0 ? 100 : request.Limit, context.CancellationToken);
        var response = new ListLedgerEntriesResponse { Next = page.Next };
        foreach (var e in page.Entries)
        {
            response.Entries.Add(new LedgerEntry
            {
                EntryId = e.EntryId,
                At = Timestamp.FromDateTimeOffset(e.At),
                Kind = (LedgerEntryKind)e.Kind,
                Amount = e.Amount,
                GrantId = e.GrantId,
                Source = e.Source,
            });
        }

        return response;
    }

    public override async Task<GetUsageResponse> GetUsage(GetUsageRequest request, ServerCallContext context)
    {
        auth.Check(context);
        if (request.Labels.Count > 0)
        {
            RequestValidation.Labels(request.Labels, "labels");
        }

        var usage = await ledger.GetUsageAsync(request.AccountId, context.CancellationToken)
            ?? throw new QuotaException(QuotaError.NotFound, $"account '{request.AccountId}' not found");
        return UsageAnswer.For(request.AccountId, usage, request.Labels);
    }

    // parent_id unset keeps the account's parent (none for a new account): read it first. A change made between this read
    // and the upsert by another admin call is overwritten, like any other field of a concurrent upsert. Empty: a root.
    private async Task<string?> ParentOf(UpsertAccountRequest request, CancellationToken cancellationToken)
    {
        if (request.HasParentId)
        {
            return request.ParentId.Length == 0 ? null : request.ParentId;
        }

        Validation.AccountId(request.AccountId, "account_id");
        var current = await ledger.GetAccountAsync(request.AccountId, cancellationToken);
        return current?.Policy.ParentId;
    }

    private static Account ToProto(AccountView view) => new()
    {
        AccountId = view.Policy.AccountId,
        ParentId = view.Policy.ParentId ?? "",
        Status = (AccountStatus)view.Policy.Status,
        OverageMode = (OverageMode)view.Policy.OverageMode,
        OverageLimit = view.Policy.OverageLimit,
        LowBalanceThreshold = view.Policy.LowBalanceThreshold,
        Unit = view.Policy.Unit,
        Balance = new Balance
        {
            Available = view.Balance.Available,
            Leased = view.Balance.Leased,
            Consumed = view.Balance.Consumed,
            Expired = view.Balance.Expired,
            Voided = view.Balance.Voided,
            Overage = view.Balance.Overage,
            Granted = view.Balance.Granted,
        },
    };

    private static Grant ToProto(CoreGrants.Grant g)
    {
        var grant = new Grant
        {
            GrantId = g.GrantId,
            AccountId = g.AccountId,
            Amount = g.Amount,
            Remaining = g.Remaining,
            Priority = g.Priority,
            Category = (GrantCategory)g.Category,
            EffectiveAt = Timestamp.FromDateTimeOffset(g.EffectiveAt),
            CreatedAt = Timestamp.FromDateTimeOffset(g.CreatedAt),
        };
        if (g.ExpiresAt is { } expires)
        {
            grant.ExpiresAt = Timestamp.FromDateTimeOffset(expires);
        }

        if (g.VoidedAt is { } voided)
        {
            grant.VoidedAt = Timestamp.FromDateTimeOffset(voided);
        }

        if (g.Recurrence is { } r)
        {
            grant.Recurrence = new Recurrence { Period = (RecurrencePeriod)r.Period, RolloverMax = r.RolloverMax };
        }

        foreach (var (key, value) in g.Metadata)
        {
            grant.Metadata[key] = value;
        }

        return grant;
    }
}
