using AmiRotator.Ec2;
using AmiRotator.Planning;
using AmiRotator.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Ec2;

/// <summary>
/// The pacing decorator against a model of EC2's own buckets [ec2-api-throttling]: every call's time is replayed
/// through a bucket of EC2's published size and refill rate, shared by every caller, and none may be refused.
/// </summary>
public sealed class PacedEc2RegionTests
{
    private const string East = "us-east-1";
    private const string West = "us-west-2";

    [Fact]
    public async Task FindReferences_OfTwoThousandImages_StaysWithinDescribeImageReferencesBucket()
    {
        // A 10,000-instance prune retires 2,000 images a Region: 200 calls of ten. Unpaced, they go at once and EC2's
        // bucket of 100 (+20/s) refuses about half of them.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero));
        var ec2 = new FakeEc2(clock);
        var ids = Enumerable.Range(0, 2000).Select(n => ec2.AddImage(East, name: $"img-{n}")).ToList();
        var times = Record(ec2, clock, Ec2Call.DescribeImageReferences);
        var paced = new PacedEc2Region(ec2.Region(East), clock);

        var references = await Drive(clock, paced.FindReferencesAsync(ids, CancellationToken.None));

        Assert.Equal(2000, references.Count);
        Assert.All(ids, id => Assert.Empty(references[id]));
        Assert.Equal(200, times.Count);
        Assert.Equal(0, Ec2BucketRefusals(times, capacity: 100, refillPerSecond: 20));
    }

    [Fact]
    public async Task CopyImage_FromThreeWritersAtOnce_StaysWithinOneCopyImageBucket()
    {
        // COPY_WRITERS = 3: the night loop and two queue pollers, each an execution environment with its own buckets.
        // Together they must not go faster than the account's one bucket (100, +1/s): each takes a third of it.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero));
        var ec2 = new FakeEc2(clock);
        var times = Record(ec2, clock, Ec2Call.CopyImage);
        var writers = Enumerable.Range(0, 3).Select(_ => new PacedEc2Region(ec2.Region(West), clock, copyWriters: 3)).ToList();
        var copies = writers.Select((writer, w) => Drive(clock, CopyAll(ec2, writer, w, 60))).ToList();

        await Task.WhenAll(copies);

        Assert.Equal(180, times.Count);
        Assert.Equal(0, Ec2BucketRefusals(times, capacity: 100, refillPerSecond: 1));
    }

    [Fact]
    public async Task CopyImage_FromOneWriter_StillUsesTheBurst()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero));
        var ec2 = new FakeEc2(clock);
        var times = Record(ec2, clock, Ec2Call.CopyImage);
        var start = clock.GetUtcNow();

        await Drive(clock, CopyAll(ec2, new PacedEc2Region(ec2.Region(West), clock), 0, 90));

        Assert.Equal(90, times.Count);
        Assert.True(times.Max() - start < TimeSpan.FromSeconds(1), $"90 copies from one writer took {times.Max() - start}");
    }

    private static async Task CopyAll(FakeEc2 ec2, PacedEc2Region writer, int w, int count)
    {
        for (var n = 0; n < count; n++)
        {
            var source = ec2.AddImage(East, name: $"src-{w}-{n}");
            await writer.CopyImageAsync(
                new CopyAction(source, East, West, null, $"copy-{w}-{n}", "d", $"token-{w}-{n}", null, new Dictionary<string, string>(), "test"),
                CancellationToken.None);
        }
    }

    private static List<DateTimeOffset> Record(FakeEc2 ec2, TimeProvider clock, string action)
    {
        var times = new List<DateTimeOffset>();
        ec2.BeforeCall = (call, _) =>
        {
            if (call.Action == action)
            {
                lock (times)
                {
                    times.Add(clock.GetUtcNow());
                }
            }

            return Task.CompletedTask;
        };
        return times;
    }

    /// <summary>Moves the fake clock on in 50 ms steps until the work is done: the buckets' waits pass in virtual time.</summary>
    private static async Task<T> Drive<T>(FakeTimeProvider clock, Task<T> work)
    {
        await Drive(clock, (Task)work);
        return await work;
    }

    private static async Task Drive(FakeTimeProvider clock, Task work)
    {
        for (var i = 0; i < 200_000 && !work.IsCompleted; i++)
        {
            await Task.Delay(1);
            clock.Advance(TimeSpan.FromMilliseconds(50));
        }

        await work.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static int Ec2BucketRefusals(IEnumerable<DateTimeOffset> times, int capacity, double refillPerSecond)
    {
        var ordered = times.Order().ToList();
        double tokens = capacity;
        var last = ordered.FirstOrDefault();
        var refused = 0;
        foreach (var at in ordered)
        {
            tokens = Math.Min(capacity, tokens + ((at - last).TotalSeconds * refillPerSecond));
            last = at;
            if (tokens >= 1)
            {
                tokens -= 1;
            }
            else
            {
                refused++;
            }
        }

        return refused;
    }
}
