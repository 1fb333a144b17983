using System.Text.Json;
using Amazon.EC2.Model;
using AmiRotator.Lambda;
using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Integration;

/// <summary>
/// <c>{"action":"preflight"}</c> against the patched emulator, whose IAM knob denies chosen actions as EC2 would
/// (UnauthorizedOperation for dry runs and real calls alike): a table of verdicts, and no EC2 change either way.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class PreflightTests(MotoServer moto) : IAsyncLifetime
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";
    private const string Preflight = """{"action":"preflight"}""";
    private static readonly string[] Mutations = ["CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot"];

    public Task InitializeAsync() => moto.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Preflight_WhenEverythingIsAllowed_AnswersAllowedForEveryPermissionAndChangesNothing()
    {
        var function = await DeployedAfterOneNightAsync();
        var before = await StateAsync();
        await moto.ResetCallsAsync();

        var answer = await function.InvokeAsync(Preflight);

        var rows = Rows(answer);
        Assert.Equal(
            [
                ("ec2:DescribeImages", East), ("ec2:DescribeSnapshots", East), ("ec2:DescribeInstances", East),
                ("ec2:DescribeImages", West), ("ec2:DescribeSnapshots", West),
                ("ec2:DescribeImageReferences", East), ("ec2:DescribeImageReferences", West),
                ("ec2:CreateImage", East), ("ec2:CopyImage", West),
                ("ec2:DeregisterImage", East), ("ec2:DeleteSnapshot", East), ("ec2:DeregisterImage", West), ("ec2:DeleteSnapshot", West),
            ],
            rows.Select(r => (r.Permission, r.Region)));
        Assert.All(rows, r => Assert.Equal("allowed", r.Verdict));
        Assert.Equal("preflight", answer.GetProperty("action").GetString());
        Assert.StartsWith("13 allowed, 0 denied, 0 errors, 0 untested", answer.GetProperty("message").GetString(), StringComparison.Ordinal);

        var calls = await moto.CallLogAsync();
        Assert.All(calls.Where(c => Mutations.Contains(c.Action)), c => Assert.True(c.DryRun && c.Status == 412, $"{c} was not a dry run answered DryRunOperation"));
        Assert.Equal(6, calls.Count(c => Mutations.Contains(c.Action)));
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task Preflight_WhenCopyImageIsDeniedInTheDrRegion_FailsNamingThePermissionAndChangesNothing()
    {
        var function = await DeployedAfterOneNightAsync();
        var before = await StateAsync();
        await moto.DenyAsync("us-west-2:CopyImage", "us-east-1:DeleteSnapshot");

        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => function.InvokeAsync(Preflight));

        Assert.Equal("PreflightFailed", error.ErrorType);
        Assert.Contains("ec2:CopyImage in us-west-2", error.Message, StringComparison.Ordinal);
        Assert.Contains("ec2:DeleteSnapshot in us-east-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing ec2:CopyImage on source image ami-", error.Message, StringComparison.Ordinal);
        Assert.Contains("11 allowed, 2 denied", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task Preflight_WhenAReadIsDenied_ReportsItAndStillTriesTheRest()
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = EmulatedFunction.Create(moto, new Dictionary<string, string> { ["DR_REGION"] = West });
        await moto.DenyAsync("us-west-2:DescribeImages");

        var error = await Assert.ThrowsAsync<FunctionErrorException>(() => function.InvokeAsync(Preflight));

        Assert.Equal("PreflightFailed", error.ErrorType);
        Assert.Contains("ec2:DescribeImages in us-west-2: denied", error.Message, StringComparison.Ordinal);
        Assert.Contains("1 denied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_WhenNothingHasBeenBackedUpYet_ReportsWhatItCouldNotTryAndSucceeds()
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true" });
        var function = EmulatedFunction.Create(moto, new Dictionary<string, string> { ["DR_REGION"] = West });
        await moto.ResetCallsAsync();

        var answer = await function.InvokeAsync(Preflight);

        var rows = Rows(answer);
        Assert.Equal("allowed", rows.Single(r => r.Permission == "ec2:CreateImage").Verdict);
        var untested = rows.Where(r => r.Verdict == "untested").ToList();
        Assert.Equal(["ec2:DescribeImageReferences", "ec2:DescribeImageReferences", "ec2:CopyImage", "ec2:DeregisterImage", "ec2:DeleteSnapshot", "ec2:DeregisterImage", "ec2:DeleteSnapshot"],
            untested.Select(r => r.Permission));
        Assert.Contains("no available managed backup in us-east-1 to copy yet", untested.Select(r => r.Detail));
        Assert.Contains("run preflight again after the first night", answer.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(await moto.CallLogAsync(), c => Mutations.Contains(c.Action) && !c.DryRun);
    }

    // One night's pass made a backup and its copy, so every permission has a real resource to be tried on.
    private async Task<Function> DeployedAfterOneNightAsync()
    {
        await moto.SeedInstanceAsync(East, new Dictionary<string, string> { ["Backup"] = "true", ["Name"] = "web-1" });
        var function = EmulatedFunction.Create(moto, new Dictionary<string, string> { ["DR_REGION"] = West });
        var night = await function.InvokeAsync("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""");
        Assert.Equal(1, night.GetProperty("created").GetArrayLength());
        var copy = await function.InvokeAsync("""{"action":"copy"}""");
        Assert.Equal(1, copy.GetProperty("copied").GetArrayLength());
        return function;
    }

    private async Task<string> StateAsync()
    {
        var parts = new List<string>();
        foreach (var region in new[] { East, West })
        {
            using var ec2 = moto.Client(region);
            var images = (await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] })).Images ?? [];
            var snapshots = (await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { OwnerIds = ["self"] })).Snapshots ?? [];
            parts.Add($"{region}: {string.Join(",", images.Select(i => $"{i.ImageId}/{i.State}").Order(StringComparer.Ordinal))} | {string.Join(",", snapshots.Select(s => s.SnapshotId).Order(StringComparer.Ordinal))}");
        }

        return string.Join("\n", parts);
    }

    private static List<(string Permission, string Region, string Verdict, string? Detail)> Rows(JsonElement answer) =>
        [.. answer.GetProperty("permissions").EnumerateArray().Select(r => (
            r.GetProperty("permission").GetString()!,
            r.GetProperty("region").GetString()!,
            r.GetProperty("verdict").GetString()!,
            r.TryGetProperty("detail", out var d) ? d.GetString() : null))];
}
