using System.Runtime.CompilerServices;
using System.Net.Sockets;
using Amazon.Runtime;
using AmiRotator.Reporting;
using Polly;
using Polly.Retry;

namespace AmiRotator.Ec2;

/// <summary>
/// Sends every EC2 API call of one Region, each page of a listing on its own, and retries it on throttling, 5xx and
/// lost connections, with exponential backoff and full jitter, for as long as the Lambda deadline allows.
/// <para>
/// Why our own retries (Polly.Core) and not the SDK's: Standard and Adaptive modes both keep one retry quota per
/// client; under a throttling storm it runs dry and every call then fails at once with "capacity could not be
/// obtained", which ended whole passes in seconds. EC2 throttles per account and Region and shares its buckets with
/// every other tool there [ec2/latest/devguide/ec2-api-throttling]: a backup tool has to wait the storm out, within
/// its own deadline, and a throttled read is retried like any other call. The SDK's retries are switched off
/// (<see cref="Ec2ClientFactory"/>) so that a call is never retried twice over.
/// </para>
/// </summary>
internal sealed class Ec2Calls
{
    /// <summary>First retry after about this long (full jitter: anything up to it), doubling up to <see cref="MaxDelay"/>.</summary>
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);

    private static readonly ResiliencePropertyKey<string> ActionKey = new("ec2-action");

    // [ec2/latest/devguide/ec2-api-throttling] "RequestLimitExceeded"; the others are the SDKs' common throttling codes.
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "RequestLimitExceeded", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
        "RequestThrottledException", "TooManyRequestsException", "SlowDown", "EC2ThrottledException", "PriorRequestNotComplete",
    };

    // [errors-overview] server errors: "InternalError", "ServiceUnavailable", "Unavailable".
    private static readonly HashSet<string> ServerCodes = new(StringComparer.Ordinal) { "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable" };

    private readonly ResiliencePipeline pipeline;

    public Ec2Calls(string region, TimeSpan deadlineMargin, TimeProvider clock, Log log)
    {
        Region = region;
        pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                // Bounded by the deadline, not by a count: a retry is worth it while the pass could still use the answer.
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = BaseDelay,
                MaxDelay = MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)
                    && !DeadlineNear(Ec2CallContext.TimeLeft(), deadlineMargin)),
                OnRetry = args =>
                {
                    var e = args.Outcome.Exception!;
                    var throttled = IsThrottling(e);
                    Ec2CallContext.Current?.Count(throttled);
                    log.Warn("EC2 call retried",
                        ("action", args.Context.Properties.GetValue(ActionKey, "?")),
                        ("region", Region),
                        ("attempt", args.AttemptNumber + 1),
                        ("errorCode", Code(e)),
                        ("delayMs", (long)args.RetryDelay.TotalMilliseconds));
                    return default;
                },
            })
            .Build();
    }

    public string Region { get; }

    /// <summary>Runs <paramref name="call"/> (one EC2 API request) with retries; <paramref name="action"/> names it in the log.</summary>
    /// <summary>
    /// A listing, one page per call: each page goes through <see cref="SendAsync{T}"/> on its own, so a throttled fifth
    /// page is retried as the fifth page, not by reading the whole listing again.
    /// </summary>
    public async IAsyncEnumerable<TItem> Pages<TRequest, TResponse, TItem>(
        string action,
        TRequest request,
        Func<TRequest, CancellationToken, Task<TResponse>> send,
        Func<TResponse, List<TItem>?> items,
        Func<TResponse, string?> nextToken,
        Action<TRequest, string> setNextToken,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var response = await SendAsync(action, c => send(request, c), ct).ConfigureAwait(false);
            foreach (var item in items(response) ?? [])
            {
                yield return item;
            }

            var next = nextToken(response);
            if (string.IsNullOrEmpty(next))
            {
                yield break;
            }

            // A token handed out twice would loop until the deadline; an endpoint that does that has a bug we name.
            if (!seen.Add(next))
            {
                throw new InvalidOperationException($"{action} in {Region} returned the same NextToken twice; the listing cannot be completed.");
            }

            setNextToken(request, next);
        }
    }

    public async Task<T> SendAsync<T>(string action, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(ActionKey, action);
        try
        {
            return await pipeline.ExecuteAsync(static async (ctx, send) => await send(ctx.CancellationToken).ConfigureAwait(false), context, call).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Retrying stops once a longest backoff would end inside the deadline safety margin: by then no new mutation may
    /// start anyway (<see cref="Execution.Executor"/>), and the invocation must answer before Lambda ends it.
    /// </summary>
    public static bool DeadlineNear(TimeSpan timeLeft, TimeSpan deadlineMargin) => timeLeft - MaxDelay <= deadlineMargin;

    /// <summary>
    /// A call that failed only because its retries ran out of time: throttling or 5xx, with the deadline near. It is
    /// work left for the next pass, not a failure of the item (a fault that is not transient is a failure).
    /// </summary>
    public static bool GaveUpAtDeadline(Exception e, TimeSpan timeLeft, TimeSpan deadlineMargin, CancellationToken ct) =>
        IsTransient(e, ct) && DeadlineNear(timeLeft, deadlineMargin);

    /// <summary>Throttling, a server error, or a call that never got its answer (reset, timeout): worth another try.</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        OperationCanceledException when ct.IsCancellationRequested => false, // our own deadline, not EC2's answer
        AmazonServiceException s when s.ErrorCode is { } code && (ThrottlingCodes.Contains(code) || ServerCodes.Contains(code)) => true,
        AmazonServiceException s when (int)s.StatusCode >= 500 => true,
        AmazonServiceException s when s.ErrorCode is null && s.InnerException is { } inner => IsNetwork(inner),
        AmazonServiceException => false,
        _ => IsNetwork(e),
    };

    public static bool IsThrottling(Exception e) => e is AmazonServiceException { ErrorCode: { } code } && ThrottlingCodes.Contains(code);

    private static bool IsNetwork(Exception e) => e switch
    {
        HttpRequestException or IOException or SocketException or TimeoutException or TaskCanceledException => true,
        AmazonClientException { InnerException: { } inner } => IsNetwork(inner),
        _ => e.InnerException is { } inner && IsNetwork(inner),
    };

    private static string Code(Exception e) => e is AmazonServiceException { ErrorCode: { } code } ? code : e.GetType().Name;
}

