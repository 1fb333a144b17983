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

    /// <summary>The type of the resource an <c>!GetAtt X.Arn</c> names.</summary>
    public string? TypeOfArn(object? arn)
    {
        var getAtt = Xunit.Assert.IsType<List<object?>>(Xunit.Assert.IsType<Dictionary<string, object?>>(arn)["Fn::GetAtt"]);
        Xunit.Assert.Equal("Arn", getAtt[1]);
        return Text(Map(Resources, (string)getAtt[0]!), "Type");
    }

    /// <summary>Whether <paramref name="node"/> holds an <c>!GetAtt</c> of <paramref name="resourceId"/> anywhere.</summary>
    public static bool ContainsGetAtt(object? node, string resourceId) => node switch
    {
        Dictionary<string, object?> map => map.Any(e =>
            (e.Key == "Fn::GetAtt" && e.Value is List<object?> args && args[0] as string == resourceId) || ContainsGetAtt(e.Value, resourceId)),
        List<object?> list => list.Any(item => ContainsGetAtt(item, resourceId)),
        _ => false,
    };

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
}
