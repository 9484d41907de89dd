using System.Security.Cryptography;
using System.Text;

namespace QuotaSidecar.Redis.Scripts;

/// <summary>
/// The ledger's Lua code as one Redis function library (<c>Scripts/ledger.lua</c>, an embedded resource): loaded
/// with <c>FUNCTION LOAD REPLACE</c> once per server, then called with <c>FCALL</c>. Redis keeps a loaded library
/// compiled, where <c>EVALSHA</c> of a script that carries the shared rules redefines them on every call.
/// </summary>
internal sealed class LedgerLibrary
{
    private const string VersionPlaceholder = "{version}";

    private LedgerLibrary()
    {
        var text = Read();
        // The library and its functions are named after a hash of the code: two sidecar versions sharing one Redis
        // (a rolling upgrade) each load and call their own, and never replace each other's.
#pragma warning disable CA5350 // An identifier for the code's version, not security.
        Version = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)))[..16];
#pragma warning restore CA5350
        Name = "quota_ledger_" + Version;
        Source = text.Replace(VersionPlaceholder, Version, StringComparison.Ordinal);
        Exchange = Function("exchange");
        UpsertAccount = Function("upsert_account");
        GetAccount = Function("get_account");
        Grant = Function("grant");
        Void = Function("void");
        ListGrants = Function("list_grants");
        ListEntries = Function("list_entries");
        Usage = Function("usage");
        Touch = Function("touch");
        ReplyFields = Function("reply_fields");
    }

    public static LedgerLibrary Instance { get; } = new();

    /// <summary>The first 16 hex digits of the SHA1 of ledger.lua as shipped.</summary>
    public string Version { get; }

    /// <summary>The library name FUNCTION LOAD registers: <c>quota_ledger_&lt;version&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>The code sent with FUNCTION LOAD.</summary>
    public string Source { get; }

    public LedgerFunction Exchange { get; }

    public LedgerFunction UpsertAccount { get; }

    public LedgerFunction GetAccount { get; }

    public LedgerFunction Grant { get; }

    public LedgerFunction Void { get; }

    public LedgerFunction ListGrants { get; }

    public LedgerFunction ListEntries { get; }

    public LedgerFunction Usage { get; }

    /// <summary>Applies what time made due and decides <c>grant.expiring</c> with the lead time (docs/design.md#grant-expiring).</summary>
    public LedgerFunction Touch { get; }

    /// <summary>The reply layouts the Lua side declares (for the test that compares them with <see cref="ScriptReplies"/>).</summary>
    public LedgerFunction ReplyFields { get; }

    private LedgerFunction Function(string name) => new(name, $"quota_{name}_{Version}");

    private static string Read()
    {
        const string resource = "QuotaSidecar.Redis.Scripts.ledger.lua";
        using var stream = typeof(LedgerLibrary).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded script '{resource}' is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
