using YamlDotNet.RepresentationModel;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// Reads a CloudFormation/SAM YAML template into plain values: <see cref="Dictionary{TKey,TValue}"/> for mappings,
/// <see cref="List{T}"/> for sequences and <see cref="string"/> for every scalar. Short-form intrinsics
/// (<c>!Ref</c>, <c>!Sub</c>, <c>!If</c>, <c>!GetAtt A.B</c>, ...) become their long JSON form
/// (<c>{"Ref": ...}</c>, <c>{"Fn::Sub": ...}</c>, ...), so tests see exactly what CloudFormation sees.
/// </summary>
internal static class CloudFormationYaml
{
    public static Dictionary<string, object?> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return Convert(stream.Documents.Single().RootNode) as Dictionary<string, object?>
            ?? throw new InvalidDataException($"{path} is not a YAML mapping.");
    }

    private static object? Convert(YamlNode node)
    {
        object? value = node switch
        {
            YamlMappingNode mapping => mapping.Children.ToDictionary(
                entry => ((YamlScalarNode)entry.Key).Value ?? string.Empty,
                entry => Convert(entry.Value),
                StringComparer.Ordinal),
            YamlSequenceNode sequence => sequence.Children.Select(Convert).ToList(),
            YamlScalarNode scalar => scalar.Value ?? string.Empty,
            _ => throw new InvalidDataException($"Unsupported YAML node at {node.Start}."),
        };

        var tag = node.Tag;
        if (tag.IsEmpty || tag.IsNonSpecific || !tag.Value.StartsWith('!') || tag.Value.Length < 2)
        {
            return value;
        }

        var name = tag.Value[1..];
        return name switch
        {
            "Ref" => Intrinsic("Ref", value),
            "Condition" => Intrinsic("Condition", value),
            // !GetAtt Resource.Attribute is the only short form whose scalar differs from the long form.
            "GetAtt" when value is string dotted => Intrinsic("Fn::GetAtt", dotted.Split('.', 2).Cast<object?>().ToList()),
            _ => Intrinsic("Fn::" + name, value),
        };
    }

    private static Dictionary<string, object?> Intrinsic(string name, object? argument) =>
        new(StringComparer.Ordinal) { [name] = argument };
}
