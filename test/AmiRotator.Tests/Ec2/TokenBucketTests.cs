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
    public async Task TakeAsync_WhenTheRefillLeavesAHairLessThanOneToken_WaitsInsteadOfSpinning()
    {
        // 19.2/s (EC2's 20/s with our headroom): 520,833 ticks refill 0.99999936 of a token. The wait for the rest
        // is a third of a tick, which a TimeSpan truncates to zero: the bucket must still wait, not spin on a clock
        // that hasn't moved (found by PacedEc2RegionTests, whose fake clock never moved and the test hung).
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(capacity: 1, refillPerSecond: 19.2, clock);
        await bucket.TakeAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromTicks(520_833));

        // On a thread of its own: a spinning TakeAsync never returns its task, and that thread is what would hang.
        Task? next = null;
        using var returned = new ManualResetEventSlim();
        var caller = new Thread(() =>
        {
            next = bucket.TakeAsync(CancellationToken.None);
            returned.Set();
        }) { IsBackground = true };
        caller.Start();
        var wentAsync = returned.Wait(TimeSpan.FromSeconds(2));
        var grantedEarly = wentAsync && next!.IsCompleted;
        clock.Advance(TimeSpan.FromMilliseconds(1)); // frees a spinning caller too

        Assert.True(wentAsync, "TakeAsync spun on a clock that had not moved instead of waiting for it");
        Assert.False(grantedEarly, "a token was granted before it had refilled");
        await next!.WaitAsync(TimeSpan.FromSeconds(5));
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
