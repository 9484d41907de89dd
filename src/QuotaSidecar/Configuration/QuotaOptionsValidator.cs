using System.Net;
using Microsoft.Extensions.Options;
using QuotaSidecar.Core;

namespace QuotaSidecar.Configuration;

/// <summary>Checks <see cref="QuotaOptions"/> at start; every failure names the setting and says what to fix.</summary>
internal sealed class QuotaOptionsValidator : IValidateOptions<QuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaOptions options)
    {
        var errors = new List<string>();
        if (!IPAddress.TryParse(options.Grpc.Host, out _))
        {
            errors.Add($"Quota:Grpc:Host must be an IP address such as 127.0.0.1 (got '{options.Grpc.Host}')");
        }

        if (options.Grpc.Port is < 0 or > 65535)
        {
            errors.Add($"Quota:Grpc:Port must be 0-65535, 0 to listen on the Unix socket only (got {options.Grpc.Port})");
        }

        if (options.Grpc.Port == 0 && string.IsNullOrWhiteSpace(options.Grpc.UnixSocket))
        {
            errors.Add("Quota:Grpc:Port is 0 and Quota:Grpc:UnixSocket is unset: the Quota API would listen nowhere");
        }

        if (options.Grpc.UnixSocket is { Length: > 0 } socket && (!Path.IsPathRooted(socket) || socket.Length > 100))
        {
            errors.Add($"Quota:Grpc:UnixSocket must be an absolute path of at most 100 characters (got '{socket}')");
        }

        if (options.Grpc.MaxReceiveMessageSize is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add($"Quota:Grpc:MaxReceiveMessageSize must be 1 KiB-16 MiB (got {options.Grpc.MaxReceiveMessageSize})");
        }

        if (!IPAddress.TryParse(options.Http.Host, out _))
        {
            errors.Add($"Quota:Http:Host must be an IP address such as 127.0.0.1 or 0.0.0.0 (got '{options.Http.Host}')");
        }

        if (options.Http.Port is < 1 or > 65535)
        {
            errors.Add($"Quota:Http:Port must be 1-65535 (got {options.Http.Port})");
        }

        if (options.Http.Port == options.Grpc.Port)
        {
            errors.Add($"Quota:Http:Port and Quota:Grpc:Port must differ (both {options.Http.Port})");
        }

        if (options.Admin.Token is { } token && token.Length is > 0 and < 16)
        {
            errors.Add($"Quota:Admin:Token must be at least 16 characters (got {token.Length}); leave it unset to disable the admin API");
        }

        if (options.Admin.MtlsEnabled)
        {
            if (options.Admin.MtlsPort > 65535 || options.Admin.MtlsPort == options.Grpc.Port || options.Admin.MtlsPort == options.Http.Port)
            {
                errors.Add($"Quota:Admin:MtlsPort must be 1-65535 and differ from the gRPC and HTTP ports (got {options.Admin.MtlsPort})");
            }

            foreach (var (setting, path) in new[] { ("CertificatePath", options.Admin.CertificatePath), ("KeyPath", options.Admin.KeyPath), ("ClientCaPath", options.Admin.ClientCaPath) })
            {
                if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
                {
                    errors.Add($"Quota:Admin:{setting} must name an existing PEM file when Quota:Admin:MtlsPort is set (got '{path}')");
                }
            }
        }

        if (!Enum.IsDefined(options.Store))
        {
            errors.Add($"Quota:Store must be Embedded or Redis (got '{options.Store}')");
        }

        if (options.Store == StoreKind.Redis && string.IsNullOrWhiteSpace(options.Redis.ConnectionString))
        {
            errors.Add("Quota:Store is Redis but Quota:Redis:ConnectionString is unset (e.g. 'redis:6379,password=...')");
        }

        if (options.Redis.MaxLedgerEntries < 1)
        {
            errors.Add($"Quota:Redis:MaxLedgerEntries must be >= 1 (got {options.Redis.MaxLedgerEntries}); it is the old name of Quota:Ledger:MaxEntries");
        }
        else if (options.Ledger.MaxEntries < 1)
        {
            errors.Add($"Quota:Ledger:MaxEntries must be >= 1 (got {options.Ledger.MaxEntries})");
        }

        foreach (var (setting, path) in new[] { ("TlsCaFile", options.Redis.TlsCaFile), ("TlsCertFile", options.Redis.TlsCertFile), ("TlsKeyFile", options.Redis.TlsKeyFile) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                errors.Add($"Quota:Redis:{setting} '{path}' does not exist");
            }
        }

        if (string.IsNullOrEmpty(options.Redis.TlsCertFile) != string.IsNullOrEmpty(options.Redis.TlsKeyFile))
        {
            errors.Add("Quota:Redis:TlsCertFile and Quota:Redis:TlsKeyFile must be set together (a client certificate and its key)");
        }

        Range(errors, "Quota:Settle:Interval", options.Settle.Interval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        Range(errors, "Quota:Holds:DefaultTtl", options.Holds.DefaultTtl, TimeSpan.FromMilliseconds(1), options.Holds.MaxTtl);
        Range(errors, "Quota:Holds:MaxTtl", options.Holds.MaxTtl, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        Range(errors, "Quota:Ledger:InstanceRecordHorizon", options.Ledger.InstanceRecordHorizon, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30));
        Range(errors, "Quota:Idempotency:Window", options.Idempotency.Window, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        if (options.Idempotency.MaxRecords is < 1_000 or > 1 << 28)
        {
            errors.Add($"Quota:Idempotency:MaxRecords must be between 1000 and {1 << 28} (got {options.Idempotency.MaxRecords}); each record is ~190 bytes");
        }

        if (options.Idempotency.SidecarIdRecords is < 4_096 or > 1 << 28)
        {
            errors.Add($"Quota:Idempotency:SidecarIdRecords must be between 4096 and {1 << 28} (got {options.Idempotency.SidecarIdRecords}); each record is 32 bytes");
        }
        Range(errors, "Quota:Leases:Ttl", options.Leases.Ttl, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(errors, "Quota:Leases:RefillHorizon", options.Leases.RefillHorizon, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(errors, "Quota:Leases:IdleReturnAfter", options.Leases.IdleReturnAfter, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(errors, "Quota:Leases:OutageHorizon", options.Leases.OutageHorizon, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, "Quota:Store:ExchangeTimeout", options.StoreWaits.ExchangeTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        if (options.StoreWaits.MaxWait < TimeSpan.FromMilliseconds(1) || options.StoreWaits.MaxWait > options.StoreWaits.ExchangeTimeout)
        {
            errors.Add($"Quota:Store:MaxWait must be between 1 ms and Quota:Store:ExchangeTimeout ({options.StoreWaits.ExchangeTimeout}) (got {options.StoreWaits.MaxWait}): a request gives up waiting on the store before an exchange is declared failed");
        }

        Range(errors, "Quota:Shutdown:GracePeriod", options.Shutdown.GracePeriod, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        if (options.Leases.Ttl <= options.Settle.Interval * 4)
        {
            errors.Add($"Quota:Leases:Ttl ({options.Leases.Ttl}) must be more than 4 settle intervals ({options.Settle.Interval}) so leases are renewed in time");
        }

        if (options.Leases.Min < 1 || options.Leases.Max < options.Leases.Min)
        {
            errors.Add($"Quota:Leases:Min must be >= 1 and Quota:Leases:Max >= Min (got {options.Leases.Min} and {options.Leases.Max})");
        }

        if (options.Leases.MaxShare is <= 0 or > 1)
        {
            errors.Add($"Quota:Leases:MaxShare must be in (0, 1] (got {options.Leases.MaxShare})");
        }

        if (string.IsNullOrWhiteSpace(options.InstanceName) || options.InstanceName.Length > 100)
        {
            errors.Add($"Quota:InstanceName must be 1-100 characters (got '{options.InstanceName}')");
        }

        if (options.FailOpenAllowance is < 0 or > Validation.MaxAmount)
        {
            errors.Add($"Quota:FailOpenAllowance must be between 0 and {Validation.MaxAmount} (got {options.FailOpenAllowance})");
        }

        if (options.Limits.MaxConcurrentRequests is < 1 or > 100_000)
        {
            errors.Add($"Quota:Limits:MaxConcurrentRequests must be 1-100000 (got {options.Limits.MaxConcurrentRequests})");
        }

        if (options.Limits.RequestsPerSecondPerConnection < 0)
        {
            errors.Add($"Quota:Limits:RequestsPerSecondPerConnection must be >= 0, 0 for no limit (got {options.Limits.RequestsPerSecondPerConnection})");
        }

        if (options.Limits.MaxStreamsPerConnection is < 1 or > 10_000)
        {
            errors.Add($"Quota:Limits:MaxStreamsPerConnection must be 1-10000 (got {options.Limits.MaxStreamsPerConnection})");
        }

        Range(errors, "Quota:Limits:ShedDrainTimeout", options.Limits.ShedDrainTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
        Range(errors, "Quota:Limits:EvictIdleAccountsAfter", options.Limits.EvictIdleAccountsAfter, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        foreach (var allowed in options.AllowedAccounts)
        {
            try
            {
                Validation.AccountId(allowed.EndsWith('*') ? allowed[..^1] + "x" : allowed, "Quota:AllowedAccounts");
            }
            catch (QuotaException e)
            {
                errors.Add($"{e.Message} (entry '{allowed}'; a trailing * makes it a prefix)");
            }
        }

        foreach (var shadow in options.ShadowAccounts)
        {
            try
            {
                Validation.AccountId(shadow.EndsWith('*') ? shadow[..^1] + "x" : shadow, "Quota:ShadowAccounts");
            }
            catch (QuotaException e)
            {
                errors.Add($"{e.Message} (entry '{shadow}'; a trailing * makes it a prefix)");
            }
        }

        Range(errors, "Quota:SettingsPollInterval", options.SettingsPollInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        ValidateJournal(errors, options.Journal);
        options.Usage.Validate(errors);
        for (var i = 0; i < options.Seed.Accounts.Count; i++)
        {
            var seed = options.Seed.Accounts[i];
            try
            {
                Validation.AccountId(seed.AccountId, $"Quota:Seed:Accounts:{i}:AccountId");
                Validation.NonNegativeAmount(seed.Credits, $"Quota:Seed:Accounts:{i}:Credits");
                if (!string.IsNullOrEmpty(seed.ParentId))
                {
                    Validation.AccountId(seed.ParentId, $"Quota:Seed:Accounts:{i}:ParentId");
                    var parentAt = options.Seed.Accounts.FindIndex(a => a.AccountId == seed.ParentId);
                    if (parentAt >= i)
                    {
                        errors.Add($"Quota:Seed:Accounts:{i}:ParentId '{seed.ParentId}' is seeded at index {parentAt}: list a parent before its children (or an account cannot be its own parent)");
                    }
                }
            }
            catch (QuotaException e)
            {
                errors.Add(e.Message);
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateJournal(List<string> errors, JournalOptions journal)
    {
        if (journal.Path is { Length: > 0 } path && !Path.IsPathRooted(path))
        {
            errors.Add($"Quota:Journal:Path must be an absolute directory path (got '{path}'); leave it unset for no journal");
        }

        if (!Enum.IsDefined(journal.Fsync))
        {
            errors.Add($"Quota:Journal:Fsync must be Never, Interval or Always (got '{journal.Fsync}')");
        }

        Range(errors, "Quota:Journal:FsyncInterval", journal.FsyncInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        if (journal.SegmentBytes is < 64 << 10 or > 1L << 30 || journal.SegmentBytes % 4096 != 0)
        {
            errors.Add($"Quota:Journal:SegmentBytes must be 65536-1073741824 and a multiple of 4096 (got {journal.SegmentBytes})");
        }
        else if (journal.MaxBytes < 2 * journal.SegmentBytes)
        {
            errors.Add($"Quota:Journal:MaxBytes must be at least two segments, {2 * journal.SegmentBytes} bytes (got {journal.MaxBytes})");
        }
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} must be between {min} and {max} (got {value}); write it as hh:mm:ss(.fff)");
        }
    }
}
