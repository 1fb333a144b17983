using System.Text.Json;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Faults;
using AmiRotator.Tests.Integration;
using AmiRotator.Tests.Lambda;
using Xunit;

namespace AmiRotator.Tests.Drills;

/// <summary>
/// Restore drills end to end against the emulator: RunInstances from the newest DR copy into the drill subnet and
/// security group, DescribeInstanceStatus until running with both checks passed, TerminateInstances. The emulator's
/// instances pass their status checks at once (as a healthy instance does after a minute or two on AWS).
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class DrillEmulatorTests(MotoServer moto) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => moto.ResetAsync();

    [Fact]
    public async Task Drill_BootsTheNewestDrCopy_ReportsItsRto_AndTerminatesIt()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 2);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var settings = await DrillSettingsAsync(sample: 2);

        var answer = await EmulatedFunction.Create(moto, settings).InvokeAsync("""{"action":"drill","scheduledTime":"2026-12-01T04:00:00Z"}""");

        Assert.False(answer.GetProperty("inProgress").GetBoolean());
        Assert.Equal(2, answer.GetProperty("passed").GetInt32());
        Assert.Equal(0, answer.GetProperty("failuresTonight").GetInt32());
        // The clean nights copy each night's backups on the next: the newest DR copies are of the 24th.
        var newestCopies = (await world.ManagedImagesAsync(FaultWorld.West)).Where(i => i.Name.Contains("-20261124T0300Z-", StringComparison.Ordinal)).Select(i => i.ImageId).ToHashSet();
        var drilled = await DrillInstancesAsync();
        Assert.Equal(2, drilled.Count);
        foreach (var result in answer.GetProperty("results").EnumerateArray())
        {
            Assert.Equal("passed", result.GetProperty("result").GetString());
            Assert.True(result.GetProperty("rtoSeconds").GetDouble() >= 0);
            Assert.Contains(result.GetProperty("imageId").GetString()!, newestCopies);
            var instance = Assert.Single(drilled, d => d.InstanceId == result.GetProperty("drillInstanceId").GetString());
            Assert.Equal(result.GetProperty("imageId").GetString(), instance.ImageId);
            Assert.Equal(settings["DRILL_SUBNET_ID"], instance.SubnetId);
            Assert.Equal(settings["DRILL_SECURITY_GROUP_ID"], Assert.Single(instance.SecurityGroups).GroupId);
            Assert.Null(instance.PublicIpAddress);
            Assert.Equal("2026-12-01T04:00:00Z", FaultWorld.Tag(instance.Tags, "ami-rotator:drill"));
            Assert.StartsWith("passed rto=", FaultWorld.Tag(instance.Tags, "ami-rotator:drill-result"), StringComparison.Ordinal);
            Assert.Contains(instance.State.Name.Value, new[] { "shutting-down", "terminated" });
        }
    }

    [Fact]
    public async Task Drill_WithoutADrCopy_FailsThatInstance_AndLaunchesNothing()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        var answer = await EmulatedFunction.Create(moto, await DrillSettingsAsync(sample: 1)).InvokeAsync("""{"action":"drill","scheduledTime":"2026-12-01T04:00:00Z"}""");

        Assert.Equal(1, answer.GetProperty("failuresTonight").GetInt32());
        Assert.Contains("no available DR copy", answer.GetProperty("results")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(await DrillInstancesAsync());
        Assert.Single(world.Tagged);
    }

    [Fact]
    public async Task Drill_WhenNotConfigured_IsRefused_WithoutAnyEc2Call()
    {
        await moto.ResetAsync();
        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => EmulatedFunction.Create(moto, FaultWorld.Settings()).InvokeAsync("""{"action":"drill"}"""));

        Assert.Equal("DrillNotConfigured", error.ErrorType);
        Assert.Empty(await moto.CallsAsync());
    }

    [Fact]
    public async Task Drill_WhenTheFunctionIsKilledMidDrill_TheNextInvocationFinishesAndTerminates()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var settings = await DrillSettingsAsync(sample: 1);
        const string Drill = """{"action":"drill","scheduledTime":"2026-12-01T04:00:00Z"}""";
        var endpoint = moto.Url.ToString().TrimEnd('/');

        // Killed while it waits for the status checks, after RunInstances.
        await using (var killedRuntime = new FakeRuntimeApi())
        {
            await using var killed = BootstrapProcess.Start(killedRuntime, settings, endpoint);
            await killedRuntime.EnqueueAsync(Drill, TimeSpan.FromMinutes(5));
            var deadline = DateTime.UtcNow + Wait;
            while ((await DrillInstancesAsync()).Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            await killed.KillAsync();
        }

        var leftover = Assert.Single(await DrillInstancesAsync());
        Assert.Equal("running", leftover.State.Name.Value);

        await using var runtime = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(runtime, settings, endpoint);
        var result = await runtime.WaitForResultAsync(await runtime.EnqueueAsync(Drill, TimeSpan.FromMinutes(5)), Wait);

        Assert.Equal(InvocationResultKind.Response, result.Kind);
        using var answer = JsonDocument.Parse(result.BodyText);
        Assert.Equal(1, answer.RootElement.GetProperty("passed").GetInt32());
        var after = Assert.Single(await DrillInstancesAsync()); // the same instance: not launched twice
        Assert.Equal(leftover.InstanceId, after.InstanceId);
        Assert.Contains(after.State.Name.Value, new[] { "shutting-down", "terminated" });
    }

    [Fact]
    public async Task Drill_TerminatesALeftoverOfAnEarlierDrill()
    {
        var world = await FaultWorld.SeedAsync(moto, taggedInstances: 1);
        await world.RunCleanNightsAsync("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z");
        var settings = await DrillSettingsAsync(sample: 1);
        using var ec2 = moto.Client(FaultWorld.West);
        var copy = (await world.ManagedImagesAsync(FaultWorld.West))[0].ImageId;
        var orphan = (await ec2.RunInstancesAsync(new RunInstancesRequest
        {
            ImageId = copy, MinCount = 1, MaxCount = 1, InstanceType = "t3.micro", SubnetId = settings["DRILL_SUBNET_ID"],
            TagSpecifications = [new TagSpecification { ResourceType = "instance", Tags = [new("ami-rotator:drill", "2026-11-01T04:00:00Z"), new("ami-rotator:drill-of", world.Tagged[0]), new("ami-rotator:owner", "ami-rotator")] }],
        })).Reservation.Instances[0].InstanceId;

        await EmulatedFunction.Create(moto, settings).InvokeAsync("""{"action":"drill","scheduledTime":"2026-12-01T04:00:00Z"}""");

        var old = Assert.Single(await DrillInstancesAsync(), i => i.InstanceId == orphan);
        Assert.Contains(old.State.Name.Value, new[] { "shutting-down", "terminated" });
    }

    private async Task<Dictionary<string, string>> DrillSettingsAsync(int sample)
    {
        using var ec2 = moto.Client(FaultWorld.West);
        var subnet = (await ec2.DescribeSubnetsAsync(new DescribeSubnetsRequest())).Subnets[0];
        var group = (await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { Filters = [new Filter("vpc-id", [subnet.VpcId])] })).SecurityGroups[0];
        var settings = FaultWorld.Settings();
        settings["DRILL_SUBNET_ID"] = subnet.SubnetId;
        settings["DRILL_SECURITY_GROUP_ID"] = group.GroupId;
        settings["DRILL_SAMPLE"] = sample.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    private async Task<List<Instance>> DrillInstancesAsync()
    {
        using var ec2 = moto.Client(FaultWorld.West);
        var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = [new Filter("tag-key", ["ami-rotator:drill"])] });
        return [.. (response.Reservations ?? []).SelectMany(r => r.Instances ?? [])];
    }
}
