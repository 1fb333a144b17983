using System.Text.Json;

namespace AmiRotator.Tests.Iam;

/// <summary>
/// The Service Authorization Reference data in <c>test/iam/sar</c> (see its README): which actions exist, which resource
/// types each is authorised against, and which condition keys the service puts in the request context.
/// </summary>
internal sealed class Sar
{
    private static readonly Lazy<Sar> Loaded = new(() => new Sar(Path.Combine(AppContext.BaseDirectory, "iam", "sar")));

    // Global keys that can carry several values (IAM User Guide, reference_policies_condition-keys, "Value type:
    // Multivalued"); service keys say so with an ArrayOf… type in conditionKeys/<svc>.json.
    private static readonly string[] GlobalMultivaluedKeys = ["aws:CalledVia", "aws:TagKeys", "aws:PrincipalServiceNamesList", "aws:PrincipalOrgPaths"];

    private readonly Dictionary<string, HashSet<string>> actionNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SarAction> actions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Service, string Type), SarResourceType> resourceTypes = [];
    private readonly List<string> multivaluedKeys = [.. GlobalMultivaluedKeys];

    private Sar(string directory)
    {
        using (var names = Read(Path.Combine(directory, "action-names.json")))
        {
            foreach (var service in names.RootElement.EnumerateObject())
            {
                actionNames[service.Name] = new HashSet<string>(service.Value.EnumerateArray().Select(n => n.GetString()!), StringComparer.OrdinalIgnoreCase);
            }
        }

        foreach (var service in actionNames.Keys)
        {
            using var actionFile = Read(Path.Combine(directory, "actions", service + ".json"));
            foreach (var action in actionFile.RootElement.EnumerateObject())
            {
                var rows = action.Value.GetProperty("resourceTypes").EnumerateArray()
                    .Select(r => new SarResourceTypeRow(r.GetProperty("name").GetString()!, r.GetProperty("required").GetBoolean(), Keys(r)))
                    .ToList();
                actions[$"{service}:{action.Name}"] = new SarAction(service, action.Name, Keys(action.Value), rows);

                // action-names.json spells sqs in lower case; report the SAR page's spelling where the data has it.
                actionNames[service].Remove(action.Name);
                actionNames[service].Add(action.Name);
            }

            using var typeFile = Read(Path.Combine(directory, "resourceTypes", service + ".json"));
            foreach (var type in typeFile.RootElement.EnumerateObject())
            {
                resourceTypes[(service, type.Name)] = new SarResourceType(type.Value.GetProperty("arn").GetString()!, Keys(type.Value));
            }

            using var keyFile = Read(Path.Combine(directory, "conditionKeys", service + ".json"));
            multivaluedKeys.AddRange(keyFile.RootElement.EnumerateObject()
                .Where(k => k.Value.GetProperty("type").GetString()!.StartsWith("ArrayOf", StringComparison.Ordinal))
                .Select(k => k.Name));
        }
    }

    /// <summary>The data copied beside the test binaries, loaded once.</summary>
    public static Sar Load() => Loaded.Value;

    /// <summary>Exactly <c>service:Name</c> of a covered service, in any case; never a pattern.</summary>
    public bool IsAction(string action) =>
        SplitAction(action) is ({ } service, { } name)
        && !Wildcard.HasWildcard(action)
        && actionNames.TryGetValue(service, out var names)
        && names.Contains(name);

    /// <summary>The real actions a policy's action pattern grants; empty for a service the data does not cover.</summary>
    public IReadOnlyList<string> ActionsMatching(string pattern) =>
        [.. actionNames
            .SelectMany(s => s.Value.Select(name => $"{s.Key}:{name}"))
            .Where(action => Wildcard.IsMatch(pattern, action, ignoreCase: true))
            .Order(StringComparer.Ordinal)];

    public bool CoversService(string service) => actionNames.ContainsKey(service);

    /// <exception cref="ArgumentException">The action is unknown, or its entry is not in <c>actions/</c>.</exception>
    public IReadOnlyList<(string Name, bool Required)> ResourceTypesOf(string action) =>
        [.. Entry(action).ResourceTypes.Select(r => (r.Name, r.Required))];

    /// <summary>
    /// Whether the service puts <paramref name="contextKey"/> in the request context when it authorises
    /// <paramref name="action"/> on a resource of <paramref name="resourceType"/> (null for an action without types).
    /// </summary>
    /// <exception cref="ArgumentException">The action is unknown, or does not list that resource type.</exception>
    public bool Supports(string action, string? resourceType, string contextKey)
    {
        var entry = Entry(action);
        var row = Row(entry, resourceType);

        // Global keys are present whenever AWS sets them, except the tag keys, which each service supports per
        // action and resource type (SAR README; IAM User Guide, reference_policies_condition-keys).
        if (contextKey.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)
            && !contextKey.StartsWith("aws:RequestTag/", StringComparison.OrdinalIgnoreCase)
            && !contextKey.StartsWith("aws:ResourceTag/", StringComparison.OrdinalIgnoreCase)
            && !contextKey.Equals("aws:TagKeys", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (entry.ConditionKeys.Any(k => KeyMatches(k, contextKey)))
        {
            return true;
        }

        if (row is null)
        {
            return false;
        }

        // The SAR ties a key to a resource type by putting it in that type's row. A row with no keys at all defers to
        // the resource type's own keys: KMS lists kms:ResourceAliases only there (KMS Developer Guide, alias-authorization).
        var keys = row.ConditionKeys.Count > 0 ? row.ConditionKeys : resourceTypes[(entry.Service, row.Name)].ConditionKeys;
        return keys.Any(k => KeyMatches(k, contextKey));
    }

    /// <summary>Whether a request may carry several values for the key, so that conditions on it need a set operator.</summary>
    public bool IsMultivalued(string contextKey) => multivaluedKeys.Any(k => KeyMatches(k, contextKey));

    /// <summary>Refuses a request IAM would never make: a resource type the action does not list, or an ARN not of that type.</summary>
    /// <exception cref="ArgumentException">The request does not fit the SAR.</exception>
    public void CheckResource(string action, string resource, string? resourceType)
    {
        var entry = Entry(action);
        if (Row(entry, resourceType) is not { } row)
        {
            if (resource != "*")
            {
                throw new ArgumentException($"{action} lists no resource types, so IAM authorises it on *, not on '{resource}'.", nameof(resource));
            }

            return;
        }

        // A resource the call creates has no id yet: IAM sees it as .../* (image/*, snapshot/* for CreateImage and
        // CopyImage), which is why policies scope creation with aws:RequestTag rather than ids. That is the one
        // wildcard a request may carry.
        var format = resourceTypes[(entry.Service, row.Name)].Arn;
        var concrete = resource.EndsWith("/*", StringComparison.Ordinal) ? resource[..^1] + "new" : resource;
        if (Wildcard.HasWildcard(concrete) || !IsOfFormat(concrete, format))
        {
            throw new ArgumentException($"'{resource}' is not a {row.Name} ARN ({format}), nor one of a resource the call creates (.../*).", nameof(resource));
        }
    }

    private SarAction Entry(string action)
    {
        if (SplitAction(action) is not ({ } service, _) || !CoversService(service))
        {
            throw new ArgumentException($"'{action}' is not an action of a service in test/iam/sar; copy that service's SAR data first.", nameof(action));
        }

        if (!IsAction(action))
        {
            throw new ArgumentException($"'{action}' is not a {service} action (misspelt?).", nameof(action));
        }

        return actions.TryGetValue(action, out var entry)
            ? entry
            : throw new ArgumentException($"{action} is real, but test/iam/sar/actions/{service}.json does not hold it; copy its entry.", nameof(action));
    }

    private static SarResourceTypeRow? Row(SarAction entry, string? resourceType)
    {
        if (resourceType is null && entry.ResourceTypes.Count == 0)
        {
            return null;
        }

        return entry.ResourceTypes.FirstOrDefault(r => r.Name == resourceType)
            ?? throw new ArgumentException(
                entry.ResourceTypes.Count == 0
                    ? $"{entry.Service}:{entry.Name} lists no resource types; ask with resource * and no type."
                    : $"{entry.Service}:{entry.Name} is authorised on {string.Join(", ", entry.ResourceTypes.Select(r => r.Name))}, not on '{resourceType ?? "(none)"}'.",
                nameof(resourceType));
    }

    /// <summary>A SAR key name matches case-insensitively; each <c>${…}</c> in it stands for any non-empty text.</summary>
    private static bool KeyMatches(string sarKey, string key) => Placeholders(sarKey, key, StringComparison.OrdinalIgnoreCase);

    private static bool IsOfFormat(string resource, string format) =>
        Arn.Split(resource) is { } parts
        && Arn.Split(format) is { } formatParts
        && parts.Zip(formatParts).All(p => Placeholders(p.Second, p.First, StringComparison.Ordinal));

    private static bool Placeholders(string template, string text, StringComparison comparison)
    {
        var open = template.IndexOf("${", StringComparison.Ordinal);
        if (open < 0)
        {
            return string.Equals(template, text, comparison);
        }

        var close = template.IndexOf('}', open);
        var rest = template[(close + 1)..];
        if (!text.StartsWith(template[..open], comparison))
        {
            return false;
        }

        for (var end = open + 1; end <= text.Length; end++)
        {
            if (Placeholders(rest, text[end..], comparison))
            {
                return true;
            }
        }

        return false;
    }

    private static (string Service, string Name)? SplitAction(string action)
    {
        var colon = action.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? (action[..colon], action[(colon + 1)..]) : null;
    }

    private static JsonDocument Read(string path) => JsonDocument.Parse(File.ReadAllBytes(path));

    private static List<string> Keys(JsonElement node) =>
        node.TryGetProperty("conditionKeys", out var keys) ? [.. keys.EnumerateArray().Select(k => k.GetString()!)] : [];

    private sealed record SarAction(string Service, string Name, IReadOnlyList<string> ConditionKeys, IReadOnlyList<SarResourceTypeRow> ResourceTypes);

    private sealed record SarResourceTypeRow(string Name, bool Required, IReadOnlyList<string> ConditionKeys);

    private sealed record SarResourceType(string Arn, IReadOnlyList<string> ConditionKeys);
}
