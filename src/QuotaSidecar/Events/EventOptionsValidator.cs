using Microsoft.Extensions.Options;
using QuotaSidecar.Configuration;

namespace QuotaSidecar.Events;

/// <summary>Validates <c>Quota:Events</c> at start, with a message that names the setting.</summary>
internal sealed class EventOptionsValidator : IValidateOptions<QuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaOptions options)
    {
        try
        {
            options.Events.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"{EventsRegistration.Section}:{e.Message}");
        }
    }
}
