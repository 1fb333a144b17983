namespace AmiRotator.Tests.Iam;

/// <summary>
/// Decides one <see cref="AuthorizationRequest"/> against identity policy statements, as IAM does within one account
/// with no boundary, SCP or session policy (IAM User Guide, reference_policies_evaluation-logic).
/// </summary>
internal sealed class PolicyEvaluator(Sar sar)
{
    /// <exception cref="InvalidDataException">A statement is malformed.</exception>
    /// <exception cref="InvalidOperationException">A condition compares a multivalued key without a set operator.</exception>
    /// <exception cref="ArgumentException">The request names an unknown action, a resource the SAR does not list for it, or
    /// gives a single-valued key other than one value.</exception>
    public Evaluation Evaluate(IReadOnlyList<IamStatement> statements, AuthorizationRequest request)
    {
        IamPolicy.Validate(statements);
        RefuseUndefinedComparisons(statements);
        sar.CheckResource(request.Action, request.Resource, request.ResourceType);
        var (context, dropped) = Filter(request);

        var allowedBy = new List<string>();
        var deniedBy = new List<string>();
        for (var i = 0; i < statements.Count; i++)
        {
            var statement = statements[i];
            if (Applies(statement, request, context))
            {
                (statement.Effect == IamStatement.Deny ? deniedBy : allowedBy).Add(IamPolicy.Label(statement, i));
            }
        }

        // An explicit deny in any statement overrides any allow; with neither, the request is implicitly denied.
        var verdict = deniedBy.Count > 0 ? Verdict.ExplicitDeny
            : allowedBy.Count > 0 ? Verdict.Allowed
            : Verdict.ImplicitDeny;
        return new Evaluation(verdict, allowedBy, deniedBy, context, dropped);
    }

    private static bool Applies(IamStatement statement, AuthorizationRequest request, IReadOnlyDictionary<string, IReadOnlyList<string>> context) =>
        (statement.Action is { } actions
            ? actions.Any(a => ActionMatches(a, request.Action))
            : !statement.NotAction!.Any(a => ActionMatches(a, request.Action)))
        && (statement.Resource is { } resources
            ? resources.Any(r => ResourceMatches(r, request.Resource))
            : !statement.NotResource!.Any(r => ResourceMatches(r, request.Resource)))

        // Operator blocks, and the keys within one, are AND-ed (reference_policies_multi-value-conditions).
        && statement.Conditions.All(c => ConditionOperator.Parse(c.Operator).Holds(context.GetValueOrDefault(c.Key), c.Values));

    // Action names are case-insensitive (reference_policies_elements_action).
    private static bool ActionMatches(string pattern, string action) => Wildcard.IsMatch(pattern, action, ignoreCase: true);

    // "*" is the only way to name the resource of an action without resource types.
    private static bool ResourceMatches(string pattern, string resource) =>
        pattern == "*" || (resource != "*" && Arn.IsLike(pattern, resource));

    // IAM calls a single-valued operator on a multivalued key undefined; a fixture that picked an answer would hide it.
    private void RefuseUndefinedComparisons(IReadOnlyList<IamStatement> statements)
    {
        foreach (var condition in statements.SelectMany(s => s.Conditions))
        {
            var op = ConditionOperator.Parse(condition.Operator);
            if (op.Set == SetOperator.None && !op.IsNull && sar.IsMultivalued(condition.Key))
            {
                throw new InvalidOperationException(
                    $"{condition.Key} is multivalued, so '{condition.Operator}' on it is undefined; use ForAnyValue: or ForAllValues:.");
            }
        }
    }

    // Only keys the SAR lists for this action and resource type reach the conditions: a service does not send the
    // others, so a condition on them sees an absent key (SAR README, "How to read it").
    private (Dictionary<string, IReadOnlyList<string>> Context, List<string> Dropped) Filter(AuthorizationRequest request)
    {
        var context = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        var dropped = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, values) in request.Context)
        {
            if (!seen.Add(key))
            {
                throw new ArgumentException($"The context names {key} twice; key names are case-insensitive.", nameof(request));
            }

            if (values.Count != 1 && !sar.IsMultivalued(key))
            {
                throw new ArgumentException($"{key} is single-valued, but the request gives it {values.Count} values.", nameof(request));
            }

            if (sar.Supports(request.Action, request.ResourceType, key))
            {
                context.Add(key, values);
            }
            else
            {
                dropped.Add(key);
            }
        }

        return (context, dropped);
    }
}
