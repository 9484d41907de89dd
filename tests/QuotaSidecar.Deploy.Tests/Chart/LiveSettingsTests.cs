using System.Text.Json;
using QuotaSidecar.Deploy.Tests.Rendering;

namespace QuotaSidecar.Deploy.Tests.Chart;

/// <summary>liveSettings: a ConfigMap of settings.json, mounted so that the kubelet's updates reach the sidecar, named
/// by Quota__SettingsFile, and left out of the checksum that rolls the pods.</summary>
public sealed class LiveSettingsTests
{
    [Fact]
    public void Live_settings_are_a_json_file_in_a_directory_mount_that_the_sidecar_is_pointed_at()
    {
        var release = RenderedRelease.Of(ValueSet.Full);
        var pod = new SidecarPod(release);
        var live = release.LiveSettings;

        using var json = JsonDocument.Parse(live.Data["settings.json"]);
        Assert.Equal("shop-*", json.RootElement.GetProperty("Quota").GetProperty("AllowedAccounts")[0].GetString());
        Assert.Equal(5, json.RootElement.GetProperty("Quota").GetProperty("Envoy").GetProperty("PathCosts")[0].GetProperty("Cost").GetInt64());
        var volume = Assert.Single(pod.Spec.Volumes, v => v.ConfigMap?.Name == live.Metadata.Name);
        var mount = Assert.Single(pod.Sidecar.VolumeMounts, m => m.Name == volume.Name);
        Assert.Null(mount.SubPath); // a subPath mount never sees the kubelet's ..data swap
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal($"{mount.MountPath}/settings.json", pod.Config["Quota__SettingsFile"]);
        Assert.Equal("00:00:05", pod.Config["Quota__SettingsPollInterval"]);
    }

    [Fact]
    public void Changing_a_live_setting_changes_the_file_but_does_not_roll_the_pods()
    {
        var full = RenderedRelease.Of(ValueSet.Full);
        var shadowed = RenderedRelease.Of(ValueSet.FullShadowed);

        Assert.NotEqual(full.LiveSettings.Data["settings.json"], shadowed.LiveSettings.Data["settings.json"]);
        Assert.Contains("\"Shadow\": true", shadowed.LiveSettings.Data["settings.json"], StringComparison.Ordinal);
        Assert.Equal(Checksum(full), Checksum(shadowed));
    }

    [Fact]
    public void Without_live_settings_there_is_no_file_and_no_setting()
    {
        var release = RenderedRelease.Of(ValueSet.Example);
        var pod = new SidecarPod(release);

        Assert.DoesNotContain(release.All<k8s.Models.V1ConfigMap>(), c => c.Data?.ContainsKey("settings.json") == true);
        Assert.False(pod.Config.ContainsKey("Quota__SettingsFile"));
        Assert.DoesNotContain(pod.Sidecar.VolumeMounts, m => m.Name == "quota-live-settings");
    }

    private static string Checksum(RenderedRelease release) =>
        new SidecarPod(release).Deployment.Spec.Template.Metadata.Annotations["checksum/quota-sidecar-config"];
}
