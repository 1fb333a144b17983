namespace AmiRotator.Drills;

/// <summary>A drill instance as DescribeInstances shows it in the DR Region (every state, terminated ones too).</summary>
internal sealed record DrillInstance(
    string InstanceId,
    string State,
    string DrillId,
    string? DrillOf,
    string? ImageId,
    DateTimeOffset LaunchTime,
    string? Owner,
    string? Result);

/// <summary>
/// RunInstances of one DR copy: into the drill subnet and security group, no public IP, tagged as a drill at launch.
/// The ClientToken makes a retry of a launch whose answer was lost find the same instance [Run_Instance_Idempotency].
/// </summary>
internal sealed record DrillLaunch(
    string ImageId,
    string InstanceType,
    string SubnetId,
    string SecurityGroupId,
    string ClientToken,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>DescribeInstanceStatus for one instance: its state, and the instance and system status checks.</summary>
internal sealed record DrillHealth(string State, string InstanceStatus, string SystemStatus)
{
    /// <summary>Running, and both status checks passed [monitoring-system-instance-status-check].</summary>
    public bool Healthy => State == "running" && InstanceStatus == "ok" && SystemStatus == "ok";
}

/// <summary>The EC2 calls of a restore drill, in the DR Region.</summary>
internal interface IDrillEc2
{
    string Region { get; }

    /// <summary>Every instance tagged <c>ami-rotator:drill</c> (DescribeInstances, tag-key filter, any state).</summary>
    Task<IReadOnlyList<DrillInstance>> ListDrillInstancesAsync(CancellationToken ct);

    /// <summary>RunInstances; answers the new instance's id.</summary>
    Task<string> LaunchAsync(DrillLaunch launch, CancellationToken ct);

    /// <summary>DescribeInstanceStatus with IncludeAllInstances, for these instances.</summary>
    Task<IReadOnlyDictionary<string, DrillHealth>> HealthAsync(IReadOnlyList<string> instanceIds, CancellationToken ct);

    /// <summary>CreateTags on a drill instance: its outcome, before it is terminated.</summary>
    Task RecordAsync(string instanceId, IReadOnlyDictionary<string, string> tags, CancellationToken ct);

    /// <summary>TerminateInstances; an instance already gone counts as terminated.</summary>
    Task TerminateAsync(IReadOnlyList<string> instanceIds, CancellationToken ct);
}
