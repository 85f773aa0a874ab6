using Router.Actors.Configuration;

namespace Router.Tests.Configuration;

/// <summary><c>router.tracking</c>: defaults, overrides, and rejections that name the key.</summary>
public sealed class TrackingConfigTests
{
    private static RouterOptions Load(string tracking) => RouterConfig.ToOptions(RouterConfig.Parse($$"""
        router {
          spool.path = "/var/spool/router"
          {{tracking}}
          firewalls { fw-a { host = "127.0.0.1" } }
          connectors { out { address-spaces = ["*;1"], firewalls = [fw-a] } }
        }
        """));

    [Fact]
    public void By_default_the_log_is_on_in_the_spool_folder_with_64_MiB_files_and_10_kept()
    {
        var tracking = Load(string.Empty).Tracking;

        Assert.True(tracking.Enabled);
        Assert.Equal(Path.Combine("/var/spool/router", "tracking"), tracking.Directory);
        Assert.Equal(64L << 20, tracking.MaxFileSize);
        Assert.Equal(10, tracking.RetainFiles);
        Assert.Equal(65_536, tracking.QueueCapacity);
    }

    [Fact]
    public void Every_key_can_be_set()
    {
        var tracking = Load("""tracking { enabled = off, directory = "/var/log/router", max-file-size = 1 MiB, retain-files = 3, queue-capacity = 100 }""").Tracking;

        Assert.Equal(new TrackingOptions { Enabled = false, Directory = "/var/log/router", MaxFileSize = 1L << 20, RetainFiles = 3, QueueCapacity = 100 }, tracking);
    }

    [Theory]
    [InlineData("enabled = maybe", "router.tracking.enabled", "expected on or off")]
    [InlineData("max-file-size = 100", "router.tracking.max-file-size", "below the minimum of 1 KiB")]
    [InlineData("retain-files = 0", "router.tracking.retain-files", "must be at least 1")]
    [InlineData("queue-capacity = 0", "router.tracking.queue-capacity", "must be at least 1")]
    [InlineData("directory = \" \"", "router.tracking.directory", "must name a folder")]
    public void A_bad_value_is_rejected_naming_its_key(string setting, string key, string problem)
    {
        var error = Assert.Throws<RouterConfigException>(() => Load($"tracking {{ {setting} }}"));

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
