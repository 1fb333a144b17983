using System.Globalization;
using System.Text.RegularExpressions;
using AmiRotator.Configuration;
using AmiRotator.Retention;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>Every stack parameter is constrained, documented, and reaches the function or the resource it configures.</summary>
public sealed class TemplateParameterTests
{
    /// <summary>Parameters that are function settings, and the environment variable each one becomes.</summary>
    public static readonly IReadOnlyDictionary<string, string> SettingParameters = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["BackupTag"] = "BACKUP_TAG",
        ["DrRegion"] = "DR_REGION",
        ["Retention"] = "RETENTION",
        ["DrRetention"] = "DR_RETENTION",
        ["NoReboot"] = "NO_REBOOT",
        ["DrKmsKeyId"] = "DR_KMS_KEY_ID",
        ["RetentionTimezone"] = "RETENTION_TIMEZONE",
        ["MaxRetirePerRun"] = "MAX_RETIRE_PER_RUN",
        ["MaxCopiesInFlight"] = "MAX_COPIES_IN_FLIGHT",
        ["RpoHours"] = "RPO_HOURS",
        ["DrSnapshotLock"] = "DR_SNAPSHOT_LOCK",
        ["DeprecateAfterDays"] = "DEPRECATE_AFTER_DAYS",
        ["Owner"] = "OWNER",
        ["DrillSubnetId"] = "DRILL_SUBNET_ID",
        ["DrillSecurityGroupId"] = "DRILL_SECURITY_GROUP_ID",
        ["DrillInstanceType"] = "DRILL_INSTANCE_TYPE",
        ["DrillSample"] = "DRILL_SAMPLE",
    };

    /// <summary>Parameters that shape the deployment rather than the function, and the resource that consumes each.</summary>
    public static readonly IReadOnlyDictionary<string, string> DeploymentParameters = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ScheduleExpression"] = "the ScheduleV2 event",
        ["ScheduleTimezone"] = "the ScheduleV2 event",
        ["DrillScheduleExpression"] = "the drill schedule",
        ["AlarmEmail"] = "the alarm e-mail subscription",
        ["Architecture"] = "the function's Architectures",
        ["DrEbsDefaultKmsKeyArn"] = "the role's KMS statements",
        ["SourceKmsKeyArns"] = "the role's KMS statements",
        ["RecycleBinDays"] = "the Recycle Bin rules",
    };

    private static SamTemplate Template => SamTemplate.Current;

    public static TheoryData<string> ParameterNames() => [.. SamTemplate.Current.Parameters.Keys];

    [Fact]
    public void Parameters_WhenListed_AreExactlyTheSettingAndDeploymentParameters()
    {
        var expected = SettingParameters.Keys.Concat(DeploymentParameters.Keys).Order(StringComparer.Ordinal);

        Assert.Equal(expected, Template.Parameters.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ParameterNames))]
    public void Parameter_WhenDeclared_HasAllowedPatternOrValuesAndAConstraintDescription(string name)
    {
        var parameter = SamTemplate.Map(Template.Parameters, name);

        Assert.Equal("String", SamTemplate.Text(parameter, "Type"));
        Assert.True(parameter.ContainsKey("AllowedPattern") || parameter.ContainsKey("AllowedValues"), $"{name} has neither AllowedPattern nor AllowedValues.");
        Assert.False(string.IsNullOrWhiteSpace(SamTemplate.Text(parameter, "ConstraintDescription")), $"{name} has no ConstraintDescription.");
        Assert.False(string.IsNullOrWhiteSpace(SamTemplate.Text(parameter, "Description")), $"{name} has no Description.");
        Assert.True(parameter.ContainsKey("Default"), $"{name} has no Default, so a StackSet instance could not omit it.");
    }

    [Theory]
    [MemberData(nameof(ParameterNames))]
    public void Parameter_WhenDefaulted_SatisfiesItsOwnConstraint(string name)
    {
        var parameter = SamTemplate.Map(Template.Parameters, name);

        Assert.True(Allows(name, SamTemplate.Text(parameter, "Default")!), $"{name}'s default violates its own constraint.");
    }

    [Theory]
    [MemberData(nameof(ParameterNames))]
    public void Parameter_WhenDeclared_IsUsedByTheFunctionOrItsResource(string name)
    {
        if (SettingParameters.TryGetValue(name, out var variable))
        {
            Assert.True(Template.EnvironmentVariables.ContainsKey(variable), $"{name} should reach environment variable {variable}.");
            Assert.True(SamTemplate.References(Template.EnvironmentVariables[variable], name), $"{variable} does not take its value from {name}.");
            return;
        }

        Assert.True(DeploymentParameters.ContainsKey(name), $"{name} is neither a function setting nor a deployment parameter.");
        Assert.True(SamTemplate.References(Template.Resources, name), $"{name} is not used by {DeploymentParameters[name]}.");
    }

    [Fact]
    public void Parameters_InTheConsole_EachSitInExactlyOneGroup()
    {
        // The console lists an ungrouped parameter under "Other parameters", away from the settings it belongs with.
        var groups = SamTemplate.List(SamTemplate.Map(SamTemplate.Map(Template.Root, "Metadata"), "AWS::CloudFormation::Interface"), "ParameterGroups");
        var grouped = groups.SelectMany(g => SamTemplate.List((Dictionary<string, object?>)g!, "Parameters")).Cast<string>().ToList();

        Assert.Equal(Template.Parameters.Keys.Order(StringComparer.Ordinal), grouped.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EnvironmentVariables_WhenListed_EachComeFromASettingParameter()
    {
        // COPY_WRITERS is no setting: it follows from the template itself (NightLoopAndEventsTests checks it).
        Assert.Equal(
            SettingParameters.Values.Append("COPY_WRITERS").Order(StringComparer.Ordinal),
            Template.EnvironmentVariables.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Retention", "keep-daily=7,keep-weekly=4", true)]
    [InlineData("Retention", "keep-last=3", true)]
    [InlineData("Retention", "keep-within=1y2m3d4h", true)]
    [InlineData("Retention", "keep-within-daily=30d,keep-monthly=unlimited,keep-yearly=5", true)]
    [InlineData("Retention", "keep-hourly=24,keep-daily=7,keep-weekly=4,keep-monthly=12,keep-yearly=unlimited", true)]
    [InlineData("Retention", "", false)]
    [InlineData("Retention", "keep-daily=0", false)]
    [InlineData("Retention", "keep-daily=-1", false)]
    [InlineData("Retention", "keep-daily=7, keep-weekly=4", false)]
    [InlineData("Retention", "keep-forever=1", false)]
    [InlineData("Retention", "keep-within=", false)]
    [InlineData("Retention", "keep-within=30", false)]
    [InlineData("DrRetention", "", true)]
    [InlineData("DrRetention", "keep-daily=3", true)]
    [InlineData("DrRetention", "keep-daily", false)]
    [InlineData("BackupTag", "Backup=true", true)]
    [InlineData("BackupTag", "ami-rotator/backup=nightly", true)]
    [InlineData("BackupTag", "Backup", false)]
    [InlineData("BackupTag", "Backup=", false)]
    [InlineData("BackupTag", "=true", false)]
    [InlineData("BackupTag", "aws:backup=true", false)]
    [InlineData("DrRegion", "", true)]
    [InlineData("DrRegion", "eu-central-1", true)]
    [InlineData("DrRegion", "us-gov-west-1", true)]
    [InlineData("DrRegion", "EU-CENTRAL-1", false)]
    [InlineData("DrRegion", "eu-central", false)]
    [InlineData("DrKmsKeyId", "", true)]
    [InlineData("DrKmsKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("DrKmsKeyId", "mrk-1234abcd12ab34cd56ef1234567890ab", true)]
    [InlineData("DrKmsKeyId", "alias/ami-rotator-dr", true)]
    [InlineData("DrKmsKeyId", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("DrKmsKeyId", "arn:aws:kms:eu-west-1:123456789012:alias/ami-rotator-dr", false)]
    [InlineData("DrKmsKeyId", "not-a-key", false)]
    [InlineData("ScheduleExpression", "cron(0 3 * * ? *)", true)]
    [InlineData("ScheduleExpression", "cron(30 1 ? * SUN *)", true)]
    [InlineData("ScheduleExpression", "rate(12 hours)", true)]
    [InlineData("ScheduleExpression", "at(2026-11-26T03:00:00)", false)]
    [InlineData("ScheduleExpression", "0 3 * * *", false)]
    [InlineData("ScheduleTimezone", "UTC", true)]
    [InlineData("ScheduleTimezone", "Europe/Berlin", true)]
    [InlineData("ScheduleTimezone", "America/Argentina/Buenos_Aires", true)]
    [InlineData("ScheduleTimezone", "Etc/GMT+5", true)]
    [InlineData("ScheduleTimezone", "Europe Berlin", false)]
    [InlineData("RetentionTimezone", "Asia/Kolkata", true)]
    [InlineData("RetentionTimezone", "", false)]
    [InlineData("MaxRetirePerRun", "auto", true)]
    [InlineData("MaxRetirePerRun", "50", true)]
    [InlineData("MaxRetirePerRun", "0", false)]
    [InlineData("MaxRetirePerRun", "-5", false)]
    [InlineData("NoReboot", "true", true)]
    [InlineData("NoReboot", "false", true)]
    [InlineData("NoReboot", "yes", false)]
    [InlineData("AlarmEmail", "", true)]
    [InlineData("AlarmEmail", "ops-alerts@example.com", true)]
    [InlineData("AlarmEmail", "ops-alerts", false)]
    [InlineData("Architecture", "arm64", true)]
    [InlineData("Architecture", "aarch64", false)]
    [InlineData("DrEbsDefaultKmsKeyArn", "", true)]
    [InlineData("DrEbsDefaultKmsKeyArn", "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("DrEbsDefaultKmsKeyArn", "alias/aws/ebs", false)]
    [InlineData("SourceKmsKeyArns", "", true)]
    [InlineData("SourceKmsKeyArns", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("SourceKmsKeyArns", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab,arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab", true)]
    [InlineData("SourceKmsKeyArns", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab, arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ac", false)]
    [InlineData("SourceKmsKeyArns", "1234abcd-12ab-34cd-56ef-1234567890ab", false)]
    // "00" would miss the "0" condition and reach the rule as a period of 0 days, which CloudFormation refuses.
    [InlineData("RecycleBinDays", "00", false)]
    [InlineData("RecycleBinDays", "7d", false)]
    [InlineData("RecycleBinDays", "-1", false)]
    public void Parameter_WhenGivenAValue_AcceptsExactlyWhatTheFunctionAccepts(string name, string value, bool accepted) =>
        Assert.Equal(accepted, Allows(name, value));

    [Theory]
    [InlineData("MaxCopiesInFlight", 3, 300)]
    [InlineData("RpoHours", 1, 24 * 366)]
    [InlineData("MaxRetirePerRun", 1, 100_000)]
    // 0 creates no rule; a Recycle Bin rule keeps 1 to 365 days (EBS User Guide, recycle-bin-create-rule: "up to 1 year").
    [InlineData("RecycleBinDays", 0, 365)]
    public void NumericParameter_WhenGivenIntegers_AcceptsExactlyTheFunctionsRange(string name, int min, int max)
    {
        for (var n = 0; n <= max + 1000; n++)
        {
            Assert.True(
                (n >= min && n <= max) == Allows(name, n.ToString(CultureInfo.InvariantCulture)),
                $"{name}={n} should be {(n >= min && n <= max ? "accepted" : "rejected")}.");
        }
    }

    [Theory]
    [InlineData("keep-daily=7,keep-weekly=4")]
    [InlineData("keep-last=1")]
    [InlineData("keep-within=1y2m3d4h,keep-within-weekly=6m")]
    [InlineData("keep-hourly=unlimited,keep-yearly=10")]
    public void RetentionParameter_WhenPatternAccepts_FunctionParsesToo(string policy)
    {
        Assert.True(Allows("Retention", policy));
        Assert.True(RetentionPolicy.TryParse(policy, out _, out var error), error);
    }

    [Theory]
    [InlineData("Backup=true")]
    [InlineData("ami-rotator/backup=nightly")]
    [InlineData("Backup Plan=gold")]
    public void BackupTagParameter_WhenPatternAccepts_FunctionParsesToo(string tag)
    {
        Assert.True(Allows("BackupTag", tag));
        Assert.Equal(tag, BackupTag.Parse(tag).ToString());
    }

    [Fact]
    public void Rules_WhenDrRegionIsSet_RequireItToDifferFromTheStackRegion()
    {
        var rule = SamTemplate.Map(SamTemplate.Map(Template.Root, "Rules"), "DrRegionDiffersFromHomeRegion");
        var assertions = SamTemplate.List(rule, "Assertions");

        Assert.True(SamTemplate.References(rule["RuleCondition"], "DrRegion"));
        Assert.Contains(assertions, a => SamTemplate.References(a, "DrRegion") && SamTemplate.References(a, "AWS::Region"));
    }

    [Fact]
    public void Readme_WhenDescribingSettings_NamesEveryParameterAndEnvironmentVariable()
    {
        var readme = File.ReadAllText(RepositoryFiles.Readme);

        foreach (var name in Template.Parameters.Keys.Concat(SettingParameters.Values))
        {
            Assert.True(readme.Contains($"`{name}`", StringComparison.Ordinal), $"README.md does not mention `{name}`.");
        }
    }

    /// <summary>CloudFormation's check: AllowedValues membership, or an AllowedPattern matching the whole value.</summary>
    internal static bool Allows(string parameterName, string value)
    {
        var parameter = SamTemplate.Map(SamTemplate.Current.Parameters, parameterName);
        if (parameter.GetValueOrDefault("AllowedValues") is List<object?> allowed)
        {
            return allowed.Contains(value);
        }

        var pattern = SamTemplate.Text(parameter, "AllowedPattern")!;
        return Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
    }
}
