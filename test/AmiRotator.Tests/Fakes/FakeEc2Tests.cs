using Amazon.EC2;
using AmiRotator.Ec2;
using AmiRotator.Inventory;
using AmiRotator.Planning;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Fakes;

/// <summary>The fake keeps the EC2 API Reference's promises the product relies on; if it didn't, the other suites would prove nothing.</summary>
public sealed class FakeEc2Tests
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider clock = new(Start);
    private readonly FakeEc2 ec2;
    private readonly string instanceId;

    public FakeEc2Tests()
    {
        ec2 = new FakeEc2(clock);
        instanceId = ec2.AddInstance(East, tags: Tags(("Backup", "true")));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("backup:2026-11-26")]
    [InlineData("backup#1")]
    public async Task CreateImage_WithAMalformedName_FailsWithInvalidAMINameMalformed(string name)
    {
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.Region(East).CreateImageAsync(Backup(name), CancellationToken.None));

        Assert.Equal("InvalidAMIName.Malformed", error.ErrorCode);
        Assert.Empty(ec2.Images(East));
    }

    [Fact]
    public async Task CreateImage_AcceptsEveryDocumentedNameCharacter()
    {
        var id = await ec2.Region(East).CreateImageAsync(Backup("a-Z_0 (x)[y]./'@" + new string('n', 100)), CancellationToken.None);

        Assert.NotNull(ec2.Image(id));
    }

    [Fact]
    public async Task CreateImage_StartsPendingAtTheClockWithTaggedSnapshots()
    {
        ec2.SnapshotsPerImage = 3;

        var id = await ec2.Region(East).CreateImageAsync(Backup("backup-1", ("k", "v")), CancellationToken.None);

        var image = ec2.Image(id)!;
        Assert.Equal((ImageStates.Pending, Start, true), (image.State, image.CreationDate, image.NoReboot));
        Assert.Equal(3, image.SnapshotIds.Count);
        Assert.All(image.SnapshotIds, s => Assert.Equal(("pending", "v"), (ec2.Snapshot(s)!.State, ec2.Snapshot(s)!.Tags["k"])));
        ec2.SetImageState(id, ImageStates.Available);
        Assert.All(image.SnapshotIds, s => Assert.Equal("completed", ec2.Snapshot(s)!.State));
    }

    [Fact]
    public async Task CreateImage_WithANameTakenInTheRegion_ThrowsDuplicateImageName_ButNotInAnotherRegion()
    {
        ec2.AddImage(East, name: "backup-1");
        var westInstance = ec2.AddInstance(West);

        await Assert.ThrowsAsync<DuplicateImageNameException>(() => ec2.Region(East).CreateImageAsync(Backup("backup-1"), CancellationToken.None));
        Assert.NotNull(await ec2.Region(West).CreateImageAsync(Backup("backup-1") with { InstanceId = westInstance }, CancellationToken.None));
        Assert.Equal("InvalidAMIName.Duplicate", ec2.CallsTo(Ec2Call.CreateImage)[0].ErrorCode);
    }

    [Fact]
    public async Task CreateImage_OfATerminatedInstance_FailsWithIncorrectInstanceState()
    {
        var terminated = ec2.AddInstance(East, state: "terminated");

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.Region(East).CreateImageAsync(Backup("b-1") with { InstanceId = terminated }, CancellationToken.None));

        Assert.Equal("IncorrectInstanceState", error.ErrorCode);
    }

    [Fact]
    public async Task CopyImage_WithTheSameTokenAndParameters_ReturnsTheFirstCopy()
    {
        var source = ec2.AddImage(East);

        var first = await ec2.Region(West).CopyImageAsync(Copy(source, "token-1"), CancellationToken.None);
        var again = await ec2.Region(West).CopyImageAsync(Copy(source, "token-1"), CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Single(ec2.Images(West));
        Assert.Equal(2, ec2.MutationCount);
    }

    [Fact]
    public async Task CopyImage_WithTheSameTokenAndOtherParameters_FailsWithIdempotentParameterMismatch()
    {
        var source = ec2.AddImage(East);
        await ec2.Region(West).CopyImageAsync(Copy(source, "token-1"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.Region(West).CopyImageAsync(Copy(source, "token-1") with { Name = "other" }, CancellationToken.None));

        Assert.Equal("IdempotentParameterMismatch", error.ErrorCode);
    }

    [Theory]
    [InlineData(ImageStates.Pending, "IncorrectState")]
    [InlineData(ImageStates.Failed, "IncorrectState")]
    [InlineData(null, "InvalidAMIID.NotFound")]
    public async Task CopyImage_OfASourceThatIsNotAvailable_Fails(string? state, string errorCode)
    {
        var source = state is null ? "ami-0000000000000dead" : ec2.AddImage(East, state: state);

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.Region(West).CopyImageAsync(Copy(source, "t"), CancellationToken.None));

        Assert.Equal(errorCode, error.ErrorCode);
        Assert.Empty(ec2.Images(West));
    }

    [Fact]
    public async Task CopyImage_GetsNewSnapshotsTaggedFromTheRequestOnly()
    {
        var source = ec2.AddImage(East, tags: Tags(("owner-team", "db")), snapshotIds: ["snap-0a", "snap-0b"]);

        var id = await ec2.Region(West).CopyImageAsync(Copy(source, "t", ("copy", "yes")), CancellationToken.None);

        var copy = ec2.Image(id)!;
        Assert.Equal(Tags(("copy", "yes")), copy.Tags);
        Assert.Equal(2, copy.SnapshotIds.Count);
        Assert.DoesNotContain("snap-0a", copy.SnapshotIds);
        Assert.All(copy.SnapshotIds, s => Assert.Equal((West, "yes"), (ec2.Snapshot(s)!.Region, ec2.Snapshot(s)!.Tags["copy"])));
    }

    [Fact]
    public async Task DeregisterImage_DeletesOnlySnapshotsNoOtherRegisteredImageUses()
    {
        var retired = ec2.AddImage(East, snapshotIds: ["snap-0own", "snap-0shared", "snap-0fault"]);
        var other = ec2.AddImage(East, state: ImageStates.Failed, snapshotIds: ["snap-0shared"]);
        ec2.SetDeleteSnapshotReturnCode("snap-0fault", "internal-error");

        var outcomes = await ec2.Region(East).DeregisterImageAsync(retired, CancellationToken.None);

        Assert.Equal(
            [new SnapshotOutcome("snap-0own", "success"), new SnapshotOutcome("snap-0shared", "skipped"), new SnapshotOutcome("snap-0fault", "internal-error")],
            outcomes);
        Assert.Null(ec2.Image(retired));
        Assert.Null(ec2.Snapshot("snap-0own"));
        Assert.NotNull(ec2.Snapshot("snap-0shared"));
        Assert.NotNull(ec2.Snapshot("snap-0fault"));
        Assert.NotNull(ec2.Image(other));
    }

    [Fact]
    public async Task DeleteSnapshot_OfAUsedSnapshot_ThrowsSnapshotInUse_AndOfAMissingOneSucceeds()
    {
        ec2.AddImage(East, snapshotIds: ["snap-0used"]);

        await Assert.ThrowsAsync<SnapshotInUseException>(() => ec2.Region(East).DeleteSnapshotAsync("snap-0used", CancellationToken.None));
        await ec2.Region(East).DeleteSnapshotAsync("snap-0gone", CancellationToken.None);

        Assert.NotNull(ec2.Snapshot("snap-0used"));
        Assert.Equal(["InvalidSnapshot.InUse", "InvalidSnapshot.NotFound"], ec2.CallsTo(Ec2Call.DeleteSnapshot).Select(c => c.ErrorCode));
    }

    [Fact]
    public async Task FindReferences_AsksTenIdsPerCall_AndTheApiRefusesMore()
    {
        var ids = Enumerable.Range(0, 25).Select(_ => ec2.AddImage(East)).ToList();
        ec2.AddReference(East, ids[20], "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc");

        var found = await ec2.Region(East).FindReferencesAsync(ids, CancellationToken.None);

        Assert.Equal(25, found.Count);
        Assert.Equal(["arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"], found[ids[20]]);
        Assert.Equal([10, 10, 5], ec2.CallsTo(Ec2Call.DescribeImageReferences).Select(c => c.Subject.Split(',').Length));
        Assert.Equal("InvalidParameterValue", Assert.Throws<AmazonEC2Exception>(() => ec2.DescribeImageReferences(East, ids.Take(11).ToList())).ErrorCode);
    }

    [Fact]
    public async Task FindReferences_WhenUnavailable_Throws()
    {
        var id = ec2.AddImage(East);
        ec2.FailImageReferences(East, "UnauthorizedOperation");

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.Region(East).FindReferencesAsync([id], CancellationToken.None));

        Assert.Equal("UnauthorizedOperation", error.ErrorCode);
    }

    [Fact]
    public async Task Listings_ShowOnlyTheAccountsImagesAndManagedSnapshots_AndTaggedLiveInstances()
    {
        var ours = ec2.AddImage(East, tags: Tags((ManagedTags.Managed, "true")));
        ec2.AddImage(East, ownerId: "210987654321", tags: Tags((ManagedTags.Managed, "true")));
        ec2.AddSnapshot(East, "snap-0unmanaged");
        var terminated = ec2.AddInstance(East, tags: Tags(("Backup", "true")), state: "terminated");

        var images = await ec2.Region(East).ListOwnedImagesAsync(null, CancellationToken.None);
        var snapshots = await ec2.Region(East).ListManagedSnapshotsAsync(FakeEc2.DefaultAccountId, CancellationToken.None);
        var tagged = await ec2.Region(East).ListInstancesAsync("Backup", "true", null, CancellationToken.None);
        var byId = await ec2.Region(East).ListInstancesAsync("Backup", "true", [terminated], CancellationToken.None);

        Assert.Equal([ours], images.Select(i => i.ImageId));
        Assert.Equal(ec2.Image(ours)!.SnapshotIds, snapshots.Select(s => s.SnapshotId));
        Assert.Equal([instanceId], tagged.Select(i => i.InstanceId));
        Assert.Equal(("terminated", terminated), (Assert.Single(byId).State, byId[0].InstanceId));
        Assert.Empty(await ec2.Region(East).ListOwnedImagesAsync(["ami-0000000000000dead"], CancellationToken.None));
    }

    private BackupAction Backup(string name, params (string Key, string Value)[] tags) =>
        new(instanceId, name, "test backup", NoReboot: true, Tags(tags), "test");

    private static CopyAction Copy(string sourceImageId, string token, params (string Key, string Value)[] tags) =>
        new(sourceImageId, East, West, null, $"copy-of-{sourceImageId}", "test copy", token, null, Tags(tags), "test");

    private static Dictionary<string, string> Tags(params (string Key, string Value)[] tags) =>
        tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
}
