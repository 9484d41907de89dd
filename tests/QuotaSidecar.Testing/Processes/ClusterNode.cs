using System.Globalization;

namespace QuotaSidecar.Testing.Processes;

/// <summary>One line of <c>CLUSTER NODES</c>: a node's id, port, role, health and the slot ranges it serves.</summary>
public sealed record ClusterNode(string Id, int Port, bool IsPrimary, bool Failed, string? PrimaryId, IReadOnlyList<(int From, int To)> Slots)
{
    /// <summary>Parses <c>&lt;id&gt; &lt;ip:port@cport&gt; &lt;flags&gt; &lt;primary id or -&gt; &lt;ping&gt; &lt;pong&gt; &lt;epoch&gt; &lt;link&gt; &lt;slot ranges...&gt;</c>.</summary>
    public static ClusterNode Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var address = fields[1].Split('@')[0];
        var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var flags = fields[2].Split(',');
        var slots = new List<(int, int)>();
        foreach (var range in fields.Skip(8).Where(f => !f.StartsWith('[')))
        {
            var ends = range.Split('-');
            var from = int.Parse(ends[0], CultureInfo.InvariantCulture);
            slots.Add((from, ends.Length == 2 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : from));
        }

        return new ClusterNode(
            fields[0], port, flags.Contains("master"), flags.Contains("fail") || flags.Contains("fail?"),
            fields[3] == "-" ? null : fields[3], slots);
    }

    public bool Serves(int slot) => Slots.Any(r => slot >= r.From && slot <= r.To);

    public override string ToString() =>
        $"{Id[..8]} :{Port} {(IsPrimary ? "primary" : "replica of " + PrimaryId?[..8])}{(Failed ? " FAILED" : "")} slots {string.Join(' ', Slots.Select(s => $"{s.From}-{s.To}"))}";
}
