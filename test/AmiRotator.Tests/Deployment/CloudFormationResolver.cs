using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// Evaluates a (transformed) CloudFormation template for one set of parameter values, the way CloudFormation does
/// when it creates a stack: conditions, <c>Ref</c>, <c>Fn::Sub</c>, <c>Fn::If</c> with <c>AWS::NoValue</c>,
/// <c>Fn::Join</c>/<c>Split</c>/<c>Select</c>/<c>Equals</c>/<c>Not</c>/<c>And</c>/<c>Or</c> and <c>Fn::GetAtt</c>.
/// Physical names and attributes of resources are made up (deterministic), since only their shape matters to the
/// tests. An intrinsic it doesn't know throws: a silently unresolved value would make an IAM test meaningless.
/// </summary>
internal sealed class CloudFormationResolver
{
    private readonly JsonObject _template;
    private readonly Dictionary<string, JsonNode> _parameters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _conditions = new(StringComparer.Ordinal);

    public CloudFormationResolver(JsonObject template, IReadOnlyDictionary<string, string> parameters, string region = "us-east-1", string accountId = "123456789012", string stackName = "ami-rotator")
    {
        _template = template;
        StackName = stackName;
        Region = region;
        AccountId = accountId;
        Partition = region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";
        var declared = template["Parameters"] as JsonObject ?? [];
        foreach (var name in parameters.Keys.Where(k => !declared.ContainsKey(k)))
        {
            throw new ArgumentException($"Parameter {name} is not declared by the template.", nameof(parameters));
        }

        foreach (var (name, body) in declared)
        {
            var value = parameters.TryGetValue(name, out var given) ? given : (string?)body!["Default"]
                ?? throw new ArgumentException($"Parameter {name} has no default and no value was given.", nameof(parameters));
            _parameters[name] = (string?)body!["Type"] == "CommaDelimitedList"
                ? new JsonArray([.. value.Split(',').Select(v => (JsonNode)JsonValue.Create(v.Trim()))])
                : JsonValue.Create(value);
        }
    }

    public string Region { get; }

    public string StackName { get; }

    public string AccountId { get; }

    public string Partition { get; }

    public string UrlSuffix => Partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";

    /// <summary>The template's resources that this parameter set creates (their Condition holds), unresolved.</summary>
    public IEnumerable<(string LogicalId, JsonObject Body)> Resources =>
        ((JsonObject)_template["Resources"]!)
        .Where(r => r.Value!["Condition"] is not { } condition || Condition((string)condition!))
        .Select(r => (r.Key, (JsonObject)r.Value!));

    public JsonObject Resource(string logicalId) =>
        Resources.FirstOrDefault(r => r.LogicalId == logicalId).Body ?? throw new KeyNotFoundException($"The stack creates no resource {logicalId}.");

    public bool Condition(string name)
    {
        if (!_conditions.TryGetValue(name, out var value))
        {
            var expression = (_template["Conditions"] as JsonObject)?[name] ?? throw new KeyNotFoundException($"No condition {name}.");
            _conditions[name] = value = Truth(Resolve(expression));
        }

        return value;
    }

