using Grpc.Core;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Tests.Output;

public sealed class RpcErrorLineTests
{
    [Fact]
    public void An_error_is_the_code_name_and_the_detail()
    {
        var exception = new RpcException(new Status(StatusCode.InvalidArgument, "amount must be between 1 and 9007199254740992 (got 0)"));

        Assert.Equal("error: INVALID_ARGUMENT: amount must be between 1 and 9007199254740992 (got 0)", RpcErrorLine.Format(exception));
    }

    [Fact]
    public void A_multi_line_detail_becomes_one_line()
    {
        var exception = new RpcException(new Status(StatusCode.Internal, "first\r\n  second\n\nthird"));

        Assert.Equal("error: INTERNAL: first second third", RpcErrorLine.Format(exception));
    }

    [Fact]
    public void An_empty_detail_leaves_just_the_code()
    {
        Assert.Equal("error: ABORTED", RpcErrorLine.Format(new RpcException(new Status(StatusCode.Aborted, ""))));
    }

    [Fact]
    public void A_hint_goes_in_parentheses_at_the_end()
    {
        var exception = new RpcException(new Status(StatusCode.Unauthenticated, "missing token"));

        Assert.Equal("error: UNAUTHENTICATED: missing token (pass --token)", RpcErrorLine.Format(exception, "pass --token"));
    }

    [Fact]
    public void A_client_side_cause_is_appended_when_the_detail_does_not_say_it()
    {
        var cause = new HttpRequestException("Error while copying", new System.Net.Sockets.SocketException(111));
        var exception = new RpcException(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", cause));

        Assert.Equal(
            "error: UNAVAILABLE: Error connecting to subchannel: " + new System.Net.Sockets.SocketException(111).Message,
            RpcErrorLine.Format(exception));
    }

    [Theory]
    [InlineData(StatusCode.OK, "OK")]
    [InlineData(StatusCode.Cancelled, "CANCELLED")]
    [InlineData(StatusCode.Unknown, "UNKNOWN")]
    [InlineData(StatusCode.InvalidArgument, "INVALID_ARGUMENT")]
    [InlineData(StatusCode.DeadlineExceeded, "DEADLINE_EXCEEDED")]
    [InlineData(StatusCode.NotFound, "NOT_FOUND")]
    [InlineData(StatusCode.AlreadyExists, "ALREADY_EXISTS")]
    [InlineData(StatusCode.PermissionDenied, "PERMISSION_DENIED")]
    [InlineData(StatusCode.ResourceExhausted, "RESOURCE_EXHAUSTED")]
    [InlineData(StatusCode.FailedPrecondition, "FAILED_PRECONDITION")]
    [InlineData(StatusCode.Aborted, "ABORTED")]
    [InlineData(StatusCode.OutOfRange, "OUT_OF_RANGE")]
    [InlineData(StatusCode.Unimplemented, "UNIMPLEMENTED")]
    [InlineData(StatusCode.Internal, "INTERNAL")]
    [InlineData(StatusCode.Unavailable, "UNAVAILABLE")]
    [InlineData(StatusCode.DataLoss, "DATA_LOSS")]
    [InlineData(StatusCode.Unauthenticated, "UNAUTHENTICATED")]
    [InlineData((StatusCode)42, "CODE_42")]
    public void Code_names_are_the_canonical_gRPC_names(StatusCode code, string expected)
    {
        Assert.Equal(expected, RpcErrorLine.CodeName(code));
    }
}
