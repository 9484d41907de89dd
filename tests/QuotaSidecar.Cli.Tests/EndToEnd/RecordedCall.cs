using Google.Protobuf;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>One call the fake sidecar received: which method, the request, and the authorization header if any.</summary>
internal sealed record RecordedCall(string Method, IMessage Request, string? Authorization);
