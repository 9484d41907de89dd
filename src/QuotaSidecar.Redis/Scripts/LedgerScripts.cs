namespace QuotaSidecar.Redis.Scripts;

/// <summary>
/// The ledger's Lua scripts, read from the assembly's embedded <c>Scripts/*.lua</c>. Each is <c>lib.lua</c> (state,
/// rules, encodings) followed by the script's own body, so the rules exist once.
/// </summary>
internal sealed class LedgerScripts
{
    private LedgerScripts()
    {
        var lib = Read("lib");
        Exchange = Compose(lib, "exchange");
        UpsertAccount = Compose(lib, "upsert_account");
        GetAccount = Compose(lib, "get_account");
        Grant = Compose(lib, "grant");
        Void = Compose(lib, "void");
        ListGrants = Compose(lib, "list_grants");
        ListEntries = Compose(lib, "list_entries");
    }

    public static LedgerScripts Instance { get; } = new();

    public LedgerScript Exchange { get; }

    public LedgerScript UpsertAccount { get; }

    public LedgerScript GetAccount { get; }

    public LedgerScript Grant { get; }

    public LedgerScript Void { get; }

    public LedgerScript ListGrants { get; }

    public LedgerScript ListEntries { get; }

    public IReadOnlyList<LedgerScript> All => [Exchange, UpsertAccount, GetAccount, Grant, Void, ListGrants, ListEntries];

    private static LedgerScript Compose(string lib, string name) => new(name, lib + "\n" + Read(name));

    private static string Read(string name)
    {
        var resource = $"QuotaSidecar.Redis.Scripts.{name}.lua";
        using var stream = typeof(LedgerScripts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded script '{resource}' is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
