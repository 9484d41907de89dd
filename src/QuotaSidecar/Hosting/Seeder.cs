using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;
using QuotaSidecar.Core.Accounts;
using QuotaSidecar.Core.Grants;
using QuotaSidecar.Core.Ledger;

namespace QuotaSidecar.Hosting;

/// <summary>Creates the configured seed accounts at start. Idempotent: the seed grant id is fixed per account.</summary>
internal sealed class Seeder(ICentralLedger ledger, IOptions<QuotaOptions> options, ILogger<Seeder> logger) : IHostedService
{
    private volatile bool _done;

    /// <summary>The seed accounts exist (readiness waits for it, so a probe never races the seeding).</summary>
    public bool Done => _done;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var seed in options.Value.Seed.Accounts)
        {
            var existing = await ledger.GetAccountAsync(seed.AccountId, cancellationToken);
            if (existing is null)
            {
                await ledger.UpsertAccountAsync(
                    new AccountPolicy(
                        seed.AccountId, AccountStatus.Active, seed.OverageMode, seed.OverageLimit, seed.LowBalanceThreshold, seed.Unit,
                        string.IsNullOrEmpty(seed.ParentId) ? null : seed.ParentId),
                    cancellationToken);
            }

            if (seed.Credits > 0)
            {
                await ledger.GrantAsync(new GrantSpec(seed.AccountId, $"seed-{seed.AccountId}", seed.Credits), cancellationToken);
            }

            HostLog.Seeded(logger, seed.AccountId, seed.Credits);
        }

        _done = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
