using Grpc.Core;
using QuotaSidecar.Grpc;

namespace QuotaSidecar.Envoy;

/// <summary>
/// Quota:AllowedAccounts for the Envoy APIs, as a yes/no: Envoy must get a denial, not an error (an ext_authz
/// filter with failure_mode_allow would let an error through).
/// </summary>
internal static class AllowListAnswers
{
    public static bool Allows(this AccountAllowList list, string account)
    {
        if (list.IsOpen)
        {
            return true;
        }

        try
        {
            list.Check(account);
            return true;
        }
        catch (RpcException)
        {
            return false; // only on the refusal path; the list speaks in gRPC errors for the Quota API
        }
    }
}
