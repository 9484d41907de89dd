using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Arguments;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Commands.Accounts;

/// <summary>An account as text: its settings, then its central balance as a right-aligned statement.</summary>
internal static class AccountView
{
    public static void Write(TextWriter writer, Account account)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(account);
        new KeyValueBlock()
            .Add("account", account.AccountId)
            .Add("parent", ValueText.Text(account.ParentId))
            .Add("status", EnumVocabulary<AccountStatus>.Instance.Display(account.Status))
            .Add("overage mode", EnumVocabulary<OverageMode>.Instance.Display(account.OverageMode))
            .Add("overage limit", ValueText.Number(account.OverageLimit))
            .Add("low-balance threshold", ValueText.Number(account.LowBalanceThreshold))
            .Add("unit", ValueText.Text(account.Unit))
            .Write(writer);

        if (account.Balance is not { } balance)
        {
            return;
        }

        // The order of the contract's conservation rule: granted = available + leased + consumed + expired + voided.
        writer.WriteLine();
        writer.WriteLine("balance");
        new KeyValueBlock()
            .AddNumber("available", balance.Available)
            .AddNumber("leased", balance.Leased)
            .AddNumber("consumed", balance.Consumed)
            .AddNumber("expired", balance.Expired)
            .AddNumber("voided", balance.Voided)
            .AddNumber("overage", balance.Overage)
            .AddNumber("granted", balance.Granted)
            .Write(writer, indent: 2);
    }
}
