using System.Text.RegularExpressions;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// The template is deployed as a StackSet into many accounts and Regions, so it must not name a Region, an account
/// or a physical resource: CloudFormation generates every name, and two stacks never collide.
/// </summary>
public sealed partial class PortabilityTests
{
    // Names a property may not set, because a fixed name breaks a second stack in the same account and Region.
    private static readonly string[] NameProperties =
    [
        "FunctionName", "RoleName", "QueueName", "TopicName", "LogGroupName", "AlarmName", "RuleName", "ScheduleName", "Name", "PolicyName",
    ];

    /// <summary>template.yaml, and the StackSet edition generated from it, which is what StackSets deploy.</summary>
    public static TheoryData<string> Templates => ["template.yaml", "stackset"];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenRead_NamesNoRegion(string template)
    {
        var matches = RegionName().Matches(Text(template)).Select(m => m.Value).ToList();

        Assert.True(matches.Count == 0, $"{template} names Regions: {string.Join(", ", matches)}");
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenRead_ContainsNoAccountId(string template)
    {
        var matches = AccountId().Matches(Text(template)).Select(m => m.Value).ToList();

        Assert.True(matches.Count == 0, $"{template} contains account ids: {string.Join(", ", matches)}");
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_WhenBuildingArns_UsesThePartitionPseudoParameter(string template)
    {
        Assert.DoesNotMatch(HardCodedPartition(), Text(template));
    }

    [Fact]
    public void StackSetEdition_WhenItsResourcesAreDeclared_LeavesTheirNamesToCloudFormation()
    {
        foreach (var (id, body) in DeployedStack.StackSetTemplate["Resources"]!.AsObject())
        {
            var properties = body!["Properties"]?.AsObject();
            foreach (var name in NameProperties)
            {
                // A Ref to another resource (the EventInvokeConfig's FunctionName) names nothing; a literal would.
                Assert.False(properties?[name] is System.Text.Json.Nodes.JsonValue, $"{id} sets {name} to a fixed value.");
            }
        }
    }

    private static string Text(string template) =>
        File.ReadAllText(template == "stackset" ? DeployedStack.StackSetTemplatePath : RepositoryFiles.Template);

    [Fact]
    public void Resources_WhenDeclared_LeaveTheirNamesToCloudFormation()
    {
        foreach (var (id, body) in SamTemplate.Current.Resources)
        {
            var resource = (Dictionary<string, object?>)body!;
            if (resource.GetValueOrDefault("Properties") is not Dictionary<string, object?> properties)
            {
                continue;
            }

            foreach (var name in NameProperties)
            {
                Assert.False(properties.ContainsKey(name), $"{id} sets {name}.");
            }
        }
    }

    [Fact]
    public void ScheduleV2_WhenSamWouldNameIt_OmitsTheName()
    {
        foreach (var (name, body) in SamTemplate.Current.FunctionEvents)
        {
            var properties = SamTemplate.Map((Dictionary<string, object?>)body!, "Properties");
            Assert.False(properties.ContainsKey("Name"), $"Event {name} sets a fixed Name.");
            if (SamTemplate.Text((Dictionary<string, object?>)body!, "Type") == "ScheduleV2")
            {
                Assert.Equal("true", SamTemplate.Text(properties, "OmitName"));
            }
        }
    }

    [GeneratedRegex(@"\b[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}\b")]
    private static partial Regex RegionName();

    [GeneratedRegex(@"(?<![0-9{,])[0-9]{12}(?![0-9}])")]
    private static partial Regex AccountId();

    [GeneratedRegex(@"arn:aws(-cn|-us-gov)?:")]
    private static partial Regex HardCodedPartition();
}
