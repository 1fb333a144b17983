using System.Reflection;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Ec2;
using AmiRotator.Tests.Emulator;
using AmiRotator.Tests.Integration;
using Xunit;

namespace AmiRotator.Tests.Permissions;

/// <summary>
/// The table of calls can't drift from the code: every method of the EC2 seam has rows, and every EC2 action the
/// function really calls, in an integration run through every entry point against the emulator, is in the table.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class CallTableCoverageTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public void Seam_WhenItsMethodsAreListed_EachHasRowsInTheTable()
    {
        var methods = typeof(IEc2Region).GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => !m.IsSpecialName).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        // The drill's seam (IDrillEc2) has rows of its own, checked by DrillPermissionTests.
        var covered = Deployments.All().SelectMany(CallTable.For).Select(c => c.Method).Where(m => !DrillCallTable.Methods.Contains(m)).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(methods.Order(StringComparer.Ordinal), CallTable.Methods.Order(StringComparer.Ordinal));
        Assert.Equal(methods.Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task IntegrationRun_WhenEveryEntryPointIsInvoked_CallsOnlyActionsTheTableCovers()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["Name"] = "web-1" });
        var orphan = await OrphanedManagedSnapshotAsync();
        await moto.ResetCallsAsync();

        // Three hours on, the orphan is past the sweep's grace period.
        var clock = new ShiftedClock(TimeSpan.FromHours(3));
        var function = EmulatedFunction.Create(moto, new Dictionary<string, string> { ["DR_REGION"] = West, ["RETENTION"] = "keep-last=1" }, clock);
        await function.InvokeAsync("""{"action":"preflight"}""");
        var first = await function.InvokeAsync("""{"action":"run","scheduledTime":"2026-11-25T03:00:00Z"}""");
        var backupId = first.GetProperty("created")[0].GetProperty("imageId").GetString();
        await function.InvokeAsync($$$"""{"version":"0","detail-type":"EC2 AMI State Change","source":"aws.ec2","account":"{{{EmulatedFunction.Account}}}","time":"2026-11-25T03:10:00Z","region":"{{{East}}}","resources":[],"detail":{"RequestId":"r","ImageId":"{{{backupId}}}","State":"available","ErrorMessage":""}}""");
        await function.InvokeAsync($$"""{"action":"backup","instanceIds":["{{instance}}"]}""");
        await function.InvokeAsync("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""");
        await function.InvokeAsync("""{"action":"copy"}""");
        await function.InvokeAsync("""{"action":"report"}""");
        await moto.SetImageReferencesSupportedAsync(false);
        await function.InvokeAsync("""{"action":"prune"}""");
        await moto.SetImageReferencesSupportedAsync(true);
        await function.InvokeAsync("""{"action":"run","scheduledTime":"2026-11-27T03:00:00Z"}""");
        foreach (var phase in new[] { "backup", "copy", "prune" })
        {
            await function.InvokeAsync($$"""{"action":"run","scheduledTime":"2026-11-28T03:00:00Z","phase":"{{phase}}"}""");
        }

        await function.InvokeAsync(File.ReadAllText(Path.Combine(Deployment.RepositoryFiles.EventsDirectory, "sqs-batch.json")));

        var called = (await moto.CallLogAsync()).Select(c => c.Action).ToHashSet(StringComparer.Ordinal);
        var covered = CallTable.Ec2Actions(Deployments.All());

        Assert.Empty(called.Except(covered));
        // The run must really have gone through every kind of call, or the subset check would prove nothing.
        Assert.Superset(new HashSet<string>(StringComparer.Ordinal)
        {
            "DescribeInstances", "DescribeImages", "DescribeSnapshots", "DescribeImageReferences", "DescribeLaunchTemplates",
            "CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot",
        }, called);
        using var ec2 = moto.Client(East);
        Assert.Empty((await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { Filters = [new Filter("snapshot-id", [orphan])] })).Snapshots ?? []);
    }

    // A managed snapshot whose image was deregistered without DeleteAssociatedSnapshots: the sweep's to delete.
    private async Task<string> OrphanedManagedSnapshotAsync()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string>());
        using var ec2 = moto.Client(East);
        var image = await ec2.CreateImageAsync(new CreateImageRequest
        {
            InstanceId = instance,
            Name = $"ami-rotator-{instance}-20261101T0300Z",
            TagSpecifications =
            [
                new TagSpecification { ResourceType = ResourceType.Image, Tags = [new Tag("ami-rotator:managed", "true"), new Tag("ami-rotator:instance-id", instance)] },
                new TagSpecification { ResourceType = ResourceType.Snapshot, Tags = [new Tag("ami-rotator:managed", "true"), new Tag("ami-rotator:instance-id", instance), new Tag("ami-rotator:owner", "ami-rotator")] },
            ],
        });
        var snapshot = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { ImageIds = [image.ImageId] })).Images[0].BlockDeviceMappings[0].Ebs.SnapshotId;
        await ec2.DeregisterImageAsync(new DeregisterImageRequest { ImageId = image.ImageId });
        return snapshot;
    }
}
