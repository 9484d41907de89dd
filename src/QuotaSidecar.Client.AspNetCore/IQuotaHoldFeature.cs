namespace QuotaSidecar.Client.AspNetCore;

/// <summary>
/// The hold taken for the current request, in <c>HttpContext.Features</c> (see <c>HttpContext.GetQuotaHold()</c>). A
/// handler that knows its actual usage commits it itself (<c>await hold.CommitAsync(actual)</c>); otherwise the hold is
/// committed in full on success and released on failure.
/// </summary>
public interface IQuotaHoldFeature
{
    /// <summary>The granted hold of this request.</summary>
    QuotaHold Hold { get; }
}
