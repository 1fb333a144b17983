using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// Each stack is an owner: its backups carry ami-rotator:owner and its IAM policy requires it. The default must keep
/// any two stacks in one account apart, and the function must be told the same owner its policy names.
/// </summary>
public sealed class OwnerTests
{
    [Fact]
    public void Owner_WhenLeftEmpty_DiffersBetweenTwoStacksInOneAccountAndRegion()
    {
        var daily = DeployedStack.FromSam(new Dictionary<string, string>(), stackName: "ami-rotator-daily");
        var monthly = DeployedStack.FromSam(new Dictionary<string, string>(), stackName: "ami-rotator-monthly");

        Assert.Equal("ami-rotator-daily@us-east-1", daily.Environment["OWNER"]);
        Assert.Equal("ami-rotator-monthly@us-east-1", monthly.Environment["OWNER"]);
    }

    [Fact]
    public void Owner_WhenGiven_ReachesTheFunctionAndEveryOwnerConditionOfItsRole()
    {
        var stack = DeployedStack.FromSam(new Dictionary<string, string> { ["Owner"] = "platform-team", ["DrRegion"] = "us-west-2" });

        Assert.Equal("platform-team", stack.Environment["OWNER"]);
        var ownerConditions = stack.RoleStatements.SelectMany(s => s.Conditions).Where(c => c.Key.EndsWith("/ami-rotator:owner", StringComparison.Ordinal) && c.Operator != "Null").ToList();
        Assert.True(ownerConditions.Count >= 5, $"only {ownerConditions.Count} owner conditions");
        Assert.All(ownerConditions, c => Assert.Equal(["platform-team"], c.Values));
    }
}
