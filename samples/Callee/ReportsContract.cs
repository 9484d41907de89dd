using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Callee;

/// <summary>
/// The sample's gRPC contract, written by hand with well-known message types so the sample needs no .proto of its own
/// (the repository generates protobuf code in one project only). The Caller links this file.
/// </summary>
public static class ReportsContract
{
    public const string Service = "samples.reports.v1.Reports";

    public static readonly Method<StringValue, StringValue> Render = new(
        MethodType.Unary, Service, "Render", Marshaller(StringValue.Parser), Marshaller(StringValue.Parser));

    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : IMessage<T> => Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
}
