using System.Text;
using k8s.Models;
using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

public sealed class SecretTests
{
    [Fact]
    public void Admin_token_and_Redis_password_are_referenced_from_the_Secret()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var pod = new SidecarPod(release);
        var secret = release.Single<V1Secret>(_ => true, "Secret");

        var token = SidecarPod.Env(pod.Sidecar, "Quota__Admin__Token");
        var password = SidecarPod.Env(pod.Sidecar, "REDIS_PASSWORD");
        Assert.NotNull(token);
        Assert.NotNull(password);
        Assert.Null(token.Value);
        Assert.Null(password.Value);
        Assert.Equal(secret.Metadata.Name, token.ValueFrom.SecretKeyRef.Name);
        Assert.Equal(secret.Metadata.Name, password.ValueFrom.SecretKeyRef.Name);
        Assert.Contains(token.ValueFrom.SecretKeyRef.Key, secret.Data.Keys);
        Assert.Contains(password.ValueFrom.SecretKeyRef.Key, secret.Data.Keys);
    }

    [Fact]
    public void Usage_export_endpoint_is_in_the_config_and_its_authorization_comes_from_the_Secret_optionally()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var pod = new SidecarPod(release);
        var secret = release.Single<V1Secret>(_ => true, "Secret");

        Assert.Equal("https://openmeter.example.com/api/v1/events", pod.Config["Quota__Usage__Export__Endpoint"]);
        Assert.Equal("checkout-quota-sidecar", pod.Config["Quota__Usage__Export__Source"]);
        Assert.False(pod.Config.ContainsKey("Quota__Usage__Export__Type")); // empty: the sidecar's default
        Assert.False(pod.Config.ContainsKey("Quota__Usage__Export__Authorization")); // a secret never goes into the ConfigMap
        var authorization = SidecarPod.Env(pod.Sidecar, "Quota__Usage__Export__Authorization");
        Assert.NotNull(authorization);
        Assert.Null(authorization.Value);
        Assert.Equal(secret.Metadata.Name, authorization.ValueFrom.SecretKeyRef.Name);
        Assert.True(authorization.ValueFrom.SecretKeyRef.Optional);
        Assert.Equal("Bearer ci-usage-export-not-secret", Encoding.UTF8.GetString(secret.Data[authorization.ValueFrom.SecretKeyRef.Key]));
    }

    [Fact]
    public void Without_a_usage_export_endpoint_nothing_of_it_is_rendered()
    {
        var release = RenderedRelease.Of(ValueSet.Example);
        var pod = new SidecarPod(release);

        Assert.False(pod.Config.ContainsKey("Quota__Usage__Export__Endpoint"));
        Assert.Null(SidecarPod.Env(pod.Sidecar, "Quota__Usage__Export__Authorization"));
    }

    [Fact]
    public void Redis_connection_string_gets_the_password_by_kubelet_expansion_of_a_variable_defined_before_it()
    {
        var pod = new SidecarPod(RenderedRelease.Of(ValueSet.Full));

        var connection = SidecarPod.Env(pod.Sidecar, "Quota__Redis__ConnectionString");
        Assert.NotNull(connection);
        Assert.Equal("Redis", pod.Config["Quota__Store"]);
        Assert.EndsWith(",password=$(REDIS_PASSWORD)", connection.Value, StringComparison.Ordinal);
        Assert.True(
            SidecarPod.IndexOfEnv(pod.Sidecar, "REDIS_PASSWORD") is >= 0 and var at && at < SidecarPod.IndexOfEnv(pod.Sidecar, "Quota__Redis__ConnectionString"),
            "$(REDIS_PASSWORD) expands only when REDIS_PASSWORD is defined earlier in env");
    }

    [Fact]
    public void Redis_tls_material_is_mounted_read_only_from_its_Secret_and_named_in_the_settings()
    {
        var pod = new SidecarPod(RenderedRelease.Of(ValueSet.Full));

        var volume = Assert.Single(pod.Spec.Volumes, v => v.Name == "quota-redis-tls");
        Assert.Equal("redis-client-tls", volume.Secret.SecretName);
        var mount = Assert.Single(pod.Sidecar.VolumeMounts, m => m.Name == "quota-redis-tls");
        Assert.True(mount.ReadOnlyProperty);
        foreach (var (setting, file) in new[] { ("Quota__Redis__TlsCaFile", "ca.crt"), ("Quota__Redis__TlsCertFile", "tls.crt"), ("Quota__Redis__TlsKeyFile", "tls.key") })
        {
            Assert.Equal(mount.MountPath.TrimEnd('/') + "/" + file, SidecarPod.Env(pod.Sidecar, setting)?.Value);
        }

        // The app containers see none of it.
        Assert.All(pod.AppContainers, c => Assert.DoesNotContain(c.VolumeMounts ?? [], m => m.Name == "quota-redis-tls"));
    }

    [Fact]
    public void No_secret_value_appears_anywhere_outside_the_Secret()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var secret = release.Single<V1Secret>(_ => true, "Secret");
        var secretValues = secret.Data.Values.Select(bytes => Encoding.UTF8.GetString(bytes)).ToList();
        Assert.Equal(3, secretValues.Count); // admin token, Redis password, usage export authorization

        var pod = new SidecarPod(release);
        var texts = pod.Config.Values
            .Concat(pod.Spec.InitContainers.Concat(pod.Spec.Containers).SelectMany(c =>
                (c.Env ?? []).Select(e => e.Value ?? string.Empty)
                .Concat(c.Args ?? [])
                .Concat(c.Command ?? [])))
            .ToList();
        foreach (var value in secretValues)
        {
            Assert.DoesNotContain(texts, text => text.Contains(value, StringComparison.Ordinal));
        }
    }
}
