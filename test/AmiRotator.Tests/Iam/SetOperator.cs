namespace AmiRotator.Tests.Iam;

/// <summary>The optional <c>ForAnyValue:</c> / <c>ForAllValues:</c> prefix of a condition operator.</summary>
internal enum SetOperator
{
    None,
    ForAnyValue,
    ForAllValues,
}
