using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace QuotaSidecar.Client.AspNetCore.Tests;

/// <summary>
/// A gRPC service contract for the interceptor tests, bound by hand (well-known message types, no .proto): virtual
/// handlers the gRPC server finds as overrides, as generated code would declare them.
/// </summary>
[BindServiceMethod(typeof(TestReportsBase), nameof(BindService))]
public abstract class TestReportsBase
{
    public const string Service = "tests.Reports";

    private static readonly Marshaller<StringValue> Text = Marshallers.Create(m => m.ToByteArray(), StringValue.Parser.ParseFrom);

    public static Method<StringValue, StringValue> RenderMethod { get; } = Unary(nameof(Render));

    public static Method<StringValue, StringValue> FailMethod { get; } = Unary(nameof(Fail));

    public static Method<StringValue, StringValue> FreeMethod { get; } = Unary(nameof(Free));

    public static Method<StringValue, StringValue> PricedMethod { get; } = Unary(nameof(Priced));

    public static Method<StringValue, StringValue> MeasuredMethod { get; } = Unary(nameof(Measured));

    public static Method<StringValue, StringValue> PagesMethod { get; } = new(MethodType.ServerStreaming, Service, nameof(Pages), Text, Text);

    public abstract Task<StringValue> Render(StringValue request, ServerCallContext context);

    public abstract Task<StringValue> Fail(StringValue request, ServerCallContext context);

    public abstract Task<StringValue> Free(StringValue request, ServerCallContext context);

    public abstract Task<StringValue> Priced(StringValue request, ServerCallContext context);

    public abstract Task<StringValue> Measured(StringValue request, ServerCallContext context);

    public abstract Task Pages(StringValue request, IServerStreamWriter<StringValue> responseStream, ServerCallContext context);

    public static void BindService(ServiceBinderBase binder, TestReportsBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(RenderMethod, service is null ? null : service.Render);
        binder.AddMethod(FailMethod, service is null ? null : service.Fail);
        binder.AddMethod(FreeMethod, service is null ? null : service.Free);
        binder.AddMethod(PricedMethod, service is null ? null : service.Priced);
        binder.AddMethod(MeasuredMethod, service is null ? null : service.Measured);
        binder.AddMethod(PagesMethod, service is null ? null : service.Pages);
    }

    private static Method<StringValue, StringValue> Unary(string name) => new(MethodType.Unary, Service, name, Text, Text);
}
