using Grpc.Core;

namespace QuotaSidecar.Tests.Infrastructure;

/// <summary>Call options with a deadline on every call, so a hung test fails instead of hanging.</summary>
internal static class Calls
{
    public static CallOptions Deadline => new(deadline: DateTime.UtcNow.AddSeconds(15));

    public static CallOptions Admin(string token = SidecarFactory.AdminToken) =>
        new(new Metadata { { "authorization", $"Bearer {token}" } }, DateTime.UtcNow.AddSeconds(15));
}
