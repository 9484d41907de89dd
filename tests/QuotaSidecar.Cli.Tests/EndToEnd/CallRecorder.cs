using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;

namespace QuotaSidecar.Cli.Tests.EndToEnd;

/// <summary>What the fake sidecar saw, so tests assert on what arrived over the wire, not on what was built.</summary>
internal sealed class CallRecorder
{
    private readonly ConcurrentQueue<RecordedCall> _calls = new();

    public void Record(IMessage request, ServerCallContext context)
    {
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        _calls.Enqueue(new RecordedCall(method, request, context.RequestHeaders.GetValue("authorization")));
    }

    /// <summary>Every call of <paramref name="method"/> whose request matches; tests use ids unique to themselves.</summary>
    public IReadOnlyList<(TRequest Request, string? Authorization)> Calls<TRequest>(string method, Func<TRequest, bool> match)
        where TRequest : IMessage => _calls
            .Where(call => call.Method == method && call.Request is TRequest request && match(request))
            .Select(call => ((TRequest)call.Request, call.Authorization))
            .ToList();

    /// <summary>The one call of <paramref name="method"/> matching; fails the test if there is not exactly one.</summary>
    public (TRequest Request, string? Authorization) Single<TRequest>(string method, Func<TRequest, bool> match)
        where TRequest : IMessage => Assert.Single(Calls(method, match));
}
