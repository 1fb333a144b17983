namespace AmiRotator.Tests.Deployment;

/// <summary>template.yaml as plain values, with the lookups the deployment tests share.</summary>
internal sealed class SamTemplate
{
    public const string FunctionId = "AmiRotatorFunction";

    private static readonly Lazy<SamTemplate> Loaded = new(() => new SamTemplate(CloudFormationYaml.Load(RepositoryFiles.Template)));

    private SamTemplate(Dictionary<string, object?> root) => Root = root;

    public static SamTemplate Current => Loaded.Value;

    public Dictionary<string, object?> Root { get; }

    public Dictionary<string, object?> Parameters => Map(Root, "Parameters");

    public Dictionary<string, object?> Conditions => Map(Root, "Conditions");

    public Dictionary<string, object?> Resources => Map(Root, "Resources");

    public Dictionary<string, object?> Outputs => Map(Root, "Outputs");

    public Dictionary<string, object?> Function => Map(Resources, FunctionId);

    public Dictionary<string, object?> FunctionProperties => Map(Function, "Properties");

    public Dictionary<string, object?> EnvironmentVariables => Map(Map(FunctionProperties, "Environment"), "Variables");

    public Dictionary<string, object?> FunctionEvents => Map(FunctionProperties, "Events");

    public IEnumerable<KeyValuePair<string, object?>> ResourcesOfType(string type) =>
        Resources.Where(r => r.Value is Dictionary<string, object?> body && Text(body, "Type") == type);

    /// <summary>The function's inline policy statements; a statement inside <c>!If</c> carries that condition.</summary>
    public IReadOnlyList<PolicyStatement> FunctionStatements()
    {
        var statements = new List<PolicyStatement>();
        foreach (var policy in List(FunctionProperties, "Policies"))
        {
            var document = policy as Dictionary<string, object?>
                ?? throw new InvalidDataException("Function policies must be inline policy documents.");
            foreach (var entry in List(document, "Statement"))
            {
                if (entry is Dictionary<string, object?> { Count: 1 } wrapper && wrapper.TryGetValue("Fn::If", out var ifArgs))
                {
                    var args = (List<object?>)ifArgs!;
                    var condition = (string)args[0]!;
                    AddUnlessNoValue(statements, args[1], condition);
                    AddUnlessNoValue(statements, args[2], "!" + condition);
                }
                else
                {
                    statements.Add(new PolicyStatement((Dictionary<string, object?>)entry!, UnderCondition: null));
                }
            }
        }

        return statements;
    }

    public static Dictionary<string, object?> Map(Dictionary<string, object?> parent, string key) =>
        parent.TryGetValue(key, out var value) && value is Dictionary<string, object?> map
            ? map
            : throw new KeyNotFoundException($"'{key}' is missing or is not a mapping.");

    public static List<object?> List(Dictionary<string, object?> parent, string key) =>
        parent.TryGetValue(key, out var value) && value is List<object?> list
            ? list
            : throw new KeyNotFoundException($"'{key}' is missing or is not a list.");

    public static string? Text(Dictionary<string, object?> parent, string key) =>
        parent.TryGetValue(key, out var value) ? value as string : null;

    public static bool IsNoValue(object? node) =>
        node is Dictionary<string, object?> { Count: 1 } map && map.TryGetValue("Ref", out var target) && target as string == "AWS::NoValue";

    /// <summary>True when the value refers to <paramref name="name"/> anywhere: <c>Ref</c>, <c>${name}</c> in a <c>Sub</c>, or a condition name.</summary>
    public static bool References(object? node, string name) => node switch
    {
        Dictionary<string, object?> map => map.Any(entry =>
            (entry.Key is "Ref" or "Condition" && entry.Value as string == name)
            || (entry.Key == "Fn::Sub" && SubMentions(entry.Value, name))
            || References(entry.Value, name)),
        List<object?> list => list.Any(item => References(item, name)),
        _ => false,
    };

