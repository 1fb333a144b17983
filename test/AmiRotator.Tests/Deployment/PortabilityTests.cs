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

    [Fact]
    public void Template_WhenRead_NamesNoRegion()
    {
        var matches = RegionName().Matches(File.ReadAllText(RepositoryFiles.Template)).Select(m => m.Value).ToList();

        Assert.True(matches.Count == 0, $"template.yaml names Regions: {string.Join(", ", matches)}");
    }

    [Fact]
    public void Template_WhenRead_ContainsNoAccountId()
    {
        var matches = AccountId().Matches(File.ReadAllText(RepositoryFiles.Template)).Select(m => m.Value).ToList();

        Assert.True(matches.Count == 0, $"template.yaml contains account ids: {string.Join(", ", matches)}");
    }

    [Fact]
    public void Template_WhenBuildingArns_UsesThePartitionPseudoParameter()
    {
        var text = File.ReadAllText(RepositoryFiles.Template);

        Assert.DoesNotMatch(HardCodedPartition(), text);
    }

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
