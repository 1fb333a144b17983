using System.Diagnostics;
using System.Net;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using AmiRotator.Tests.Emulator;
using Xunit;

namespace AmiRotator.Tests.Faults;

/// <summary>
/// The fault proxy does what it claims, checked against what reached the emulator: a green scenario proves nothing
/// if the proxy never threw a fault, or threw it at the wrong side of the work.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class FaultProxyTests(MotoServer moto) : IAsyncLifetime
{
    private const string Region = "us-east-1";
    private FaultProxy proxy = null!;

    public async Task InitializeAsync()
    {
        await moto.ResetAsync();
        proxy = await FaultProxy.ForAsync(moto);
    }

    public Task DisposeAsync() => proxy.ResetAsync();

    [Fact]
    public async Task Throttle_AnswersEc2sRequestLimitExceeded_As503_WithoutForwarding()
    {
        await proxy.ConfigureAsync(new { throttle = 1.0 });
        await moto.ResetCallsAsync();
        using var ec2 = Client();

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] }));

        Assert.Equal("RequestLimitExceeded", error.ErrorCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.RequestId)); // the XML body was parsed as EC2's, RequestID and all
        Assert.Empty(await moto.CallsAsync());
        Assert.Equal(1, (await proxy.StatsAsync()).Of("DescribeImages").Throttled);
    }

    [Fact]
    public async Task Lost_ForwardsTheCall_ThenAnswers500InternalError()
    {
        var snapshot = await SnapshotAsync();
        await proxy.ConfigureAsync(new { lost = 1.0 });
        using var ec2 = Client();

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [snapshot], Tags = [new Tag("lost", "yes")] }));

        Assert.Equal("InternalError", error.ErrorCode);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        await proxy.ResetAsync();
        Assert.Contains(await TagsAsync(snapshot), t => t.Key == "lost"); // the work was done all the same
    }

    [Fact]
    public async Task Drop_ForwardsTheCall_ThenClosesTheConnectionWithoutAnAnswer()
    {
        var snapshot = await SnapshotAsync();
        await proxy.ConfigureAsync(new { drop = 1.0 });
        using var ec2 = Client();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [snapshot], Tags = [new Tag("dropped", "yes")] }));
        Assert.Equal(1, (await proxy.StatsAsync()).Of("CreateTags").Dropped);

        Assert.IsNotType<AmazonServiceException>(error, exactMatch: false); // no answer at all, so no service error
        Assert.True(AmiRotator.Ec2.Ec2Calls.IsTransient(error, CancellationToken.None), $"{error.GetType()}: {error.Message}");
        await proxy.ResetAsync();
        Assert.Contains(await TagsAsync(snapshot), t => t.Key == "dropped");
    }

    [Fact]
    public async Task Latency_DelaysEveryForwardedCall()
    {
        await proxy.ConfigureAsync(new { latencyMs = 300 });
        using var ec2 = Client();
        var stopwatch = Stopwatch.StartNew();

        await ec2.DescribeRegionsAsync(new DescribeRegionsRequest());

        // A lower bound only: the call cannot have been answered before the latency passed.
        Assert.True(stopwatch.ElapsedMilliseconds >= 300, $"answered after {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Buckets_EnforceCopyImagesPublishedBurstOf100_PerRegion()
    {
        // [ec2-api-throttling] CopyImage: bucket size 100, refill 1 per second. Dry runs count against the bucket too.
        await proxy.ConfigureAsync(new { buckets = true });
        using var ec2 = Client();
        var stopwatch = Stopwatch.StartNew();
        var throttled = 0;
        for (var i = 0; i < 110; i++)
        {
            try
            {
                await ec2.CopyImageAsync(new CopyImageRequest { DryRun = true, SourceImageId = "ami-12345678", SourceRegion = "us-west-2", Name = $"b{i}" });
            }
            catch (AmazonEC2Exception e) when (e.ErrorCode == "RequestLimitExceeded")
            {
                throttled++;
            }
            catch (AmazonEC2Exception)
            {
                // DryRunOperation or a validation error: forwarded, not throttled.
            }
        }

        var refill = (int)Math.Ceiling(stopwatch.Elapsed.TotalSeconds) + 1;
        var stats = (await proxy.StatsAsync()).Of("CopyImage");
        Assert.Equal(throttled, stats.Throttled);
        Assert.InRange(stats.Forwarded, 100, 100 + refill);
        Assert.True(throttled >= 110 - 100 - refill, $"{throttled} throttled");

        // Another Region has a bucket of its own.
        using var west = Client("us-west-2");
        await Assert.ThrowsAsync<AmazonEC2Exception>(() => west.CopyImageAsync(new CopyImageRequest { DryRun = true, SourceImageId = "ami-12345678", SourceRegion = "us-east-1", Name = "west" }));
        Assert.Equal(throttled, (await proxy.StatsAsync()).Of("CopyImage").Throttled);
    }

    [Fact]
    public async Task HoldAfterMutations_StopsTheNextMutatingCall_UntilTheConfigChanges_ThenHangsUpWithoutForwarding()
    {
        var snapshot = await SnapshotAsync();
        await proxy.ConfigureAsync(new { holdAfterMutations = 1 });
        using var ec2 = Client();
        await ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [snapshot], Tags = [new Tag("first", "yes")] });

        var second = ec2.CreateTagsAsync(new CreateTagsRequest { Resources = [snapshot], Tags = [new Tag("second", "yes")] });
        await proxy.WaitForHeldAsync(1, TimeSpan.FromSeconds(10));
        await ec2.DescribeRegionsAsync(new DescribeRegionsRequest()); // reads still pass
        Assert.False(second.IsCompleted);

        await proxy.ConfigureAsync(new { holdAfterMutations = (int?)null });
        await Assert.ThrowsAnyAsync<Exception>(() => second);
        var tags = await TagsAsync(snapshot);
        Assert.Contains(tags, t => t.Key == "first");
        Assert.DoesNotContain(tags, t => t.Key == "second");
        Assert.Equal(1, (await proxy.StatsAsync()).Mutations);
    }

    [Fact]
    public async Task Storm_AppliesOnlyForItsSeconds_AndOnlyToTheNamedActions()
    {
        await proxy.ConfigureAsync(new { throttle = 1.0, actions = new[] { "DescribeImages" } });
        using var ec2 = Client();
        await ec2.DescribeRegionsAsync(new DescribeRegionsRequest());
        await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] }));

        await proxy.ConfigureAsync(new { stormSeconds = 0.5 });
        await Task.Delay(TimeSpan.FromSeconds(1));
        await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] }); // the storm is over
    }

    [Fact]
    public async Task ThrottleFirst_ThrottlesExactlyThatManyCalls_OfTheNamedActions()
    {
        await proxy.ConfigureAsync(new { throttleFirst = 2, actions = new[] { "DescribeImages" } });
        using var ec2 = Client();
        var outcomes = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            await ec2.DescribeRegionsAsync(new DescribeRegionsRequest());
            try
            {
                await ec2.DescribeImagesAsync(new DescribeImagesRequest { Owners = ["self"] });
                outcomes.Add(true);
            }
            catch (AmazonEC2Exception e) when (e.ErrorCode == "RequestLimitExceeded")
            {
                outcomes.Add(false);
            }
        }

        Assert.Equal([false, false, true, true], outcomes);
        Assert.Equal(0, (await proxy.StatsAsync()).Of("DescribeRegions").Throttled);
    }

    [Fact]
    public async Task Config_WithAnUnknownField_IsRefused()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => proxy.ConfigureAsync(new { throtle = 1.0 }));
        Assert.Contains("unknown field throtle", error.Message, StringComparison.Ordinal);
    }

    private AmazonEC2Client Client(string region = Region) => new(
        new BasicAWSCredentials("test", "test"),
        new AmazonEC2Config { ServiceURL = proxy.Url.ToString(), AuthenticationRegion = region, MaxErrorRetry = 0, MaxStaleConnectionRetries = 0, Timeout = TimeSpan.FromSeconds(30) });

    private async Task<string> SnapshotAsync()
    {
        using var ec2 = moto.Client(Region);
        var volume = await ec2.CreateVolumeAsync(new CreateVolumeRequest { AvailabilityZone = "us-east-1a", Size = 1 });
        return (await ec2.CreateSnapshotAsync(new CreateSnapshotRequest { VolumeId = volume.Volume.VolumeId })).Snapshot.SnapshotId;
    }

    private async Task<List<Tag>> TagsAsync(string snapshotId)
    {
        using var ec2 = moto.Client(Region);
        var response = await ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = [snapshotId] });
        return response.Snapshots[0].Tags ?? [];
    }
}
