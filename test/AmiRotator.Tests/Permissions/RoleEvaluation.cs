using AmiRotator.Tests.Iam;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// One request against a deployment's role, as CloudFormation creates it, judged with the Service Authorization
/// Reference (loaded once for every permission test).
/// </summary>
internal static class RoleEvaluation
{
    public static readonly Sar Reference = Sar.Load();

    public static readonly PolicyEvaluator Evaluator = new(Reference);

    public static Evaluation Evaluate(PermissionWorld world, AuthorizationRequest request) => Evaluator.Evaluate(world.Stack.RoleStatements, request);
}
