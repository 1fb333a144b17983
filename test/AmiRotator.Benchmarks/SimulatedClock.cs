namespace AmiRotator.Benchmarks;

/// <summary>
/// Virtual time for a simulated night: reading the clock costs nothing, and a delay moves time on by its length and
/// fires at once. The only delays in a simulated pass are the token buckets' (EC2's published refill rates), which
/// are taken one after another, so virtual time is the time the calls would take at EC2's pace; the driver moves it
/// on for the waits between steps.
/// </summary>
internal sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock gate = new();
    private long elapsed;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate)
        {
            return start + TimeSpan.FromTicks(elapsed);
        }
    }

    public override long GetTimestamp()
    {
        lock (gate)
        {
            return elapsed;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (gate)
        {
            elapsed += by.Ticks;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FiringTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void AdvanceTo(long ticks)
    {
        lock (gate)
        {
            elapsed = Math.Max(elapsed, ticks);
        }
    }

    private sealed class FiringTimer(SimulatedClock clock, TimerCallback callback, object? state) : ITimer
    {
        private bool disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (disposed || dueTime == Timeout.InfiniteTimeSpan)
            {
                return !disposed;
            }

            var due = clock.GetTimestamp() + dueTime.Ticks;
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                if (!disposed)
                {
                    clock.AdvanceTo(due);
                    callback(state);
                }
            }, null);
            return true;
        }

        public void Dispose() => disposed = true;

        public ValueTask DisposeAsync()
        {
            disposed = true;
            return default;
        }
    }
}
