using Amazon.EC2;
using Amazon.EC2.Model;
using Xunit;
using static AmiRotator.Tests.Emulator.EmulatorImages;

namespace AmiRotator.Tests.Emulator;

/// <summary>
/// Patch 17 of test/moto/amirotator_moto.py: what a DR drill needs -- RunInstances in the DR Region from the image
/// CopyImage (patch 3) made there, DescribeInstanceStatus and TerminateInstances. [API_RunInstances] ImageId "The ID of the
/// AMI"; [errors-overview] "InvalidAMIID.NotFound: The specified AMI doesn't exist. Check the AMI ID, and ensure that you
/// specify the AWS Region in which the AMI is located" / "InvalidAMIID.Unavailable: The specified AMI has been
/// deregistered and is no longer available, or is not in a state from which you can launch an instance".
/// [API_DescribeInstanceStatus] IncludeAllInstances "When true, includes the health status for all instances."
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class MotoDrillLaunchTests(MotoServer moto) : MotoPatchTests(moto)
{
    // The drill's launch: the DR copy, an isolated subnet, the drill's security group and instance tags; no public IP.
    [Fact]
    public async Task RunInstances_InTheDrRegion_FromTheCopiedImage_WithSubnetGroupsAndTags_LaunchesIt()
    {
        var (_, copy) = await CopiedImageAsync("web-backup");
        var (subnet, group) = await DrillNetworkAsync();

        var run = await WestClient.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = copy,
            MinCount = 1,
            MaxCount = 1,
            InstanceType = InstanceType.T3Micro,
            SubnetId = subnet,
            SecurityGroupIds = [group],
            TagSpecifications = [Spec(ResourceType.Instance, ("ami-rotator:drill", "true"), ("Name", "drill-web"))],
        });

        var instanceId = Assert.Single(run.Reservation.Instances).InstanceId;
        var instance = await DescribeInstanceAsync(instanceId);
        Assert.Equal((copy, subnet, "running"), (instance.ImageId, instance.SubnetId, instance.State.Name.Value));
        Assert.Equal([group], instance.SecurityGroups.Select(g => g.GroupId));
        Assert.Equal("true", TagValue(instance.Tags, "ami-rotator:drill"));
        Assert.Equal("drill-web", TagValue(instance.Tags, "Name"));
        Assert.Null(instance.PublicIpAddress);
    }

    // [API_RunInstances] SecurityGroupIds "If you specify a network interface, you must specify any security groups as part
    // of the network interface"; [API_InstanceNetworkInterfaceSpecification] AssociatePublicIpAddress "Indicates whether to
    // assign a public IPv4 address". The instance's groups [API_Instance] are its interface's.
    [Fact]
    public async Task RunInstances_WithANetworkInterfaceWithoutPublicIp_HasNoPublicIp_AndReportsTheInterfaceGroups()
    {
        var (_, copy) = await CopiedImageAsync("app-backup");
        var (subnet, group) = await DrillNetworkAsync();

        var run = await WestClient.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = copy,
            MinCount = 1,
            MaxCount = 1,
            InstanceType = InstanceType.T3Micro,
            NetworkInterfaces = [new InstanceNetworkInterfaceSpecification { DeviceIndex = 0, SubnetId = subnet, Groups = [group], AssociatePublicIpAddress = false }],
            TagSpecifications = [Spec(ResourceType.Instance, ("ami-rotator:drill", "true"))],
        });

        var instance = await DescribeInstanceAsync(Assert.Single(run.Reservation.Instances).InstanceId);
        Assert.Null(instance.PublicIpAddress);
        Assert.Equal(subnet, instance.SubnetId);
        Assert.Equal([group], instance.SecurityGroups.Select(g => g.GroupId));
        Assert.Equal([group], Assert.Single(instance.NetworkInterfaces).Groups.Select(g => g.GroupId));
        Assert.Equal("true", TagValue(instance.Tags, "ami-rotator:drill"));

        await FailsWithAsync("InvalidParameterCombination", () => WestClient.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = copy,
            MinCount = 1,
            MaxCount = 1,
            SecurityGroupIds = [group],
            NetworkInterfaces = [new InstanceNetworkInterfaceSpecification { DeviceIndex = 0, SubnetId = subnet, Groups = [group] }],
        }));
    }

    // A running instance passes its status checks ("ok"); IncludeAllInstances also reports the terminated one
    // ("not-applicable"), without it only running instances are reported. TerminateInstances: shutting-down, terminated.
    [Fact]
    public async Task DescribeInstanceStatus_ReportsOkWhileRunning_AndTerminateInstancesEndsTheInstance()
    {
        var (_, copy) = await CopiedImageAsync("db-backup");
        var (subnet, group) = await DrillNetworkAsync();
        var run = await WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = copy, MinCount = 1, MaxCount = 1, SubnetId = subnet, SecurityGroupIds = [group] });
        var instanceId = run.Reservation.Instances[0].InstanceId;

        var running = Assert.Single((await WestClient.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [instanceId], IncludeAllInstances = true })).InstanceStatuses);

        Assert.Equal(("running", "ok", "ok"), (running.InstanceState.Name.Value, running.Status.Status.Value, running.SystemStatus.Status.Value));
        Assert.Contains(running.Status.Details, d => d.Name.Value == "reachability" && d.Status.Value == "passed");

        var terminating = Assert.Single((await WestClient.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instanceId] })).TerminatingInstances);

        Assert.Equal(("running", "shutting-down"), (terminating.PreviousState.Name.Value, terminating.CurrentState.Name.Value));
        Assert.Equal("terminated", (await DescribeInstanceAsync(instanceId)).State.Name.Value);
        var all = Assert.Single((await WestClient.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [instanceId], IncludeAllInstances = true })).InstanceStatuses);
        Assert.Equal(("terminated", "not-applicable"), (all.InstanceState.Name.Value, all.Status.Status.Value));
        Assert.Empty((await WestClient.DescribeInstanceStatusAsync(new DescribeInstanceStatusRequest { InstanceIds = [instanceId] })).InstanceStatuses ?? []);
    }

    // "InvalidAMIID.Unavailable: ... is not in a state from which you can launch an instance": a copy still pending (or
    // failed) can't be launched; once available it can.
    [Theory]
    [InlineData("pending")]
    [InlineData("failed")]
    public async Task RunInstances_OfAnImageThatIsNotAvailable_FailsWithInvalidAmiIdUnavailable(string state)
    {
        await Moto.SetNewCopyStateAsync("pending");
        var (_, copy) = await CopiedImageAsync("not-yet");
        if (state != "pending")
        {
            await Moto.SetImageStateAsync(copy, state, "copy failed");
        }

        await FailsWithAsync("InvalidAMIID.Unavailable", () => WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = copy, MinCount = 1, MaxCount = 1 }));
        Assert.Empty((await WestClient.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);

        await Moto.SetImageStateAsync(copy, "available");
        Assert.Single((await WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = copy, MinCount = 1, MaxCount = 1 })).Reservation.Instances);
    }

    // [API_DeregisterImage] "A deregistered AMI can't be used to launch new instances." An image of another Region doesn't
    // exist in this one.
    [Fact]
    public async Task RunInstances_OfADeregisteredUnknownOrOtherRegionImage_FailsWithTheAmiErrors()
    {
        var (source, copy) = await CopiedImageAsync("retired");
        await WestClient.DeregisterImageAsync(new DeregisterImageRequest { ImageId = copy });

        await FailsWithAsync("InvalidAMIID.Unavailable", () => WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = copy, MinCount = 1, MaxCount = 1 }));
        await FailsWithAsync("InvalidAMIID.NotFound", () => WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = source, MinCount = 1, MaxCount = 1 }));
        await FailsWithAsync("InvalidAMIID.NotFound", () => WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = "ami-0123456789abcdef0", MinCount = 1, MaxCount = 1 }));
        await FailsWithAsync("InvalidAMIID.Malformed", () => WestClient.RunInstancesAsync(new RunInstancesRequest { ImageId = "image-1", MinCount = 1, MaxCount = 1 }));
        Assert.Empty((await WestClient.DescribeInstancesAsync(new DescribeInstancesRequest())).Reservations ?? []);
    }

    /// <summary>An image made in us-east-1 and its copy in us-west-2 (CopyImage called in the destination Region).</summary>
    private async Task<(string Source, string Copy)> CopiedImageAsync(string name)
    {
        var source = await CreateImageAsync(Moto, EastClient, East, name);
        var copy = await WestClient.CopyImageAsync(new CopyImageRequest { SourceImageId = source, SourceRegion = East, Name = name + "-dr" });
        return (source, copy.ImageId);
    }

    private async Task<(string Subnet, string Group)> DrillNetworkAsync()
    {
        var vpc = (await WestClient.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.99.0.0/16" })).Vpc.VpcId;
        var subnet = (await WestClient.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.99.1.0/24", AvailabilityZone = West + "a" })).Subnet.SubnetId;
        var group = (await WestClient.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "drill", Description = "DR drill, no inbound", VpcId = vpc })).GroupId;
        return (subnet, group);
    }

    private async Task<Instance> DescribeInstanceAsync(string instanceId) =>
        Assert.Single(Assert.Single((await WestClient.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] })).Reservations).Instances);
}
