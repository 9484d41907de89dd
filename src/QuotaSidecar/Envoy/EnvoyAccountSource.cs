namespace QuotaSidecar.Envoy;

/// <summary>Where an ext_authz check finds the account to charge.</summary>
public enum EnvoyAccountSource
{
    /// <summary>A request header (<see cref="EnvoyOptions.AccountHeader"/>), e.g. written from a JWT claim by the mesh.</summary>
    Header,

    /// <summary>The caller's authenticated mTLS identity (<c>attributes.source.principal</c>), mapped through
    /// <see cref="EnvoyOptions.PrincipalAccounts"/>: callers cannot claim another account.</summary>
    SourcePrincipal,
}