    /// <summary>Every string a value can take, with intrinsics rendered readably (<c>Ref X</c> as <c>${X}</c>, <c>Sub</c> as its template).</summary>
    public static IEnumerable<string> Leaves(object? node)
    {
        switch (node)
        {
            case string text:
                yield return text;
                break;
            case Dictionary<string, object?> map when IsNoValue(map):
                break;
            case Dictionary<string, object?> { Count: 1 } map when map.TryGetValue("Ref", out var target):
                yield return "${" + target + "}";
                break;
            case Dictionary<string, object?> { Count: 1 } map when map.TryGetValue("Fn::Sub", out var sub):
                yield return sub is List<object?> subArgs ? (string)subArgs[0]! : (string)sub!;
                break;
            case Dictionary<string, object?> { Count: 1 } map when map.TryGetValue("Fn::If", out var ifArgs):
                var args = (List<object?>)ifArgs!;
                foreach (var leaf in Leaves(args[1]).Concat(Leaves(args[2])))
                {
                    yield return leaf;
                }

                break;
            case List<object?> list:
                foreach (var leaf in list.SelectMany(Leaves))
                {
                    yield return leaf;
                }

                break;
            case Dictionary<string, object?> map:
                yield return string.Join(",", map.Keys);
                break;
        }
    }

    private static bool SubMentions(object? sub, string name)
    {
        var template = sub is List<object?> args ? args[0] as string : sub as string;
        return template is not null && template.Contains("${" + name + "}", StringComparison.Ordinal);
    }

    private static void AddUnlessNoValue(List<PolicyStatement> statements, object? branch, string condition)
    {
        if (!IsNoValue(branch))
        {
            statements.Add(new PolicyStatement((Dictionary<string, object?>)branch!, condition));
        }
    }
}

/// <summary>One IAM statement of the function's policy, and the template condition it is included under (null = always).</summary>
internal sealed record PolicyStatement(Dictionary<string, object?> Body, string? UnderCondition)
{
    public string Sid => SamTemplate.Text(Body, "Sid") ?? "(no Sid)";

    public string Effect => SamTemplate.Text(Body, "Effect") ?? string.Empty;

    public IReadOnlyList<string> Actions => [.. SamTemplate.Leaves(Body.GetValueOrDefault("Action"))];

    public IReadOnlyList<string> Resources => [.. SamTemplate.Leaves(Body.GetValueOrDefault("Resource"))];

    /// <summary>Condition entries as (operator, key, values); keys inside an <c>!If</c> count as present.</summary>
    public IReadOnlyList<(string Operator, string Key, IReadOnlyList<string> Values)> ConditionEntries
    {
        get
        {
            var entries = new List<(string, string, IReadOnlyList<string>)>();
            if (Body.GetValueOrDefault("Condition") is not Dictionary<string, object?> condition)
            {
                return entries;
            }

            foreach (var (op, block) in condition)
            {
                foreach (var map in Branches(block))
                {
                    entries.AddRange(map.Select(kv => (op, kv.Key, (IReadOnlyList<string>)[.. SamTemplate.Leaves(kv.Value)])));
                }
            }

            return entries;
        }
    }

    public bool HasCondition(string key, string value) =>
        ConditionEntries.Any(e => e.Key == key && e.Values.Contains(value));

    public override string ToString() => $"{Sid} ({Effect} {string.Join(" ", Actions)})";

    private static IEnumerable<Dictionary<string, object?>> Branches(object? block)
    {
        if (block is Dictionary<string, object?> { Count: 1 } wrapper && wrapper.TryGetValue("Fn::If", out var ifArgs))
        {
            var args = (List<object?>)ifArgs!;
            return Branches(args[1]).Concat(Branches(args[2]));
        }

        return block is Dictionary<string, object?> map && !SamTemplate.IsNoValue(map) ? [map] : [];
    }
}
