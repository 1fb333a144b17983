using System.Text.Json.Nodes;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// The optional Recycle Bin rules as CloudFormation creates them, in the home stack (after the SAM transform, and in
/// the StackSet edition) and in dr-events.yaml. What they must guarantee, from the docs:
/// - a binned AMI can be restored only while its snapshots exist, so the snapshot rule keeps at least as long as the
///   AMI rule (EBS User Guide, recycle-bin-factors);
/// - a tag-level rule retains a deleted resource that carries any one of its tag pairs (Rbin API_CreateRule,
///   ResourceTags), so each pair must be one only AmiRotator writes, or the rule would retain other people's images;
/// - rules are Regional (recycle-bin-create-rule), so the DR Region needs rules of its own.
/// </summary>
public sealed class RecycleBinRuleTests
{
    private const string ImageRule = "ImageRecycleBinRule";
    private const string SnapshotRule = "SnapshotRecycleBinRule";

    public static TheoryData<string> Days() => ["1", "7", "30", "365"];

    [Fact]
    public void Rules_ByDefault_AreNotCreated_InEitherRegion()
    {
        var stacks = new[]
        {
            DeployedStack.FromSam(new Dictionary<string, string>()),
            DeployedStack.FromStackSet(new Dictionary<string, string>()),
            DeployedStack.FromPlainTemplate("dr-events.yaml", new Dictionary<string, string> { ["HomeRegion"] = "us-east-1" }, "us-west-2"),
        };

        Assert.All(stacks, stack => Assert.DoesNotContain(stack.Resolver.Resources, r => (string?)r.Body["Type"] == "AWS::Rbin::Rule"));
    }

    [Theory]
    [MemberData(nameof(Days))]
    public void HomeRules_WhenRecycleBinDaysIsSet_KeepSnapshotsAtLeastAsLongAsImages_OfThisStackOnly(string days)
    {
        foreach (var stack in new[]
        {
            DeployedStack.FromSam(new Dictionary<string, string> { ["RecycleBinDays"] = days }, stackName: "nightly"),
            DeployedStack.FromStackSet(new Dictionary<string, string> { ["RecycleBinDays"] = days }),
        })
        {
            var (image, snapshot) = Rules(stack);

            Assert.Equal(int.Parse(days, System.Globalization.CultureInfo.InvariantCulture), RetentionDays(image));
            Assert.True(RetentionDays(snapshot) >= RetentionDays(image), "the snapshot rule lets snapshots go before their binned AMI could be restored");
            // The owner tag the function writes on every backup and snapshot (OWNER) is the only tag the rules match.
            var owner = stack.Environment["OWNER"];
            Assert.All([image, snapshot], rule => Assert.Equal([("ami-rotator:owner", owner)], TagPairs(rule)));
        }
    }

    [Fact]
    public void HomeRules_WithAnExplicitOwner_MatchThatOwner()
    {
        var stack = DeployedStack.FromSam(new Dictionary<string, string> { ["RecycleBinDays"] = "14", ["Owner"] = "team-a" });

        var (image, snapshot) = Rules(stack);

        Assert.All([image, snapshot], rule => Assert.Equal([("ami-rotator:owner", "team-a")], TagPairs(rule)));
    }

    [Theory]
    [MemberData(nameof(Days))]
    public void DrRules_WhenRecycleBinDaysIsSet_KeepSnapshotsAtLeastAsLongAsImages_OfAmiRotatorOnly(string days)
    {
        var stack = DeployedStack.FromPlainTemplate("dr-events.yaml", new Dictionary<string, string> { ["HomeRegion"] = "us-east-1", ["RecycleBinDays"] = days }, "us-west-2");

        var (image, snapshot) = Rules(stack);

        Assert.True(RetentionDays(snapshot) >= RetentionDays(image));
        Assert.Equal(int.Parse(days, System.Globalization.CultureInfo.InvariantCulture), RetentionDays(image));
        // Deployed once per account, so it names the managed tag that every AmiRotator copy carries, not one stack's owner.
        Assert.All([image, snapshot], rule => Assert.Equal([("ami-rotator:managed", "true")], TagPairs(rule)));
    }

    [Fact]
    public void RecycleBinDays_InTheDrRegion_IsConstrainedExactlyLikeTheHomeStacks()
    {
        // TemplateParameterTests checks the home stack's range (0, or the 1 to 365 days a rule keeps); the DR copies'
        // rules must accept and refuse the same values.
        var dr = SamTemplate.Map(SamTemplate.Map(CloudFormationYaml.Load(Path.Combine(RepositoryFiles.Root, "dr-events.yaml")), "Parameters"), "RecycleBinDays");
        var home = SamTemplate.Map(SamTemplate.Current.Parameters, "RecycleBinDays");

        foreach (var key in new[] { "Type", "Default", "AllowedPattern", "ConstraintDescription" })
        {
            Assert.Equal(SamTemplate.Text(home, key), SamTemplate.Text(dr, key));
        }
    }

    private static (JsonObject Image, JsonObject Snapshot) Rules(DeployedStack stack)
    {
        var rules = stack.Resolver.Resources.Where(r => (string?)r.Body["Type"] == "AWS::Rbin::Rule")
            .Select(r => (JsonObject)stack.Resolver.Resolve(r.Body["Properties"])!).ToList();
        Assert.Equal(2, rules.Count);
        // Tag-level rules only: a Region-level rule would retain every AMI or snapshot in the Region, anyone's.
        Assert.All(rules, r => Assert.Null(r["ExcludeResourceTags"]));
        return (Assert.Single(rules, r => (string?)r["ResourceType"] == "EC2_IMAGE"), Assert.Single(rules, r => (string?)r["ResourceType"] == "EBS_SNAPSHOT"));
    }

    private static int RetentionDays(JsonObject rule)
    {
        var period = rule["RetentionPeriod"]!;
        Assert.Equal("DAYS", (string?)period["RetentionPeriodUnit"]);
        return int.Parse((string)period["RetentionPeriodValue"]!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<(string, string)> TagPairs(JsonObject rule) =>
        [.. rule["ResourceTags"]!.AsArray().Select(t => ((string)t!["ResourceTagKey"]!, (string)t["ResourceTagValue"]!))];
}
