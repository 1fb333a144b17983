using System.Text;
using System.Text.Json;
using AmiRotator.Lambda;
using AmiRotator.Reporting;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Lambda;

/// <summary>
/// The runtime loop against the fake Runtime API: init once, then next → handle → response or error, and exit
/// when Lambda answers 500.
/// </summary>
public sealed class LambdaHostTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeRuntimeApi fake = new();
    private readonly HttpClient http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly StringWriter output = new();
    private readonly CancellationTokenSource stop = new();
    private Task<int>? host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        if (host is not null)
        {
            await host.WaitAsync(Wait);
        }

        stop.Dispose();
        http.Dispose();
        Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", null);
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task RunAsync_WhenHandlerAnswers_PostsItsBytesAsTheResponse()
    {
        byte[] answer = [.. "{\"created\":[\"ami-0123456789abcdef0\"],\"note\":\"é\"}"u8, 0x0A];
        Start(new Handler((_, _) => answer));

        var id = await fake.EnqueueAsync("{\"action\":\"run\"}", TimeSpan.FromMinutes(1));

        var result = await fake.WaitForResultAsync(id, Wait);
        Assert.Equal(InvocationResultKind.Response, result.Kind);
        Assert.Equal(answer, result.Body);
    }

    [Fact]
    public async Task RunAsync_WhenEventArrives_HandsThePayloadBytesToTheHandler()
    {
        byte[] payload = [.. "{\"action\":\"report\"}"u8, 0xFF, 0x00];
        var seen = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(new Handler((p, _) =>
        {
            seen.TrySetResult(p.ToArray());
            return "{}"u8.ToArray();
        }));

        await fake.EnqueueAsync(payload, DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.Equal(payload, await seen.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task RunAsync_WhenDeadlineHeaderIsSet_ContextDeadlineAndRemainingTimeFollowIt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero));
        var deadline = clock.GetUtcNow() + TimeSpan.FromMinutes(14.5);
        var seen = new TaskCompletionSource<InvocationContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(new Handler((_, context) =>
        {
            seen.TrySetResult(context);
            return "{}"u8.ToArray();
        }));

        await fake.EnqueueAsync("{}"u8.ToArray(), deadline);

        var context = await seen.Task.WaitAsync(Wait);
        Assert.Equal(deadline, context.Deadline);
        Assert.Equal(TimeSpan.FromMinutes(14.5), context.RemainingTime(clock));
        clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(TimeSpan.FromSeconds(-30), context.RemainingTime(clock));
    }

    [Fact]
    public async Task RunAsync_WhenFunctionArnIsQualified_ContextHasAccountAndUnqualifiedName()
    {
        var seen = new TaskCompletionSource<InvocationContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(new Handler((_, context) =>
        {
            seen.TrySetResult(context);
            return "{}"u8.ToArray();
        }));

        var id = await fake.EnqueueAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow.AddMinutes(1), "arn:aws:lambda:us-east-1:123456789012:function:ami-rotator:prod");

        var context = await seen.Task.WaitAsync(Wait);
        Assert.Equal((id, "123456789012", "ami-rotator"), (context.RequestId, context.AccountId, context.FunctionName));
    }

    [Fact]
    public async Task RunAsync_WhenEventHasTraceId_SetsXAmznTraceIdForTheInvocation()
    {
        const string trace = "Root=1-67891233-abcdef012345678912345678;Parent=0123456789abcdef;Sampled=1";
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(new Handler((_, _) =>
        {
            // The AWS SDK's X-Ray integration reads the trace from this variable, not from our context.
            seen.TrySetResult(Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID"));
            return "{}"u8.ToArray();
        }));

        await fake.EnqueueAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow.AddMinutes(1), traceId: trace);

        Assert.Equal(trace, await seen.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task RunAsync_WhenHandlerThrowsFunctionError_PostsItsTypeAndMessageWithoutStackTrace()
    {
        Start(new Handler((_, _) => throw new FunctionErrorException("UnknownAction", "Unknown action 'explode'; accepted actions: run, backup, copy, prune, report.")));

        var id = await fake.EnqueueAsync("{\"action\":\"explode\"}", TimeSpan.FromMinutes(1));

        var result = await fake.WaitForResultAsync(id, Wait);
        Assert.Equal(InvocationResultKind.Error, result.Kind);
        Assert.Equal("UnknownAction", result.ErrorTypeHeader);
        Assert.Equal(
            """{"errorMessage":"Unknown action 'explode'; accepted actions: run, backup, copy, prune, report.","errorType":"UnknownAction","stackTrace":[]}""",
            result.BodyText);
        Assert.Equal("Unknown action 'explode'; accepted actions: run, backup, copy, prune, report.", result.Error.ErrorMessage);
    }

    [Fact]
    public async Task RunAsync_WhenHandlerThrowsAnotherException_PostsTheExceptionTypeAndStackTrace()
    {
        Start(new Handler((_, _) => throw new InvalidOperationException("the planner found a cycle")));

        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));

        var result = await fake.WaitForResultAsync(id, Wait);
        Assert.Equal(InvocationResultKind.Error, result.Kind);
        Assert.Equal("InvalidOperationException", result.ErrorTypeHeader);
        var error = result.Error;
        Assert.Equal(("InvalidOperationException", "the planner found a cycle"), (error.ErrorType, error.ErrorMessage));
        Assert.NotEmpty(error.StackTrace);
        Assert.All(error.StackTrace, line => Assert.Equal(line.Trim(), line));
    }

    [Fact]
    public async Task RunAsync_WhenHandlerFails_LogsTheErrorWithTheRequestId()
    {
        Start(new Handler((_, _) => throw new FunctionErrorException("InvalidPayload", "not an object")));

        var id = await fake.EnqueueAsync("[1,2]", TimeSpan.FromMinutes(1));
        await fake.WaitForResultAsync(id, Wait);
        await StopAsync();

        var line = Assert.Single(LogLines(), l => l.GetProperty(Log.MessageKey).GetString() == "invocation failed");
        Assert.Equal("ERROR", line.GetProperty(Log.LevelKey).GetString());
        Assert.Equal(id, line.GetProperty(Log.RequestIdKey).GetString());
        Assert.Equal("InvalidPayload", line.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task RunAsync_WhenAnEventFails_KeepsServingTheNextOnes()
    {
        Start(new Handler((payload, _) => Encoding.UTF8.GetString(payload.Span) == "good"
            ? "\"done\""u8.ToArray()
            : throw new FunctionErrorException("InvalidPayload", "bad event")));

        var bad = await fake.EnqueueAsync("bad", TimeSpan.FromMinutes(1));
        var good = await fake.EnqueueAsync("good", TimeSpan.FromMinutes(1));
        var alsoBad = await fake.EnqueueAsync("bad", TimeSpan.FromMinutes(1));
        var alsoGood = await fake.EnqueueAsync("good", TimeSpan.FromMinutes(1));

        Assert.Equal(
            [(InvocationResultKind.Error, "InvalidPayload"), (InvocationResultKind.Response, null), (InvocationResultKind.Error, "InvalidPayload"), (InvocationResultKind.Response, null)],
            await Task.WhenAll(new[] { bad, good, alsoBad, alsoGood }.Select(async id =>
            {
                var r = await fake.WaitForResultAsync(id, Wait);
                return (r.Kind, r.ErrorTypeHeader);
            })));
        await fake.WaitForNextCallsAsync(5, Wait);
        Assert.False(host!.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_WhenInitThrows_PostsInitErrorAndReturns1WithoutCallingNext()
    {
        var exit = await RunToExitAsync(() => throw new FunctionErrorException("InvalidSettings", "DR_REGION 'us-east-1' equals the function's Region"));

        Assert.Equal(1, exit);
        var error = await fake.WaitForInitErrorAsync(Wait);
        Assert.Equal("InvalidSettings", error.ErrorTypeHeader);
        Assert.Equal("""{"errorMessage":"DR_REGION 'us-east-1' equals the function's Region","errorType":"InvalidSettings","stackTrace":[]}""", error.BodyText);
        Assert.Equal(0, fake.NextCallCount);
        Assert.Contains(LogLines(), l => l.GetProperty(Log.MessageKey).GetString() == "init failed" && l.GetProperty("errorType").GetString() == "InvalidSettings");
    }

    [Fact]
    public async Task RunAsync_WhenInitThrowsAndInitErrorPostAnswers500_StillReturns1()
    {
        fake.FailNextPostWith500();

        var exit = await RunToExitAsync(() => throw new InvalidOperationException("boom"));

        Assert.Equal(1, exit);
        Assert.False(fake.InitErrorPosted);
        Assert.Equal(0, fake.NextCallCount);
    }

    [Fact]
    public async Task RunAsync_WhenNextAnswers500_Returns1WithoutRetrying()
    {
        var handled = 0;
        fake.FailNextWith500();

        var exit = await RunToExitAsync(() => new Handler((_, _) =>
        {
            Interlocked.Increment(ref handled);
            return "{}"u8.ToArray();
        }));

        Assert.Equal(1, exit);
        Assert.Equal(1, fake.NextCallCount);
        Assert.Equal(0, handled);
        Assert.Contains(LogLines(), l => l.GetProperty(Log.MessageKey).GetString() == "runtime API failure; exiting");
    }

    [Fact]
    public async Task RunAsync_WhenResponsePostAnswers500_Returns1()
    {
        fake.FailNextPostWith500();
        var first = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));

        var exit = await RunToExitAsync(() => new Handler((_, _) => "{}"u8.ToArray()));

        Assert.Equal(1, exit);
        Assert.Equal(1, fake.NextCallCount);
        Assert.Contains(fake.Calls, c => c.EndsWith($"/invocation/{first}/response → 500", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WhenErrorPostAnswers500_Returns1()
    {
        fake.FailNextPostWith500();
        await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));

        var exit = await RunToExitAsync(() => new Handler((_, _) => throw new FunctionErrorException("PassFailed", "1 failure(s)")));

        Assert.Equal(1, exit);
        Assert.Equal(1, fake.NextCallCount);
    }

    [Fact]
    public async Task RunAsync_WhenRuntimeApiIsUnreachable_Returns1()
    {
        string unreachable;
        await using (var gone = new FakeRuntimeApi())
        {
            unreachable = gone.Address;
        }

        var exit = await LambdaHost.RunAsync(new RuntimeApiClient(http, unreachable), () => new Handler((_, _) => []), NewLog(), stop.Token).WaitAsync(Wait);

        Assert.Equal(1, exit);
    }

    [Fact]
    public async Task RunAsync_WhenCancelledWhileWaitingForNext_Returns0()
    {
        Start(new Handler((_, _) => "{}"u8.ToArray()));
        await fake.WaitForNextCallsAsync(1, Wait);

        Assert.Equal(0, await StopAsync());
    }

    private void Start(Handler handler) =>
        host = Task.Run(() => LambdaHost.RunAsync(new RuntimeApiClient(http, fake.Address), () => handler, NewLog(), stop.Token));

    private async Task<int> RunToExitAsync(Func<IInvocationHandler> init)
    {
        host = Task.Run(() => LambdaHost.RunAsync(new RuntimeApiClient(http, fake.Address), init, NewLog(), stop.Token));
        return await host.WaitAsync(Wait);
    }

    private async Task<int> StopAsync()
    {
        await stop.CancelAsync();
        return await host!.WaitAsync(Wait);
    }

    private Log NewLog() => new(output, TimeProvider.System);

    // Read only once the host has stopped: Log serialises its own writes, not readers of the writer.
    private List<JsonElement> LogLines() =>
        [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>An <see cref="IInvocationHandler"/> made of a function; throwing from it fails the invocation.</summary>
    private sealed class Handler(Func<ReadOnlyMemory<byte>, InvocationContext, byte[]> handle) : IInvocationHandler
    {
        public Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken ct) =>
            Task.FromResult(handle(payload, context));
    }
}
