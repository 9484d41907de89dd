using Microsoft.Extensions.Options;

namespace QuotaSidecar.Client;

/// <summary>Validates <see cref="QuotaClientOptions"/> when the host starts, with the message of <see cref="QuotaClientOptions.Validate"/>.</summary>
internal sealed class QuotaClientOptionsValidator : IValidateOptions<QuotaClientOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaClientOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
