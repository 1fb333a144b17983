using System.Text.Json.Nodes;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// The night loop's Amazon States Language definition as CloudFormation receives it: SAM turns the inline Definition
/// into a DefinitionString (JSON lines joined) and passes DefinitionSubstitutions on, which Step Functions fills in.
/// </summary>
internal static class NightLoopDefinition
{
    public const string LogicalId = "NightLoop";
    public const string FunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:ami-rotator-AmiRotatorFunction-1A2B3C";

    /// <summary>The definition with its substitutions made, the function's ARN given as <see cref="FunctionArn"/>.</summary>
    public static JsonObject Load(IReadOnlyDictionary<string, string>? parameters = null, string region = DeployedStack.Region)
    {
        var stack = DeployedStack.FromSamIn(region, parameters ?? new Dictionary<string, string>());
        var properties = (JsonObject)stack.Resolver.Resolve(stack.Resolver.Resource(LogicalId)["Properties"])!;
        var text = (string)properties["DefinitionString"]!;
        foreach (var (key, value) in (JsonObject)properties["DefinitionSubstitutions"]!)
        {
            var substitute = key == "FunctionArn" ? FunctionArn : (string)value!;
            text = text.Replace("${" + key + "}", substitute, StringComparison.Ordinal);
        }

        return (JsonObject)JsonNode.Parse(text)!;
    }

    public static JsonObject States(JsonObject definition) => (JsonObject)definition["States"]!;
}
