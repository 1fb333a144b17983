namespace AmiRotator.Tests.Iam;

/// <summary>
/// A policy statement with every CloudFormation intrinsic already resolved: plain strings only. Exactly one of
/// <see cref="Action"/> / <see cref="NotAction"/> and one of <see cref="Resource"/> / <see cref="NotResource"/> is non-null.
/// </summary>
internal sealed record IamStatement(
    string? Sid,
    string Effect,
    IReadOnlyList<string>? Action,
    IReadOnlyList<string>? NotAction,
    IReadOnlyList<string>? Resource,
    IReadOnlyList<string>? NotResource,
    IReadOnlyList<IamCondition> Conditions)
{
    public const string Allow = "Allow";

    public const string Deny = "Deny";
}
