using System.Text.Json.Nodes;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// The StackSet edition (scripts/sam_transform.py --stackset, `make stackset-template`): plain CloudFormation that a
/// service-managed StackSet can deploy, since StackSets accept no macros (API_CreateStackSet, CAPABILITY_AUTO_EXPAND).
/// </summary>
public sealed class StackSetTemplateTests
{
    private static JsonObject Template => DeployedStack.StackSetTemplate;

    [Fact]
    public void StackSetEdition_WhenGenerated_HasNoTransformAndNoServerlessResources()
    {
        Assert.False(Template.ContainsKey("Transform"));
        var types = Template["Resources"]!.AsObject().Select(r => (string)r.Value!["Type"]!).ToList();

        Assert.DoesNotContain(types, t => t.StartsWith("AWS::Serverless::", StringComparison.Ordinal));
        Assert.Contains("AWS::Lambda::Function", types);
        Assert.Contains("AWS::IAM::Role", types);
        Assert.Contains("AWS::Scheduler::Schedule", types);
    }

    [Fact]
    public void StackSetEdition_WhenDeployed_LoadsTheCodeFromTheBucketAndKeyItIsGiven()
    {
        var stack = DeployedStack.FromStackSet(new Dictionary<string, string>());

        var code = stack.FunctionProperties["Code"]!.AsObject();

        Assert.Equal($"my-artifacts-{DeployedStack.Region}", (string)code["S3Bucket"]!);
        Assert.Equal("ami-rotator/bootstrap.zip", (string)code["S3Key"]!);
        Assert.Equal(2, code.Count);
    }

    [Fact]
    public void StackSetEdition_WhenCompared_DeclaresEveryParameterOfTemplateYamlPlusTheCodeLocation()
    {
        var sam = SamTemplate.Current.Parameters.Keys.Order(StringComparer.Ordinal);
        var stackset = Template["Parameters"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal);

        Assert.Equal(sam.Append("CodeS3Bucket").Append("CodeS3Key").Order(StringComparer.Ordinal), stackset);
    }

    [Fact]
    public void StackSetEdition_WhenAttachingManagedPolicies_NamesThePartitionThroughThePseudoParameter()
    {
        var role = DeployedStack.FromStackSet(new Dictionary<string, string>()).Resolver.Resource("AmiRotatorFunctionRole");

        var arns = role["Properties"]!["ManagedPolicyArns"]!.AsArray();

        // SAM attaches the basic execution role, and for the SQS event source the queue execution role.
        Assert.Equal(
            ["arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"],
            arns.Select(a => (string)a!["Fn::Sub"]!).Order(StringComparer.Ordinal));
    }
}
