using AmiRotator.Configuration;
using AmiRotator.Lambda;
using AmiRotator.Reporting;
using AmiRotator.Tests.Deployment;
using NodaTime;
using NodaTime.TimeZones;
using Xunit;

namespace AmiRotator.Tests.Configuration;

/// <summary>
/// Settings read at init: the retention time zone comes from the TZDB that NodaTime embeds, and a Region is
/// judged by its name's form and partition, not by the pinned SDK's list of Regions.
/// </summary>
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

    [Fact]
    public void Readme_WhenNamingTheBuiltInTimeZoneDatabase_NamesTheVersionNodaTimeEmbeds()
    {
        var readme = File.ReadAllText(RepositoryFiles.Readme);

        Assert.Contains($"TZDB {TzdbDateTimeZoneSource.Default.TzdbVersion}", readme, StringComparison.Ordinal);
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

    [Theory]
    [InlineData("us-east-1")]
    [InlineData("us-gov-west-1")]
    [InlineData("cn-north-1")]
    [InlineData("eu-isoe-west-1")]
    [InlineData("ap-southeast-7")]
    [InlineData("ap-future-9")]
    [InlineData("xx-future-7")]
    public void FromEnvironment_WhenAwsRegionIsWellFormed_AcceptsItWhetherOrNotTheSdkKnowsIt(string region)
    {
        var settings = Read(("AWS_REGION", region));

        Assert.Equal(region, settings.Region);
    }

    [Theory]
    [InlineData("us-east-1", "ap-future-8")]
    [InlineData("ap-future-9", "ap-future-8")]
    [InlineData("cn-north-1", "cn-future-3")]
    [InlineData("us-gov-west-1", "us-gov-future-2")]
    [InlineData("eu-isoe-west-1", "eu-isoe-future-2")]
    [InlineData("us-isob-east-1", "us-isob-future-1")]
    public void FromEnvironment_WhenDrRegionIsWellFormedAndInTheSamePartition_AcceptsItWhetherOrNotTheSdkKnowsIt(string region, string drRegion)
    {
        var settings = Read(("AWS_REGION", region), ("DR_REGION", drRegion));

        Assert.Equal((region, drRegion), (settings.Region, settings.DrRegion));
    }

    [Theory]
    [InlineData("AWS_REGION", "US-EAST-1")]
    [InlineData("AWS_REGION", "us-east")]
    [InlineData("AWS_REGION", "useast1")]
    [InlineData("AWS_REGION", "us-east-1a")]
    [InlineData("DR_REGION", "us_west_2")]
    [InlineData("DR_REGION", "u-west-2")]
    [InlineData("DR_REGION", "us--west-2")]
    public void FromEnvironment_WhenRegionIsMalformed_RefusesNamingTheSettingAndTheValue(string name, string value)
    {
        var error = Assert.Throws<SettingsException>(() => Read((name, value)));

        Assert.Equal(
            $"{name} '{value}' is not an AWS Region name; expected lower-case words and a number joined by dashes, e.g. 'us-east-1' or 'eu-west-1'.",
            error.Message);
    }

    [Fact]
    public void Create_WhenAwsRegionIsMalformed_FailsInitAsInvalidSettings()
    {
        var error = Assert.Throws<FunctionErrorException>(() =>
            Function.Create(name => name == "AWS_REGION" ? "us-east" : null, TimeProvider.System, new Log(TextWriter.Null, TimeProvider.System)));

        Assert.Equal("InvalidSettings", error.ErrorType);
        Assert.Contains("AWS_REGION 'us-east'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("us-east-1", "aws", "cn-north-1", "aws-cn")]
    [InlineData("us-gov-west-1", "aws-us-gov", "us-east-1", "aws")]
    [InlineData("us-iso-east-1", "aws-iso", "us-isob-east-1", "aws-iso-b")]
    [InlineData("eu-isoe-west-1", "aws-iso-e", "eu-west-1", "aws")]
    [InlineData("us-isof-south-1", "aws-iso-f", "us-iso-west-1", "aws-iso")]
    [InlineData("ap-future-9", "aws", "cn-future-3", "aws-cn")]
    public void FromEnvironment_WhenDrRegionIsInAnotherPartition_RefusesNamingBothRegionsAndPartitions(
        string region, string partition, string drRegion, string drPartition)
    {
        var error = Assert.Throws<SettingsException>(() => Read(("AWS_REGION", region), ("DR_REGION", drRegion)));

        Assert.Equal(
            $"DR_REGION '{drRegion}' is in partition {drPartition} but AWS_REGION '{region}' is in {partition}; " +
            $"CopyImage does not copy between partitions, so choose a DR Region in {partition} or leave DR_REGION empty.",
            error.Message);
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
