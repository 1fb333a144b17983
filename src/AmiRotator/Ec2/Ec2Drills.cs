using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Drills;
using AmiRotator.Inventory;

namespace AmiRotator.Ec2;

/// <summary>The restore drill's EC2 calls, in the DR Region, each through <see cref="Ec2Calls"/> (retried, counted).</summary>
internal sealed class Ec2Drills(IAmazonEC2 client, string region, Ec2Calls calls) : IDrillEc2
{
    public string Region => region;

    public async Task<IReadOnlyList<DrillInstance>> ListDrillInstancesAsync(CancellationToken ct)
    {
        var result = new List<DrillInstance>();
        var request = new DescribeInstancesRequest { Filters = [new Filter("tag-key", [ManagedTags.Drill])], MaxResults = 1000 };
        await foreach (var reservation in calls.Pages("DescribeInstances", request, client.DescribeInstancesAsync, r => r.Reservations, r => r.NextToken, (q, t) => q.NextToken = t, ct).ConfigureAwait(false))
        {
            foreach (var instance in reservation.Instances ?? [])
            {
                var tags = (instance.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
                result.Add(new DrillInstance(
                    instance.InstanceId, instance.State?.Name?.Value ?? "unknown", tags.GetValueOrDefault(ManagedTags.Drill) ?? "",
                    tags.GetValueOrDefault(ManagedTags.DrillOf), instance.ImageId,
                    instance.LaunchTime is { } launched ? new DateTimeOffset(DateTime.SpecifyKind(launched, DateTimeKind.Utc)) : DateTimeOffset.MinValue,
                    tags.GetValueOrDefault(ManagedTags.Owner), tags.GetValueOrDefault(ManagedTags.DrillResult)));
            }
        }

        return result;
    }

    public async Task<string> LaunchAsync(DrillLaunch launch, CancellationToken ct)
    {
        var tags = launch.Tags.Select(kv => new Tag(kv.Key, kv.Value)).ToList();
        var request = new RunInstancesRequest
        {
            ImageId = launch.ImageId,
            InstanceType = launch.InstanceType,
            MinCount = 1,
            MaxCount = 1,
            ClientToken = launch.ClientToken,
            // No public IP: the drill proves the copy boots, it is never reachable from outside [RunInstances,
            // InstanceNetworkInterfaceSpecification.AssociatePublicIpAddress]. Subnet and group go on the interface.
            NetworkInterfaces = [new InstanceNetworkInterfaceSpecification { DeviceIndex = 0, SubnetId = launch.SubnetId, Groups = [launch.SecurityGroupId], AssociatePublicIpAddress = false }],
            // Tagged at launch, so the role's RunInstances (which requires the drill tag) and TerminateInstances
            // (which allows only drill-tagged instances) both hold from the first moment.
            // Only the instance is tagged: its volumes go with it (the AMI's DeleteOnTermination), and the SAR data
            // we judge IAM by authorises CreateTags on image, instance and snapshot only (test/iam/sar).
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.Instance, Tags = tags }],
            MetadataOptions = new InstanceMetadataOptionsRequest { HttpTokens = HttpTokensState.Required },
            InstanceInitiatedShutdownBehavior = ShutdownBehavior.Terminate,
        };
        var response = await calls.SendAsync("RunInstances", c => client.RunInstancesAsync(request, c), ct).ConfigureAwait(false);
        return response.Reservation.Instances[0].InstanceId;
    }

    public async Task<IReadOnlyDictionary<string, DrillHealth>> HealthAsync(IReadOnlyList<string> instanceIds, CancellationToken ct)
    {
        var result = new Dictionary<string, DrillHealth>(StringComparer.Ordinal);
        foreach (var chunk in instanceIds.Chunk(100))
        {
            var request = new DescribeInstanceStatusRequest { InstanceIds = [.. chunk], IncludeAllInstances = true };
            try
            {
                var response = await calls.SendAsync("DescribeInstanceStatus", c => client.DescribeInstanceStatusAsync(request, c), ct).ConfigureAwait(false);
                foreach (var status in response.InstanceStatuses ?? [])
                {
                    result[status.InstanceId] = new DrillHealth(status.InstanceState?.Name?.Value ?? "unknown", status.Status?.Status?.Value ?? "unknown", status.SystemStatus?.Status?.Value ?? "unknown");
                }
            }
            catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidInstanceID.NotFound")
            {
                // A launch not yet visible (eventual consistency): no health yet, the next look sees it.
            }
        }

        return result;
    }

    public async Task RecordAsync(string instanceId, IReadOnlyDictionary<string, string> tags, CancellationToken ct) =>
        await calls.SendAsync("CreateTags", c => client.CreateTagsAsync(new CreateTagsRequest { Resources = [instanceId], Tags = [.. tags.Select(kv => new Tag(kv.Key, kv.Value))] }, c), ct).ConfigureAwait(false);

    public async Task TerminateAsync(IReadOnlyList<string> instanceIds, CancellationToken ct)
    {
        try
        {
            await calls.SendAsync("TerminateInstances", c => client.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [.. instanceIds] }, c), ct).ConfigureAwait(false);
        }
        catch (AmazonEC2Exception e) when (e.ErrorCode == "InvalidInstanceID.NotFound")
        {
            // Already gone: the outcome we wanted.
        }
    }
}
