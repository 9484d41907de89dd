namespace QuotaSidecar.Cli.Connection;

/// <summary>The global options after defaults and environment variables are applied.</summary>
/// <param name="Target">Where the sidecar listens.</param>
/// <param name="Token">The admin bearer token, or null to send none.</param>
/// <param name="Timeout">The deadline of each call (each page, for <c>ledger --all</c>).</param>
/// <param name="Json">Print responses as protobuf JSON instead of text.</param>
internal sealed record ConnectionSettings(Target Target, string? Token, TimeSpan Timeout, bool Json);
