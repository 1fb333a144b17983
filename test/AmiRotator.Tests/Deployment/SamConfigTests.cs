using System.Globalization;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>samconfig.toml deploys the template as written: every override names a real parameter with a value it accepts.</summary>
public sealed partial class SamConfigTests
{
    private static readonly Lazy<TomlTable> Config = new(() =>
        TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(RepositoryFiles.SamConfig))
        ?? throw new InvalidDataException("samconfig.toml is empty."));

    public static TheoryData<string> Environments() => ["default", "prod"];

    [Fact]
    public void SamConfig_WhenParsed_IsVersion01()
    {
        Assert.Equal(0.1, Convert.ToDouble(Config.Value["version"], CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void Environment_WhenDeploying_HasItsOwnStackNameAndBuildTable(string environment)
    {
        var env = Table(Config.Value, environment);

        Assert.False(string.IsNullOrWhiteSpace(Table(Table(env, "global"), "parameters")["stack_name"] as string));
        Assert.True(env.ContainsKey("build"), $"[{environment}.build.parameters] is missing.");
    }

    [Fact]
    public void Environments_WhenDeployed_UseDifferentStacks()
    {
        Assert.NotEqual(StackName("default"), StackName("prod"));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void DeployTable_WhenUsed_ResolvesS3WithIamCapabilityAndConfirmsTheChangeSet(string environment)
    {
        var deploy = DeployParameters(environment);

        Assert.Equal(true, deploy["resolve_s3"]);
        Assert.Equal("CAPABILITY_IAM", deploy["capabilities"]);
        Assert.Equal(true, deploy["confirm_changeset"]);
        Assert.IsType<string>(deploy["parameter_overrides"]);
        Assert.False(deploy.ContainsKey("region"), "A fixed region would pin every deploy to one Region.");
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public void ParameterOverrides_WhenApplied_NameTemplateParametersWithAcceptedValues(string environment)
    {
        var overrides = Overrides(environment);

        Assert.NotEmpty(overrides);
        foreach (var (name, value) in overrides)
        {
            Assert.True(SamTemplate.Current.Parameters.ContainsKey(name), $"[{environment}] overrides unknown parameter {name}.");
            Assert.True(TemplateParameterTests.Allows(name, value), $"[{environment}] {name}=\"{value}\" violates the template's constraint.");
        }
    }

    [Fact]
    public void ProdOverrides_WhenApplied_CopyToADrRegionAndAlertAnEmail()
    {
        var prod = Overrides("prod");

        Assert.False(string.IsNullOrEmpty(prod.GetValueOrDefault("DrRegion")));
        Assert.False(string.IsNullOrEmpty(prod.GetValueOrDefault("AlarmEmail")));
    }

    [Fact]
    public void ParameterOverrides_WhenParsedLikeSamCli_ConsumeTheWholeString()
    {
        foreach (var environment in new[] { "default", "prod" })
        {
            var text = (string)DeployParameters(environment)["parameter_overrides"]!;
            var rest = Override().Replace(text, string.Empty);

            Assert.True(string.IsNullOrWhiteSpace(rest), $"[{environment}] parameter_overrides has unparsed text: '{rest.Trim()}'");
        }
    }

    private static string? StackName(string environment) =>
        Table(Table(Table(Config.Value, environment), "global"), "parameters")["stack_name"] as string;

    private static TomlTable DeployParameters(string environment) =>
        Table(Table(Table(Config.Value, environment), "deploy"), "parameters");

    /// <summary>SAM CLI's <c>Key=Value</c> / <c>Key="Value"</c> syntax, space-separated.</summary>
    private static Dictionary<string, string> Overrides(string environment)
    {
        var text = (string)DeployParameters(environment)["parameter_overrides"]!;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in Override().Matches(text))
        {
            var value = match.Groups["quoted"].Success ? match.Groups["quoted"].Value : match.Groups["bare"].Value;
            Assert.True(result.TryAdd(match.Groups["key"].Value, value), $"[{environment}] sets {match.Groups["key"].Value} twice.");
        }

        return result;
    }

    private static TomlTable Table(TomlTable parent, string key) =>
        parent.TryGetValue(key, out var value) && value is TomlTable table
            ? table
            : throw new KeyNotFoundException($"samconfig.toml has no table '{key}'.");

    [GeneratedRegex("(?<key>[A-Za-z0-9]+)=(?:\"(?<quoted>[^\"]*)\"|(?<bare>[^\\s\"]+))")]
    private static partial Regex Override();
}
