using System.Buffers;
using System.Text;

namespace QuotaSidecar.Core.Usage;

/// <summary>
/// Usage labels (docs/design.md#usage-labels): the attribution a Reserve, Commit or Consume may carry, reduced to one
/// canonical string per label set so that equal sets are one key everywhere (the sidecar's per-exchange map, the
/// ledgers' per-account totals, the export's event ids). Canonical form: <c>key=value</c> pairs sorted by key (ordinal),
/// joined by <c>,</c>; in a value <c>%</c> is written <c>%25</c> and <c>,</c> <c>%2C</c> (keys cannot hold either, and
/// the first <c>=</c> of a pair ends its key). Keys: 1–64 of <c>[A-Za-z0-9_.:/-]</c>, not starting with <c>_</c>
/// (reserved for the sidecar's own sets, such as <see cref="Overflow"/>); values: 0–128 characters, no control
/// characters; at most <see cref="MaxLabels"/> labels. The count and key length are the first version's published
/// limits (16 labels, keys of 64), so clients that kept to them are not refused now that labels are ledger keys.
/// </summary>
public static class UsageLabels
{
    /// <summary>The most labels one request may carry.</summary>
    public const int MaxLabels = 16;

    /// <summary>The longest label key.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>The longest label value.</summary>
    public const int MaxValueLength = 128;

    /// <summary>The label set usage goes to once an account has <c>Quota:Usage:MaxLabelSets</c> distinct sets: reserved
    /// (a request cannot name a key starting with <c>_</c>), always accepted, never counted against the cap.</summary>
    public const string Overflow = "_overflow=true";

    /// <summary>The longest canonical form: every key and value at its longest, every value character escaped.</summary>
    public const int MaxCanonicalLength = MaxLabels * (MaxKeyLength + 1 + (3 * MaxValueLength) + 1);

    private static readonly SearchValues<char> KeyChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-");

