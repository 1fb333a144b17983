using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Tests.Emulator;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// The rest of issue 9's ways to lose a backup, each through the real pass against the emulator patched to AWS's
/// semantics: shared data-volume snapshots, the Recycle Bin, deregistration protection, long Name tags and stale reads.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class AwsSemanticsPassTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";
    private static readonly DateTimeOffset Night = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Scheduled(int night) =>
        $$"""{"action":"run","scheduledTime":"{{Night.AddDays(night):yyyy-MM-ddTHH:mm:ssZ}}"}""";

    private Function Stack(TimeProvider? clock = null, params (string Key, string Value)[] settings) =>
        EmulatedFunction.Create(moto, settings.ToDictionary(s => s.Key, s => s.Value), clock);

    private async Task<(string Instance, string Older, string Newer)> TwoBackupsAsync(Function stack)
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var older = Created(await stack.InvokeAsync(Scheduled(0)));
        await Task.Delay(1100); // CreationDate has one-second resolution
        var newer = Created(await stack.InvokeAsync(Scheduled(1)));
        return (instance, older, newer);
    }

    private static string Created(JsonElement answer) => answer.GetProperty("created")[0].GetProperty("imageId").GetString()!;

    private static string Root(Image image) => image.BlockDeviceMappings[0].Ebs.SnapshotId;

    // 4. DeregisterImage reports "skipped" for a snapshot another AMI uses; EC2 refuses DeleteSnapshot only for the root
    // snapshot of a registered AMI [API_DeleteSnapshot], so deleting a "skipped" data-volume snapshot breaks that AMI.
    [Fact]
    public async Task Prune_WhenEc2SaysAnotherImageUsesASnapshot_NeverDeletesIt()
    {
        var stack = Stack(null, ("RETENTION", "keep-last=1"));
        var (_, older, _) = await TwoBackupsAsync(stack);
        using var ec2 = moto.Client(East);
        var shared = Root(await EmulatorImages.DescribeImageAsync(ec2, older));
        var handMade = await EmulatorImages.CreateImageAsync(moto, ec2, East, "golden-base");
        // Registered just now from a golden root and our backup's snapshot as its data volume; the pass's read lags behind.
        await moto.SetConsistencyLagAsync(2);
        var user = await EmulatorImages.RegisterAsync(ec2, "app-with-data", "/dev/xvda", ("/dev/xvda", Root(await EmulatorImages.DescribeImageAsync(ec2, handMade))), ("/dev/sdf", shared));

        var prune = await stack.InvokeAsync("""{"action":"prune"}""");

        Assert.Contains(older, prune.GetProperty("retired").EnumerateArray().Select(r => r.GetProperty("imageId").GetString()));
        Assert.True(await EmulatorImages.SnapshotExistsAsync(ec2, shared), $"{shared}, a data volume of {user}, was deleted");
        Assert.Contains(prune.GetProperty("skipped").EnumerateArray(), s => s.GetProperty("subject").GetString() == shared);
    }

    // 4. [recycle-bin-factors] An AMI in the Recycle Bin can be restored only while its snapshots exist; DescribeImages
    // doesn't list it, so an orphan sweep that trusts DescribeImages defeats the undo.
    [Fact]
    public async Task Sweep_WhenTheSnapshotsImageIsInTheRecycleBin_KeepsItSoTheImageCanBeRestored()
    {
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var stack = Stack(clock, ("RETENTION", "keep-last=5"));
        var backup = Created(await stack.InvokeAsync(Scheduled(0)));
        using var ec2 = moto.Client(East);
        var snapshot = Root(await EmulatorImages.DescribeImageAsync(ec2, backup));
        await moto.SetRecycleBinAsync(true);
        // Someone deregisters it by hand, without DeleteAssociatedSnapshots: it goes to the bin, its snapshot stays.
        await ec2.DeregisterImageAsync(new DeregisterImageRequest { ImageId = backup });
        clock.Advance(TimeSpan.FromHours(3)); // past the sweep's grace

        await stack.InvokeAsync("""{"action":"prune"}""");

        Assert.True(await EmulatorImages.SnapshotExistsAsync(ec2, snapshot), $"{snapshot} of {backup} (in the Recycle Bin) was deleted");
        await ec2.RestoreImageFromRecycleBinAsync(new RestoreImageFromRecycleBinRequest { ImageId = backup });
        Assert.Equal(ImageState.Available, (await EmulatorImages.DescribeImageAsync(ec2, backup)).State);
        Assert.NotEmpty(instance);
    }

    // 6. DeregisterImage fails while deregistration protection is on [API_EnableImageDeregistrationProtection]: the
    // image is pinned in EC2, and keeping it is no failure.
    [Fact]
    public async Task Prune_WhenABackupHasDeregistrationProtection_KeepsItAndSaysWhyWithoutFailing()
    {
        var stack = Stack(null, ("RETENTION", "keep-last=1"));
        var (_, older, _) = await TwoBackupsAsync(stack);
        using var ec2 = moto.Client(East);
        await ec2.EnableImageDeregistrationProtectionAsync(new EnableImageDeregistrationProtectionRequest { ImageId = older, WithCooldown = true });

        var prune = await stack.InvokeAsync("""{"action":"prune"}""");

        Assert.Empty(prune.GetProperty("failures").EnumerateArray());
        var kept = prune.GetProperty("kept").EnumerateArray().Single(k => k.GetProperty("imageId").GetString() == older);
        Assert.Contains(kept.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("deregistration protection", StringComparison.Ordinal));
        Assert.Equal(ImageState.Available, (await EmulatorImages.DescribeImageAsync(ec2, older)).State);
    }

    // 7. [API_CreateImage] Description: "Constraints: Up to 255 characters"; an instance's Name tag holds 256.
    [Fact]
    public async Task Run_WhenTheInstanceHasAVeryLongNameTag_StillBacksItUp()
    {
        var name = new string('n', 250);
        var instance = await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["Name"] = name });

        var run = await Stack().InvokeAsync(Scheduled(0));

        Assert.Empty(run.GetProperty("failures").EnumerateArray());
        using var ec2 = moto.Client(East);
        var image = await EmulatorImages.DescribeImageAsync(ec2, Created(run));
        Assert.True(image.Description.Length <= 255, $"description of {image.Description.Length} characters");
        Assert.Equal(name, image.Tags.Single(t => t.Key == "Name").Value);
        Assert.Equal(instance, image.Tags.Single(t => t.Key == "ami-rotator:instance-id").Value);
    }

    // 9. [eventual-consistency] The AMI-available event can arrive before DescribeImages shows the image: consuming it
    // then leaves the copy for the next night. It must fail so that Lambda retries it.
    [Fact]
    public async Task ImageAvailableEvent_WhenDescribeImagesDoesNotShowTheImageYet_FailsSoLambdaRetriesItAndTheRetryCopies()
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var stack = Stack(null, ("DR_REGION", West));
        await moto.SetConsistencyLagAsync(3);
        var backup = Created(await stack.InvokeAsync(Scheduled(0)));
        var ev = $$$"""{"version":"0","detail-type":"EC2 AMI State Change","source":"aws.ec2","account":"{{{EmulatedFunction.Account}}}","time":"2026-11-26T03:12:00Z","region":"{{{East}}}","resources":[],"detail":{"RequestId":"r","ImageId":"{{{backup}}}","State":"available","ErrorMessage":""}}""";

        var first = await Assert.ThrowsAsync<FunctionErrorException>(() => stack.InvokeAsync(ev));
        Assert.Equal("ImageNotYetVisible", first.ErrorType);

        JsonElement retried = default;
        for (var delivery = 0; delivery < 5; delivery++)
        {
            try
            {
                retried = await stack.InvokeAsync(ev);
                break;
            }
            catch (FunctionErrorException e) when (e.ErrorType == "ImageNotYetVisible")
            {
                // Lambda's async retry comes back a minute later; each delivery is one more read.
            }
        }

        Assert.Equal(backup, retried.GetProperty("copied")[0].GetProperty("sourceImageId").GetString());
    }
}
