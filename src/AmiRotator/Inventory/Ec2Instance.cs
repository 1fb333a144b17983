namespace AmiRotator.Inventory;

/// <summary>An instance as the pass sees it: id, state and tags, read once per pass.</summary>
internal sealed record Ec2Instance(string InstanceId, string State, IReadOnlyDictionary<string, string> Tags)
{
    public string? Name => Tags.GetValueOrDefault(ManagedTags.Name);
    public string? RetentionOverride => Tags.GetValueOrDefault(ManagedTags.Retention);
}
