using System.Text.Json;
using QuotaSidecar.Core.Events;

namespace QuotaSidecar.Events;

/// <summary>
/// The JSON body of a balance event's webhook (Standard Webhooks payload shape: <c>type</c>, <c>timestamp</c>,
/// <c>data</c>; docs/events.md has examples). Written by hand: a handful of fields, no reflection.
/// </summary>
internal static class WebhookBody
{
    public static byte[] Write(BalanceEvent e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", BalanceEventTypes.Name(e.Type));
            json.WriteString("timestamp", e.At);
            json.WriteStartObject("data");
            json.WriteString("event_id", e.Id);
            json.WriteString("account_id", e.AccountId);
            json.WriteNumber("balance", e.Balance);
            json.WriteNumber("threshold", e.Threshold);
            json.WriteString("cursor", e.Cursor);
            if (e.Type == BalanceEventType.RechargeRequested)
            {
                json.WriteString("recharge_id", e.RechargeId);
            }

            if (e.Type is BalanceEventType.GrantExpired or BalanceEventType.GrantExpiring)
            {
                json.WriteString("grant_id", e.GrantId);
            }

            if (e.Type is BalanceEventType.RechargeRequested or BalanceEventType.OverageStarted or BalanceEventType.OverageLimitReached
                or BalanceEventType.GrantExpired or BalanceEventType.GrantExpiring)
            {
                json.WriteNumber("amount", e.Amount);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
