namespace QuotaSidecar.Cli.Output;

/// <summary>A column of a <see cref="Table"/>; numbers are right-aligned so their digits line up.</summary>
internal readonly record struct TableColumn(string Header, bool AlignRight = false);
