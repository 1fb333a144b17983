using System.Text.Json;

namespace AmiRotator.Tests.Iam;

/// <summary>Resources, policies and requests the evaluator's own tests share.</summary>
internal static class IamScenario
{
    public const string Image = "arn:aws:ec2:us-west-2::image/ami-0123456789abcdef0";

    public const string Snapshot = "arn:aws:ec2:us-west-2::snapshot/snap-0123456789abcdef0";

    public const string Instance = "arn:aws:ec2:us-west-2:123456789012:instance/i-0123456789abcdef0";

    public const string Key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    public const string Parameter = "arn:aws:ssm:us-west-2:123456789012:parameter/golden/ami";

    public static PolicyEvaluator Evaluator { get; } = new(Sar.Load());

    public static IReadOnlyList<IamStatement> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return IamPolicy.Parse(document.RootElement);
    }

    /// <summary>One statement; <paramref name="condition"/> is the JSON of its Condition object, if any.</summary>
    public static IReadOnlyList<IamStatement> Statement(string effect, string action, string resource, string? condition = null)
    {
        var conditionMember = condition is null ? "" : $", \"Condition\": {condition}";
        return Parse($$$"""{"Statement": {"Sid": "S", "Effect": "{{{effect}}}", "Action": "{{{action}}}", "Resource": "{{{resource}}}"{{{conditionMember}}}}}""");
    }

    public static AuthorizationRequest Request(string action, string resource, string? resourceType, params (string Key, string[] Values)[] context) =>
        new(action, resource, resourceType, context.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Values, StringComparer.Ordinal));

    public static Evaluation Evaluate(IReadOnlyList<IamStatement> statements, AuthorizationRequest request) =>
        Evaluator.Evaluate(statements, request);

    public static Verdict VerdictOf(IReadOnlyList<IamStatement> statements, AuthorizationRequest request) =>
        Evaluate(statements, request).Verdict;

    public static IamStatement Direct(string effect, string action, string resource, params IamCondition[] conditions) =>
        new(null, effect, [action], null, [resource], null, conditions);
}
