namespace AmiRotator.Planning;

/// <summary>
/// Which steps a pass runs and on what. <see cref="Now"/> is read from the injected clock by the caller; the
/// planner itself never reads a clock.
/// </summary>
internal sealed record PassScope(
    bool Backup,
    bool Copy,
    bool Prune,
    DateTimeOffset Now,
    DateTimeOffset? ScheduledTime = null,
    IReadOnlySet<string>? InstanceIds = null,
    IReadOnlySet<string>? ImageIds = null,
    string? RequestId = null,
    string? IdempotencyToken = null)
{
    /// <summary>An on-demand backup names exactly its instances, tagged or not.</summary>
    public bool OnDemand => Backup && !Copy && !Prune && InstanceIds is not null;

    /// <summary>
    /// A backup a person asked for (the backup action, or a run without a scheduled time): named from its
    /// idempotency token, else its request id, and kept from repeating within <see cref="Configuration.Settings.ManualRunWindow"/>
    /// when it has no token.
    /// </summary>
    public bool Manual => Backup && ScheduledTime is null;

    /// <summary>Whether a backup or snapshot of <paramref name="instanceId"/> is this pass's to judge: every one when
    /// the pass names no instances, else only those of the named ones (one without an instance is never named).</summary>
    public bool Covers(string? instanceId) => InstanceIds is null || (instanceId is not null && InstanceIds.Contains(instanceId));
}

/// <summary>
/// What <c>DescribeImageReferences</c> said about the retirement candidates: image id to the ARNs of what still
/// uses it (empty when nothing does). An image missing from <see cref="Checked"/> was not checked, and is kept.
/// </summary>
internal sealed record ImageReferences(IReadOnlyDictionary<string, IReadOnlyList<string>> Checked, string? Unavailable = null);
