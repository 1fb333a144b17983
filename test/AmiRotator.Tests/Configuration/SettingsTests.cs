using AmiRotator.Configuration;
using NodaTime;
using Xunit;

namespace AmiRotator.Tests.Configuration;

/// <summary>Settings read at init: the retention time zone comes from the TZDB that NodaTime embeds.</summary>
public sealed class SettingsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("UTC")]
    [InlineData("Etc/UTC")]
    public void FromEnvironment_WhenRetentionTimeZoneIsEmptyOrUtc_UsesUtc(string value)
    {
        var settings = Read(("RETENTION_TIMEZONE", value));

        Assert.Same(DateTimeZone.Utc, settings.RetentionTimeZone);
    }

    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/Argentina/Buenos_Aires")]
    [InlineData("Etc/GMT+5")]
    [InlineData("Asia/Calcutta")]
    public void FromEnvironment_WhenRetentionTimeZoneIsAnIanaName_ResolvesItFromTheEmbeddedTzdb(string name)
    {
        var zone = Read(("RETENTION_TIMEZONE", name)).RetentionTimeZone;

        Assert.Same(DateTimeZoneProviders.Tzdb[name], zone);
        Assert.Equal(name, zone.Id);
    }

    [Fact]
    public void FromEnvironment_WhenRetentionTimeZoneIsBerlin_ReadsBerlinsOffsets()
    {
        var zone = Read(("RETENTION_TIMEZONE", "Europe/Berlin")).RetentionTimeZone;

        Assert.Equal(Offset.FromHours(1), zone.GetUtcOffset(Instant.FromUtc(2024, 1, 15, 12, 0)));
        Assert.Equal(Offset.FromHours(2), zone.GetUtcOffset(Instant.FromUtc(2024, 7, 15, 12, 0)));
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("europe/berlin")]
    [InlineData("Eastern Standard Time")]
    [InlineData("+02:00")]
    public void FromEnvironment_WhenRetentionTimeZoneIsUnknown_RefusesNamingTheSettingAndTheValue(string name)
    {
        var error = Assert.Throws<SettingsException>(() => Read(("RETENTION_TIMEZONE", name)));

        Assert.Contains("RETENTION_TIMEZONE", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
    }

    private static Settings Read(params (string Name, string Value)[] values)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["AWS_REGION"] = "us-east-1" };
        foreach (var (name, value) in values)
        {
            env[name] = value;
        }

        return Settings.FromEnvironment(name => env.GetValueOrDefault(name));
    }
}
