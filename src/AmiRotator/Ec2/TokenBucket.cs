namespace AmiRotator.Ec2;

/// <summary>
/// EC2's own throttling model (a bucket that refills at a fixed rate), mirrored on our side so a pass paces
/// itself under the account's limits instead of discovering them through RequestLimitExceeded.
/// </summary>
internal sealed class TokenBucket(int capacity, double refillPerSecond, TimeProvider clock)
{
    private readonly Lock gate = new();
    private double tokens = capacity;
    private long last = clock.GetTimestamp();

    public int Capacity { get; } = capacity;

    public double RefillPerSecond { get; } = refillPerSecond;

    public async Task TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            TimeSpan wait;
            lock (gate)
            {
                var now = clock.GetTimestamp();
                tokens = Math.Min(Capacity, tokens + (clock.GetElapsedTime(last, now).TotalSeconds * RefillPerSecond));
                last = now;
                if (tokens >= 1)
                {
                    tokens -= 1;
                    return;
                }

                // Rounded up to a whole millisecond, the resolution of timers (TimeProvider's and Task.Delay's): a
                // wait for the last hair of a token would otherwise complete at once and spin here, forever on a
                // clock that doesn't move (TokenBucketTests.TakeAsync_WhenTheRefillLeavesAHairLessThanOneToken_...).
                wait = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((1 - tokens) / RefillPerSecond * 1000)));
            }

            await Task.Delay(wait, clock, ct).ConfigureAwait(false);
        }
    }
}
