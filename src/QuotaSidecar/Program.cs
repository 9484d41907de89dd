using QuotaSidecar.Hosting;

// A failure to start is a few lines on stderr naming the setting, and exit code 1 (StartupFailure).
return await StartupFailure.RunAsync(args, Console.Error);

/// <summary>The entry point, visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program;