/// <summary>
/// The invocation an EC2 call belongs to: how long it has left (retries stop before the Lambda deadline) and what
/// it saw (throttled and retried calls, for the ThrottledCalls and RetriedCalls metrics). It flows with the
/// invocation's async context, so concurrent invocations in tests never mix.
/// </summary>
internal sealed class Ec2CallContext(Func<TimeSpan> timeLeft)
{
    private static readonly AsyncLocal<Ec2CallContext?> CurrentContext = new();
    private readonly Func<TimeSpan> remaining = timeLeft;
    private int throttled;
    private int retried;

    public static Ec2CallContext? Current => CurrentContext.Value;

    public int ThrottledCalls => Volatile.Read(ref throttled);

    public int RetriedCalls => Volatile.Read(ref retried);

    /// <summary>Outside an invocation (tests, tools) there is no deadline.</summary>
    public static TimeSpan TimeLeft() => CurrentContext.Value?.remaining() ?? TimeSpan.MaxValue;

    public static Ec2CallContext Begin(Func<TimeSpan> timeLeft)
    {
        var context = new Ec2CallContext(timeLeft);
        CurrentContext.Value = context;
        return context;
    }

    public void Count(bool throttling)
    {
        Interlocked.Increment(ref retried);
        if (throttling)
        {
            Interlocked.Increment(ref throttled);
        }
    }
}

/// <summary>A read retried until the deadline neared: the pass ends before changing anything, and asks for another delivery.</summary>
internal sealed class DeadlineNearException(string message) : Exception(message);
