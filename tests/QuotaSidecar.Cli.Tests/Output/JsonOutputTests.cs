using System.Text.Json;
using QuotaSidecar.Api.V1;
using QuotaSidecar.Cli.Output;

namespace QuotaSidecar.Cli.Tests.Output;

public sealed class JsonOutputTests
{
    [Fact]
    public void Json_uses_the_canonical_protobuf_mapping_and_includes_zero_values()
    {
        using var writer = new StringWriter();

        JsonOutput.Write(writer, new ReserveResponse { Decision = Decision.Granted, ReservationId = "r-1", Amount = 10 });

        using var document = JsonDocument.Parse(writer.ToString());
        var root = document.RootElement;
        Assert.Equal("DECISION_GRANTED", root.GetProperty("decision").GetString());
        Assert.Equal("DENY_REASON_UNSPECIFIED", root.GetProperty("denyReason").GetString());
        Assert.Equal("r-1", root.GetProperty("reservationId").GetString());
        Assert.Equal("10", root.GetProperty("amount").GetString());
        Assert.Equal("0", root.GetProperty("balanceHint").GetString());
        Assert.False(root.GetProperty("lowBalance").GetBoolean());
    }

    [Fact]
    public void An_absent_message_field_is_left_out_rather_than_written_as_null()
    {
        using var writer = new StringWriter();

        JsonOutput.Write(writer, new ReserveResponse { Decision = Decision.Denied });

        using var document = JsonDocument.Parse(writer.ToString());
        Assert.False(document.RootElement.TryGetProperty("expiresAt", out _));
    }

    [Fact]
    public void Json_round_trips_through_the_protobuf_parser()
    {
        var account = new Account { AccountId = "acme", Status = AccountStatus.Suspended, Balance = new Balance { Granted = 10 } };
        using var writer = new StringWriter();

        JsonOutput.Write(writer, account);

        Assert.Equal(account, Account.Parser.ParseJson(writer.ToString()));
    }

    [Fact]
    public void Json_is_indented_for_people_and_ends_with_a_newline()
    {
        using var writer = new StringWriter();

        JsonOutput.Write(writer, new ReleaseResponse { Released = 5, BalanceHint = 7 });

        Assert.Equal(
            """
            {
              "released": "5",
              "balanceHint": "7"
            }

            """,
            writer.ToString().ReplaceLineEndings("\n"));
    }
}