    /// <summary>
    /// Validates <paramref name="labels"/> and returns their canonical form; null when there are none (no work, no
    /// allocation for a request without labels). Errors: <see cref="QuotaException"/> (InvalidArgument) naming
    /// <paramref name="field"/>.
    /// </summary>
    public static string? Canonical(IReadOnlyCollection<KeyValuePair<string, string>> labels, string field)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0)
        {
            return null;
        }

        if (labels.Count > MaxLabels)
        {
            throw QuotaException.Invalid($"{field} may have at most {MaxLabels} entries (got {labels.Count})");
        }

        // Sorted in a pooled array and written straight into the one string allocated: this runs per labelled request.
        var pool = ArrayPool<KeyValuePair<string, string>>.Shared;
        var sorted = pool.Rent(labels.Count);
        try
        {
            var count = 0;
            var length = labels.Count - 1; // the commas
            foreach (var pair in labels)
            {
                CheckKey(pair.Key, field);
                CheckValue(pair.Key, pair.Value, field);
                sorted[count++] = pair;
                length += pair.Key.Length + 1 + EscapedLength(pair.Value);
            }

            sorted.AsSpan(0, count).Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            for (var i = 1; i < count; i++)
            {
                if (sorted[i].Key == sorted[i - 1].Key)
                {
                    throw QuotaException.Invalid($"{field} has the key '{sorted[i].Key}' twice");
                }
            }

            return string.Create(length, (sorted, count), static (text, state) =>
            {
                var at = 0;
                for (var i = 0; i < state.count; i++)
                {
                    if (i > 0)
                    {
                        text[at++] = ',';
                    }

                    var (key, value) = state.sorted[i];
                    key.CopyTo(text[at..]);
                    at += key.Length;
                    text[at++] = '=';
                    foreach (var c in value)
                    {
                        switch (c)
                        {
                            case '%':
                                "%25".CopyTo(text[at..]);
                                at += 3;
                                break;
                            case ',':
                                "%2C".CopyTo(text[at..]);
                                at += 3;
                                break;
                            default:
                                text[at++] = c;
                                break;
                        }
                    }
                }
            });
        }
        finally
        {
            Array.Clear(sorted, 0, labels.Count);
            pool.Return(sorted);
        }
    }

    /// <summary>The labels of a canonical label set, in key order. Errors: <see cref="QuotaException"/> (InvalidArgument)
    /// naming <paramref name="field"/> when <paramref name="canonical"/> is not a canonical set (the reserved
    /// <see cref="Overflow"/> set is one).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string canonical, string field)
    {
        if (string.IsNullOrEmpty(canonical) || canonical.Length > MaxCanonicalLength)
        {
            throw QuotaException.Invalid($"{field} must be a canonical label set of 1-{MaxCanonicalLength} characters (got {canonical?.Length ?? 0})");
        }

        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var range in canonical.AsSpan().Split(','))
        {
            var pair = canonical[range];
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw QuotaException.Invalid($"{field} has a pair without 'key=' ('{pair}')");
            }

            var key = pair[..eq];
            var value = Unescape(pair[(eq + 1)..], field);
            if (canonical != Overflow)
            {
                CheckKey(key, field);
            }

            CheckValue(key, value, field);
            if (pairs.Count > 0 && string.CompareOrdinal(pairs[^1].Key, key) >= 0)
            {
                throw QuotaException.Invalid($"{field} is not canonical: keys must be sorted and distinct ('{pairs[^1].Key}' before '{key}')");
            }

            pairs.Add(new KeyValuePair<string, string>(key, value));
        }

        if (pairs.Count > MaxLabels)
        {
            throw QuotaException.Invalid($"{field} may have at most {MaxLabels} labels (got {pairs.Count})");
        }

        return pairs;
    }

    /// <summary>Whether <paramref name="canonical"/> has every label of <paramref name="filter"/> with the same value.</summary>
    public static bool Matches(string canonical, IReadOnlyCollection<KeyValuePair<string, string>> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Count == 0)
        {
            return true;
        }

        var labels = Parse(canonical, "label_set");
        foreach (var wanted in filter)
        {
            var found = false;
            foreach (var label in labels)
            {
                if (label.Key == wanted.Key)
                {
                    found = label.Value == wanted.Value;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckKey(string key, string field)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            throw QuotaException.Invalid($"{field} keys must be 1-{MaxKeyLength} characters of [A-Za-z0-9_.:/-] (got a key of {key?.Length ?? 0})");
        }

        if (key.AsSpan().IndexOfAnyExcept(KeyChars) is var bad and >= 0)
        {
            throw QuotaException.Invalid($"{field} key '{key}' may contain only [A-Za-z0-9_.:/-] (found U+{(int)key[bad]:X4})");
        }

        if (key[0] == '_')
        {
            throw QuotaException.Invalid($"{field} key '{key}' is reserved: keys starting with '_' belong to the sidecar");
        }
    }

    private static void CheckValue(string key, string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxValueLength)
        {
            throw QuotaException.Invalid($"{field} value of '{key}' must be at most {MaxValueLength} characters (got {value.Length})");
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                throw QuotaException.Invalid($"{field} value of '{key}' may not contain control characters (found U+{(int)c:X4})");
            }
        }
    }

    private static int EscapedLength(string value)
    {
        var length = value.Length;
        foreach (var c in value)
        {
            if (c is '%' or ',')
            {
                length += 2;
            }
        }

        return length;
    }

    private static string Unescape(string value, string field)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value.Contains(',', StringComparison.Ordinal)
                ? throw QuotaException.Invalid($"{field} has an unescaped ','")
                : value;
        }

        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                text.Append(value[i]);
                continue;
            }

            var escape = i + 3 <= value.Length ? value.Substring(i, 3) : "";
            text.Append(escape switch
            {
                "%25" => '%',
                "%2C" => ',',
                _ => throw QuotaException.Invalid($"{field} has an escape other than %25 or %2C at {i}"),
            });
            i += 2;
        }

        return text.ToString();
    }
}
