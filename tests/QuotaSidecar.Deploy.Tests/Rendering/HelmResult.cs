namespace QuotaSidecar.Deploy.Tests.Rendering;

/// <summary>What one helm run printed.</summary>
internal sealed record HelmResult(int ExitCode, string Output, string Error);
