namespace QuotaSidecar.Benchmarks.Engine;

/// <summary>How the threads of a contention benchmark spread over accounts.</summary>
public enum AccountSharing
{
    /// <summary>Every thread on the same account: they contend on its lock.</summary>
    OneAccount,

    /// <summary>Each thread on its own account: only shared engine state (hold table, retention queue) is contended.</summary>
    AccountPerThread,
}
