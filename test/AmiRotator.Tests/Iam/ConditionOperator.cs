using System.Globalization;

namespace AmiRotator.Tests.Iam;

/// <summary>
/// A parsed condition operator such as <c>ForAllValues:StringNotLikeIfExists</c>, and its truth table
/// (IAM User Guide, reference_policies_elements_condition_operators and reference_policies_condition-single-vs-multi-valued-context-keys).
/// </summary>
internal sealed record ConditionOperator(string Name, SetOperator Set, string Base, bool IfExists)
{
    private const string IfExistsSuffix = "IfExists";

    // Only the operators AmiRotator's policies can need; Date, IpAddress and Binary are refused rather than guessed.
    private static readonly HashSet<string> Bases = new(StringComparer.Ordinal)
    {
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "Bool", "Null",
    };

    /// <summary>The …Not… operators: a present value must match none of the policy's values, an absent key passes.</summary>
    public bool IsNegated => Base.Contains("Not", StringComparison.Ordinal);

    public bool IsNull => Base == "Null";

    public bool IsBool => Base == "Bool" || IsNull;

    public bool IsNumeric => Base.StartsWith("Numeric", StringComparison.Ordinal);

    /// <exception cref="InvalidDataException">The name is not an operator this evaluator knows.</exception>
    public static ConditionOperator Parse(string name)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        var set = colon < 0 ? SetOperator.None : name[..colon] switch
        {
            "ForAnyValue" => SetOperator.ForAnyValue,
            "ForAllValues" => SetOperator.ForAllValues,
            _ => SetOperator.None,
        };
        var rest = set == SetOperator.None ? name : name[(colon + 1)..];

        var ifExists = rest.EndsWith(IfExistsSuffix, StringComparison.Ordinal);
        var baseName = ifExists ? rest[..^IfExistsSuffix.Length] : rest;

        // "You can add IfExists to the end of any condition operator name except the Null condition."
        if (!Bases.Contains(baseName) || (ifExists && baseName == "Null"))
        {
            throw new InvalidDataException($"Unknown condition operator '{name}'.");
        }

        return new ConditionOperator(name, set, baseName, ifExists);
    }

    /// <summary>
    /// Whether the condition holds for the request's values of its key (null or empty: the key is absent).
    /// </summary>
    public bool Holds(IReadOnlyList<string>? contextValues, IReadOnlyList<string> policyValues)
    {
        // An empty multivalued key counts as missing: Null and ForAllValues treat "a null data set" like an absent key
        // (reference_policies_condition_examples-multi-valued-context-keys).
        if (contextValues is not { Count: > 0 })
        {
            return IsNull
                ? policyValues.Any(ParseBool)
                : IfExists || Set == SetOperator.ForAllValues || (Set == SetOperator.None && IsNegated);
        }

        if (IsNull)
        {
            return policyValues.Any(v => !ParseBool(v));
        }

        return Set switch
        {
            SetOperator.ForAnyValue => contextValues.Any(v => Satisfies(v, policyValues)),
            SetOperator.ForAllValues => contextValues.All(v => Satisfies(v, policyValues)),
            _ when contextValues.Count == 1 => Satisfies(contextValues[0], policyValues),
            _ => throw new InvalidOperationException(
                $"'{Name}' compares one value, but the request has {contextValues.Count}; IAM leaves the result undefined. Use ForAnyValue: or ForAllValues:."),
        };
    }

    /// <summary>The policy's values for one key are OR-ed; a negated operator wants none of them (logical NOR).</summary>
    private bool Satisfies(string contextValue, IReadOnlyList<string> policyValues)
    {
        var any = policyValues.Any(v => Matches(v, contextValue));
        return IsNegated ? !any : any;
    }

    private bool Matches(string policyValue, string contextValue) => Base.Replace("Not", "", StringComparison.Ordinal) switch
    {
        "StringEquals" => string.Equals(contextValue, policyValue, StringComparison.Ordinal),
        "StringEqualsIgnoreCase" => string.Equals(contextValue, policyValue, StringComparison.OrdinalIgnoreCase),
        "StringLike" => Wildcard.IsMatch(policyValue, contextValue, ignoreCase: false),

        // The User Guide lists ArnEquals and ArnLike in one row with one behaviour: per-part wildcards.
        "ArnEquals" or "ArnLike" => Arn.IsLike(policyValue, contextValue),
        "Bool" => ParseBool(contextValue) == ParseBool(policyValue),
        "NumericEquals" => Number(contextValue) == Number(policyValue),
        "NumericLessThan" => Number(contextValue) < Number(policyValue),
        "NumericLessThanEquals" => Number(contextValue) <= Number(policyValue),
        "NumericGreaterThan" => Number(contextValue) > Number(policyValue),
        "NumericGreaterThanEquals" => Number(contextValue) >= Number(policyValue),
        var other => throw new InvalidOperationException($"No comparison for '{other}'."),
    };

    /// <exception cref="FormatException">Not "true" or "false" in any case.</exception>
    public static bool ParseBool(string value) =>
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) ? true
        : string.Equals(value, "false", StringComparison.OrdinalIgnoreCase) ? false
        : throw new FormatException($"'{value}' is not a Bool: use true or false.");

    /// <exception cref="FormatException">Not a decimal number.</exception>
    public static decimal Number(string value) =>
        decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"'{value}' is not a number.");
}
