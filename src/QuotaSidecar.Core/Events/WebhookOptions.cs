namespace QuotaSidecar.Core.Events;

/// <summary>Webhook delivery of balance events (<c>Quota:Events:Webhook</c>; docs/design.md#webhooks). Off while
/// <see cref="Url"/> is unset.</summary>
public sealed class WebhookOptions
{
    /// <summary>Where each event is POSTed (http or https).</summary>
    /// <value>The default value is unset: no webhooks.</value>
    public string? Url { get; set; }

    /// <summary>The Standard Webhooks signing secret: <c>whsec_</c> and base64 of 24 to 64 random bytes. Never logged.</summary>
    /// <value>The default value is unset (required with <see cref="Url"/>).</value>
    public string? Secret { get; set; }

    /// <summary>How long one delivery attempt may take before it counts as failed.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per event before it moves to the failed list (redeliverable).</summary>
    /// <value>The default value is 8.</value>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; it doubles after each further one, up to
    /// <see cref="MaxBackoff"/>.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An event taken by a sidecar and neither delivered nor retried for this long (the sidecar died) is
    /// taken over by another. Longer than <see cref="Timeout"/> + <see cref="MaxBackoff"/>, so a live sidecar's
    /// event is never taken from it.</summary>
    /// <value>The default value is 2 minutes.</value>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Events one sidecar delivers at once.</summary>
    /// <value>The default value is 16.</value>
    public int Concurrency { get; set; } = 16;

    /// <summary>True when webhooks are configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(Url);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting (relative to <c>Quota:Events</c>) that is
    /// out of range. The secret's value is never part of a message.</summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Webhook:Url must be an absolute http or https URL (got '{Url}')");
        }

        if (!WebhookSignature.TryReadSecret(Secret, out _))
        {
            throw new ArgumentException("Webhook:Secret must be 'whsec_' followed by base64 of 24 to 64 bytes when Webhook:Url is set");
        }

        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException($"Webhook:Timeout must be between 100 ms and 5 minutes (got {Timeout})");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            throw new ArgumentException($"Webhook:MaxAttempts must be between 1 and 100 (got {MaxAttempts})");
        }

        if (InitialBackoff < TimeSpan.FromMilliseconds(10) || MaxBackoff < InitialBackoff || MaxBackoff > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"Webhook:InitialBackoff must be at least 10 ms and at most Webhook:MaxBackoff, which is at most 1 hour (got {InitialBackoff} and {MaxBackoff})");
        }

        if (ClaimIdle <= Timeout + MaxBackoff)
        {
            throw new ArgumentException($"Webhook:ClaimIdle must be longer than Webhook:Timeout + Webhook:MaxBackoff ({Timeout + MaxBackoff}; got {ClaimIdle})");
        }

        if (Concurrency is < 1 or > 256)
        {
            throw new ArgumentException($"Webhook:Concurrency must be between 1 and 256 (got {Concurrency})");
        }
    }
}
