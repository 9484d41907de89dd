namespace QuotaSidecar.Core;

/// <summary>The kinds of error the engine and the ledgers report; each maps to one gRPC status code.</summary>
public enum QuotaError
{
    /// <summary>A malformed request: a field out of range or of the wrong form.</summary>
    InvalidArgument,

    /// <summary>An unknown reservation, account or grant.</summary>
    NotFound,

    /// <summary>The target is already in another final state (e.g. commit after release).</summary>
    FailedPrecondition,

    /// <summary>An idempotency key reused with different parameters.</summary>
    AlreadyExists,

    /// <summary>The central store cannot be reached, or the request is still in progress; retrying may succeed.</summary>
    Unavailable,

    /// <summary>A sidecar-made reservation id older than what this sidecar still remembers (the idempotency window, or
    /// fewer records when <c>Quota:Idempotency:MaxRecords</c> bit): its outcome stands as first answered, but cannot be
    /// repeated. Never a silent success.</summary>
    Forgotten,
}
