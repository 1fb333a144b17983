using System.Text.Json;

namespace AmiRotator.Tests.Iam;

/// <summary>IAM policy documents as <see cref="IamStatement"/>s, refusing anything the evaluator could misread.</summary>
internal static class IamPolicy
{
    private static readonly string[] DocumentMembers = ["Version", "Id", "Statement"];

    // Principal and NotPrincipal belong to resource-based policies; the function's role has identity policies only.
    private static readonly string[] StatementMembers = ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];

    /// <summary>
    /// Parses a policy document: <c>Statement</c> an object or an array; Action, NotAction, Resource and NotResource
    /// a string or an array; <c>Condition</c> as <c>{operator: {key: string | number | bool | array}}</c>, values kept as
    /// strings (<c>"true"</c>, <c>"5"</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">The document is malformed, or holds an unresolved intrinsic or a policy variable.</exception>
    public static IReadOnlyList<IamStatement> Parse(JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"A policy document must be a JSON object, not {document.ValueKind}.");
        }

        RefuseUnknownMembers(document, DocumentMembers, "The policy document");
        if (!document.TryGetProperty("Statement", out var statement))
        {
            throw Malformed("The policy document has no Statement.");
        }

        var nodes = statement.ValueKind switch
        {
            JsonValueKind.Object => [statement],
            JsonValueKind.Array => statement.EnumerateArray().ToList(),
            _ => throw Malformed($"Statement must be an object or an array, not {statement.ValueKind}."),
        };

        var statements = nodes.Select(ParseStatement).ToList();
        Validate(statements);

        // Unique within one policy only: a role's policies are evaluated together and may reuse a Sid.
        if (statements.Where(s => s.Sid is not null).GroupBy(s => s.Sid, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw Malformed($"Statement {twice.Key}: the Sid is used twice; IAM requires Sids to be unique within a policy.");
        }

        return statements;
    }

    /// <summary>How evaluations name a statement: its Sid, or <c>#index</c> (from 0) without one.</summary>
    public static string Label(IamStatement statement, int index) => statement.Sid ?? $"#{index}";

    /// <summary>
    /// Checks statements however they were built: one Effect of Allow or Deny, exactly one of Action/NotAction and of
    /// Resource/NotResource, known operators, well-typed values, no policy variables.
    /// </summary>
    /// <exception cref="InvalidDataException">A statement is malformed.</exception>
    public static void Validate(IReadOnlyList<IamStatement> statements)
    {
        for (var i = 0; i < statements.Count; i++)
        {
            var statement = statements[i];
            var where = $"Statement {Label(statement, i)}";
            if (statement.Effect is not (IamStatement.Allow or IamStatement.Deny))
            {
                throw Malformed($"{where}: Effect must be Allow or Deny, not '{statement.Effect}'.");
            }

            var actions = ExactlyOne(statement.Action, statement.NotAction, "Action", where);
            foreach (var action in actions)
            {
                RefuseVariables(action, where);

                // IAM's grammar is service:action or *; anything else would silently match nothing here.
                var colon = action.IndexOf(':', StringComparison.Ordinal);
                if (action != "*" && (colon <= 0 || colon == action.Length - 1 || Wildcard.HasWildcard(action[..colon])))
                {
                    throw Malformed($"{where}: '{action}' is not an action: write service:Action or *.");
                }
            }

            foreach (var resource in ExactlyOne(statement.Resource, statement.NotResource, "Resource", where))
            {
                RefuseVariables(resource, where);

                // A shorter ARN would rely on the trailing-* rule of reference_policies_elements_resource; refuse it
                // rather than guess which parts a wildcard swallows.
                if (resource != "*" && Arn.Split(resource) is null)
                {
                    throw Malformed($"{where}: '{resource}' is neither * nor an ARN with all six parts.");
                }
            }

            if (statement.Conditions is null)
            {
                throw Malformed($"{where}: Conditions must be a list (empty for none).");
            }

            foreach (var condition in statement.Conditions)
            {
                ValidateCondition(condition, where);
            }
        }
    }

    private static void ValidateCondition(IamCondition condition, string where)
    {
        ConditionOperator op;
        try
        {
            op = ConditionOperator.Parse(condition.Operator);
        }
        catch (InvalidDataException e)
        {
            throw Malformed($"{where}: {e.Message}");
        }

        RefuseVariables(condition.Key, where);
        if (string.IsNullOrEmpty(condition.Key))
        {
            throw Malformed($"{where}: '{condition.Operator}' has an empty key.");
        }

        if (condition.Values is not { Count: > 0 })
        {
            throw Malformed($"{where}: '{condition.Operator}' on {condition.Key} lists no values.");
        }

        foreach (var value in condition.Values)
        {
            RefuseVariables(value, where);
            try
            {
                if (op.IsBool)
                {
                    _ = ConditionOperator.ParseBool(value);
                }

                if (op.IsNumeric)
                {
                    _ = ConditionOperator.Number(value);
                }
            }
            catch (FormatException e)
            {
                throw Malformed($"{where}: '{condition.Operator}' on {condition.Key}: {e.Message}");
            }

            if (op.Base.StartsWith("Arn", StringComparison.Ordinal) && Arn.Split(value) is null)
            {
                throw Malformed($"{where}: '{value}' is not an ARN with all six parts, as {condition.Operator} needs.");
            }
        }
    }

    private static IReadOnlyList<string> ExactlyOne(IReadOnlyList<string>? plain, IReadOnlyList<string>? not, string element, string where)
    {
        var list = (plain, not) switch
        {
            ({ } p, null) => p,
            (null, { } n) => n,
            _ => throw Malformed($"{where}: give exactly one of {element} and Not{element}."),
        };

        return list.Count > 0 && list.All(v => !string.IsNullOrEmpty(v))
            ? list
            : throw Malformed($"{where}: {element} must list at least one non-empty value.");
    }

    // Variables would need the request's values substituted (reference_policies_variables); none are used, so a
    // "${" is an unresolved Fn::Sub or a mistake, and matching it literally would give a wrong answer.
    private static void RefuseVariables(string text, string where)
    {
        if (text.Contains("${", StringComparison.Ordinal))
        {
            throw Malformed($"{where}: '{text}' holds a policy variable or an unresolved Fn::Sub; resolve it first.");
        }
    }

    private static IamStatement ParseStatement(JsonElement node, int index)
    {
        var where = $"Statement #{index}";
        if (node.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"{where} must be an object, not {node.ValueKind}.");
        }

        RefuseUnknownMembers(node, StatementMembers, where);
        var sid = node.TryGetProperty("Sid", out var sidNode) ? Text(sidNode, $"{where} Sid") : null;
        if (sid is not null)
        {
            where = $"Statement {sid}";
        }

        var effect = node.TryGetProperty("Effect", out var effectNode)
            ? Text(effectNode, $"{where} Effect")
            : throw Malformed($"{where} has no Effect.");

        return new IamStatement(
            sid,
            effect,
            Strings(node, "Action", where),
            Strings(node, "NotAction", where),
            Strings(node, "Resource", where),
            Strings(node, "NotResource", where),
            node.TryGetProperty("Condition", out var conditionNode) ? Conditions(conditionNode, where) : []);
    }

    private static List<IamCondition> Conditions(JsonElement node, string where)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"{where} Condition must be an object, not {node.ValueKind}.");
        }

        var conditions = new List<IamCondition>();
        RefuseDuplicates(node, StringComparer.Ordinal, $"{where} Condition");
        foreach (var block in node.EnumerateObject())
        {
            RefuseIntrinsic(block.Name, where);
            if (block.Value.ValueKind != JsonValueKind.Object)
            {
                throw Malformed($"{where} Condition '{block.Name}' must map keys to values, not be {block.Value.ValueKind}.");
            }

            RefuseDuplicates(block.Value, StringComparer.OrdinalIgnoreCase, $"{where} {block.Name}");

            foreach (var entry in block.Value.EnumerateObject())
            {
                RefuseIntrinsic(entry.Name, where);
                var values = entry.Value.ValueKind == JsonValueKind.Array
                    ? entry.Value.EnumerateArray().Select(v => Scalar(v, $"{where} {block.Name} {entry.Name}")).ToList()
                    : [Scalar(entry.Value, $"{where} {block.Name} {entry.Name}")];
                conditions.Add(new IamCondition(block.Name, entry.Name, values));
            }
        }

        return conditions;
    }

    private static List<string>? Strings(JsonElement statement, string member, string where)
    {
        if (!statement.TryGetProperty(member, out var node))
        {
            return null;
        }

        return node.ValueKind == JsonValueKind.Array
            ? node.EnumerateArray().Select(v => Text(v, $"{where} {member}")).ToList()
            : [Text(node, $"{where} {member}")];
    }

    private static string Scalar(JsonElement node, string where) => node.ValueKind switch
    {
        JsonValueKind.Number => node.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => Text(node, where),
    };

    private static string Text(JsonElement node, string where)
    {
        if (node.ValueKind == JsonValueKind.String)
        {
            return node.GetString()!;
        }

        if (node.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in node.EnumerateObject())
            {
                RefuseIntrinsic(member.Name, where);
            }
        }

        throw Malformed($"{where} must be a string, not {node.ValueKind}.");
    }

    // A CloudFormation intrinsic left in place would be compared as text and silently never match.
    private static void RefuseIntrinsic(string name, string where)
    {
        if (name == "Ref" || name.StartsWith("Fn::", StringComparison.Ordinal))
        {
            throw Malformed($"{where} holds an unresolved CloudFormation intrinsic {{\"{name}\": ...}}; resolve it before parsing.");
        }
    }

    private static void RefuseUnknownMembers(JsonElement node, string[] known, string where)
    {
        RefuseDuplicates(node, StringComparer.Ordinal, where);
        foreach (var member in node.EnumerateObject())
        {
            RefuseIntrinsic(member.Name, where);
            if (!known.Contains(member.Name, StringComparer.Ordinal))
            {
                throw Malformed($"{where} has '{member.Name}'; an identity policy allows only {string.Join(", ", known)} here.");
            }
        }
    }

    // JSON readers disagree on which of two equal names wins; IAM's parser is not ours to guess.
    private static void RefuseDuplicates(JsonElement node, StringComparer comparer, string where)
    {
        var names = new HashSet<string>(comparer);
        foreach (var member in node.EnumerateObject())
        {
            if (!names.Add(member.Name))
            {
                throw Malformed($"{where} names '{member.Name}' twice.");
            }
        }
    }

    private static InvalidDataException Malformed(string message) => new(message);
}
