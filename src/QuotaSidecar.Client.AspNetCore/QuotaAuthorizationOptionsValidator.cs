using Microsoft.Extensions.Options;

namespace QuotaSidecar.Client.AspNetCore;

/// <summary>Validates <see cref="QuotaAuthorizationOptions"/> when the host starts.</summary>
internal sealed class QuotaAuthorizationOptionsValidator : IValidateOptions<QuotaAuthorizationOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaAuthorizationOptions options)
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
