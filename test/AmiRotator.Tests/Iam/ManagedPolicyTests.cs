using System.Text.Json;
using Xunit;
using static AmiRotator.Tests.Iam.IamScenario;

namespace AmiRotator.Tests.Iam;

/// <summary>AWS's own managed policies, from the copy in test/iam/sar/managed-policies, evaluated as IAM would.</summary>
public sealed class ManagedPolicyTests
{
    private static readonly IReadOnlyList<IamStatement> ImageReferences = Load("AmazonEC2ImageReferencesAccessPolicy");

    private static IReadOnlyList<IamStatement> Load(string name)
    {
        using var file = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "iam", "sar", "managed-policies", name + ".json")));
        return IamPolicy.Parse(file.RootElement.GetProperty("document"));
    }

    private static AuthorizationRequest GetParameters(params string[] calledVia) => calledVia.Length == 0
        ? Request("ssm:GetParameters", Parameter, "parameter")
        : Request("ssm:GetParameters", Parameter, "parameter", ("aws:CalledVia", calledVia));

    [Fact]
    public void ImageReferences_WhenEc2ImagesCallsGetParameters_Allows()
    {
        var evaluation = Evaluate(ImageReferences, GetParameters("ec2-images.amazonaws.com"));

        Assert.Equal(Verdict.Allowed, evaluation.Verdict);
        Assert.Equal(["#1"], evaluation.AllowedBy);
    }

    [Fact]
    public void ImageReferences_WhenGetParametersIsCalledDirectly_IsImplicitDeny()
    {
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(ImageReferences, GetParameters()));
    }

    [Fact]
    public void ImageReferences_WhenGetParametersIsCalledViaPlainEc2_IsImplicitDeny()
    {
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(ImageReferences, GetParameters("ec2.amazonaws.com")));
    }

    [Fact]
    public void ImageReferences_WhenEc2ImagesIsOneOfSeveralServicesInTheChain_Allows()
    {
        Assert.Equal(Verdict.Allowed, VerdictOf(ImageReferences, GetParameters("cloudformation.amazonaws.com", "ec2-images.amazonaws.com")));
    }

    [Fact]
    public void ImageReferences_WhenDescribeImageReferences_AllowsWithoutAnyContext()
    {
        var evaluation = Evaluate(ImageReferences, Request("ec2:DescribeImageReferences", "*", null));

        Assert.Equal(Verdict.Allowed, evaluation.Verdict);
        Assert.Equal(["#0"], evaluation.AllowedBy);
    }

    [Fact]
    public void ImageReferences_WhenAnActionItDoesNotList_IsImplicitDeny()
    {
        Assert.Equal(Verdict.ImplicitDeny, VerdictOf(ImageReferences, Request("ec2:DescribeImages", "*", null, ("aws:CalledVia", ["ec2-images.amazonaws.com"]))));
    }

    [Fact]
    public void LambdaBasicExecution_WhenParsed_GrantsTheThreeLogsActionsOnStar()
    {
        var statement = Assert.Single(Load("AWSLambdaBasicExecutionRole"));

        Assert.Equal(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], statement.Action);
        Assert.Equal(["*"], statement.Resource);
    }

    [Fact]
    public void LambdaBasicExecution_WhenEvaluatingLogs_ThrowsBecauseTheDataDoesNotCoverLogs()
    {
        var e = Assert.Throws<ArgumentException>(() => VerdictOf(Load("AWSLambdaBasicExecutionRole"), Request("logs:PutLogEvents", "*", null)));

        Assert.Contains("test/iam/sar", e.Message, StringComparison.Ordinal);
    }
}
