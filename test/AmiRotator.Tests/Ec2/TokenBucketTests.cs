using AmiRotator.Ec2;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Ec2;

public sealed class TokenBucketTests
{
    [Fact]
    public async Task TakeAsync_WhenBurstIsSpent_WaitsForTheRefill()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(capacity: 2, refillPerSecond: 1, clock);

        await bucket.TakeAsync(CancellationToken.None);
        await bucket.TakeAsync(CancellationToken.None);
        var third = bucket.TakeAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(999));
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(2));
        await third.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task TakeAsync_WhenIdleLongerThanCapacity_RefillsOnlyToCapacity()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(capacity: 3, refillPerSecond: 5, clock);
        clock.Advance(TimeSpan.FromMinutes(10));

        for (var i = 0; i < 3; i++)
        {
            await bucket.TakeAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }

        var fourth = bucket.TakeAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(fourth.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await fourth.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