    /// <summary>The value CloudFormation passes on; null stands for <c>AWS::NoValue</c> (the property or element is removed).</summary>
    public JsonNode? Resolve(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject { Count: 1 } function when function.First().Key is var name && (name == "Ref" || name == "Condition" || name.StartsWith("Fn::", StringComparison.Ordinal)):
                return Intrinsic(name, function.First().Value);
            case JsonObject map:
                var resolvedMap = new JsonObject();
                foreach (var (key, value) in map)
                {
                    if (Resolve(value) is { } resolved)
                    {
                        resolvedMap[key] = resolved;
                    }
                }

                return resolvedMap;
            case JsonArray list:
                var resolvedList = new JsonArray();
                foreach (var item in list)
                {
                    if (Resolve(item) is { } resolved)
                    {
                        resolvedList.Add(resolved);
                    }
                }

                return resolvedList;
            case null:
                return null;
            default:
                return node.DeepClone();
        }
    }

    private JsonNode? Intrinsic(string name, JsonNode? argument)
    {
        switch (name)
        {
            case "Ref":
                return Ref((string)argument!);
            case "Condition":
                return JsonValue.Create(Condition((string)argument!));
            case "Fn::If":
                var ifArgs = (JsonArray)argument!;
                return Resolve(Condition((string)ifArgs[0]!) ? ifArgs[1] : ifArgs[2]);
            case "Fn::Equals":
                var pair = (JsonArray)argument!;
                return JsonValue.Create(Scalar(Resolve(pair[0])) == Scalar(Resolve(pair[1])));
            case "Fn::Not":
                return JsonValue.Create(!Truth(Resolve(((JsonArray)argument!)[0])));
            case "Fn::And":
                return JsonValue.Create(((JsonArray)argument!).All(a => Truth(Resolve(a))));
            case "Fn::Or":
                return JsonValue.Create(((JsonArray)argument!).Any(a => Truth(Resolve(a))));
            case "Fn::Sub":
                return JsonValue.Create(Sub(argument!));
            case "Fn::Join":
                var join = (JsonArray)argument!;
                var parts = (JsonArray)Resolve(join[1])!;
                return JsonValue.Create(string.Join(Text(join[0]), parts.Select(Text)));
            case "Fn::Split":
                var split = (JsonArray)argument!;
                return new JsonArray([.. Text(Resolve(split[1])).Split(Text(split[0])).Select(s => (JsonNode)JsonValue.Create(s))]);
            case "Fn::Select":
                var select = (JsonArray)argument!;
                var from = (JsonArray)Resolve(select[1])!;
                return from[int.Parse(Scalar(Resolve(select[0])), CultureInfo.InvariantCulture)]!.DeepClone();
            case "Fn::GetAtt":
                var target = argument is JsonArray getAtt ? ((string)getAtt[0]!, (string)getAtt[1]!) : SplitAttribute((string)argument!);
                return JsonValue.Create(Attribute(target.Item1, target.Item2));
            default:
                throw new NotSupportedException($"The resolver does not know {name}; teach it before relying on it.");
        }
    }

    private JsonNode? Ref(string name) => name switch
    {
        "AWS::NoValue" => null,
        "AWS::Region" => JsonValue.Create(Region),
        "AWS::AccountId" => JsonValue.Create(AccountId),
        "AWS::Partition" => JsonValue.Create(Partition),
        "AWS::URLSuffix" => JsonValue.Create(UrlSuffix),
        "AWS::StackName" => JsonValue.Create(StackName),
        "AWS::StackId" => JsonValue.Create($"arn:{Partition}:cloudformation:{Region}:{AccountId}:stack/{StackName}/00000000-0000-0000-0000-000000000000"),
        _ when _parameters.TryGetValue(name, out var value) => value.DeepClone(),
        _ when ((JsonObject)_template["Resources"]!).ContainsKey(name) => JsonValue.Create($"ami-rotator-{name}-PHYSICAL"),
        _ => throw new KeyNotFoundException($"Ref {name}: no such parameter, pseudo parameter or resource."),
    };

    private string Attribute(string logicalId, string attribute)
    {
        var type = (string?)((JsonObject)_template["Resources"]!)[logicalId]?["Type"] ?? throw new KeyNotFoundException($"GetAtt {logicalId}: no such resource.");
        if (attribute != "Arn")
        {
            return $"ami-rotator-{logicalId}-{attribute}";
        }

        var service = type.Split("::")[1].ToLowerInvariant();
        return service == "iam" ? $"arn:{Partition}:iam::{AccountId}:role/ami-rotator-{logicalId}" : $"arn:{Partition}:{service}:{Region}:{AccountId}:ami-rotator-{logicalId}";
    }

    private string Sub(JsonNode argument)
    {
        var (template, variables) = argument is JsonArray args ? (Text(args[0]), (JsonObject)Resolve(args[1])!) : (Text(argument), new JsonObject());
        var result = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] != '$' || i + 1 >= template.Length || template[i + 1] != '{')
            {
                result.Append(template[i]);
                continue;
            }

            var end = template.IndexOf('}', i);
            var name = template[(i + 2)..end];
            if (name.StartsWith('!'))
            {
                result.Append("${").Append(name[1..]).Append('}'); // ${!Literal} is written as ${Literal}
            }
            else if (variables.TryGetPropertyValue(name, out var variable))
            {
                result.Append(Text(variable));
            }
            else if (name.Contains('.', StringComparison.Ordinal))
            {
                var (resource, attribute) = SplitAttribute(name);
                result.Append(Attribute(resource, attribute));
            }
            else
            {
                result.Append(Text(Ref(name) ?? throw new InvalidDataException($"Fn::Sub ${{{name}}} resolves to AWS::NoValue.")));
            }

            i = end;
        }

        return result.ToString();
    }

    private static (string, string) SplitAttribute(string dotted)
    {
        var dot = dotted.IndexOf('.', StringComparison.Ordinal);
        return (dotted[..dot], dotted[(dot + 1)..]);
    }

    private static bool Truth(JsonNode? value) => value is JsonValue v && v.TryGetValue<bool>(out var b)
        ? b
        : throw new InvalidDataException($"Expected a condition value, got {value?.ToJsonString() ?? "AWS::NoValue"}.");

    // YAML and JSON templates spell numbers and booleans either way; CloudFormation compares them as strings.
    private static string Scalar(JsonNode? value) => value is JsonValue v
        ? v.TryGetValue<string>(out var s) ? s : v.ToJsonString()
        : throw new InvalidDataException($"Expected a scalar, got {value?.ToJsonString() ?? "AWS::NoValue"}.");

    private static string Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var s)
        ? s
        : throw new InvalidDataException($"Expected a string, got {value?.ToJsonString() ?? "AWS::NoValue"}.");
}
