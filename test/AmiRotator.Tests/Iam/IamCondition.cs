namespace AmiRotator.Tests.Iam;

/// <summary>One key of one condition operator block: <c>{"Operator": {"Key": Values}}</c>, values as strings.</summary>
internal sealed record IamCondition(string Operator, string Key, IReadOnlyList<string> Values);
