namespace AmiRotator.Tests.Integration;

/// <summary>
/// The machine's clock moved by a fixed offset: "now" lies in the future (an orphan past its grace period, say) while
/// delays still pass in real time. A fake clock that nobody advances would leave every backoff and re-read waiting forever.
/// </summary>
internal sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + offset;
}
