using System.Text;
using AmiRotator.Lambda;
using Xunit;

namespace AmiRotator.Tests.Lambda;

/// <summary>The runtime client against the Runtime API contract: what it reads from next, what it posts back.</summary>
public sealed class RuntimeApiClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeRuntimeApi fake = new();

    // As Program.cs builds it: the next GET blocks until Lambda has an event, so it must not time out.
    private readonly HttpClient http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        http.Dispose();
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task NextAsync_WhenEventIsQueued_ReturnsThePayloadBytesUnchanged()
    {
        // Not valid UTF-8 on purpose: the client must hand over bytes, not decode and re-encode text.
        byte[] payload = [0x7B, 0x22, 0xC3, 0xA9, 0xFF, 0x00, 0x0A, 0x7D];
        var id = await fake.EnqueueAsync(payload, DateTimeOffset.UtcNow.AddMinutes(1));

        var next = await Client().NextAsync(CancellationToken.None).WaitAsync(Wait);

        Assert.Equal(id, next.Context.RequestId);
        Assert.Equal(payload, next.Payload);
    }

    [Fact]
    public async Task NextAsync_WhenHeadersArePresent_FillsTheInvocationContext()
    {
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        const string trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
        const string arn = "arn:aws:lambda:eu-west-1:210987654321:function:ami-rotator:live";
        var id = await fake.EnqueueAsync("{}"u8.ToArray(), deadline, arn, trace, requestId: "8476a536-e9f4-11e8-9739-2dfe598c3fcd");

        var context = (await Client().NextAsync(CancellationToken.None).WaitAsync(Wait)).Context;

        Assert.Equal(new InvocationContext(id, deadline, arn, trace), context);
        Assert.Equal("210987654321", context.AccountId);
        Assert.Equal("ami-rotator", context.FunctionName);
    }

    [Fact]
    public async Task NextAsync_WhenEventArrivesSecondsLater_StillReturnsIt()
    {
        var next = Client().NextAsync(CancellationToken.None);
        await fake.WaitForNextCallsAsync(1, Wait);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(next.IsCompleted, "next must block until Lambda has an event");

        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));

        Assert.Equal(id, (await next.WaitAsync(Wait)).Context.RequestId);
    }

    [Fact]
    public async Task NextAsync_WhenApiAnswers500_ThrowsFatal()
    {
        fake.FailNextWith500();

        await Assert.ThrowsAsync<RuntimeApiFatalException>(() => Client().NextAsync(CancellationToken.None).WaitAsync(Wait));
    }

    [Fact]
    public async Task NextAsync_WhenCancelled_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var next = Client().NextAsync(cts.Token);
        await fake.WaitForNextCallsAsync(1, Wait);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(Wait));
    }

    [Fact]
    public async Task RespondAsync_WhenInvocationIsPending_PostsTheBodyBytesUnchanged()
    {
        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        var client = Client();
        await client.NextAsync(CancellationToken.None).WaitAsync(Wait);
        var body = Encoding.UTF8.GetBytes("""{"action":"run","created":["ami-0123456789abcdef0"],"note":"100 % ✓"}""");

        await client.RespondAsync(id, body, CancellationToken.None).WaitAsync(Wait);

        var result = await fake.WaitForResultAsync(id, Wait);
        Assert.Equal(InvocationResultKind.Response, result.Kind);
        Assert.Equal(body, result.Body);
        Assert.Null(result.ErrorTypeHeader);
    }

    [Fact]
    public async Task RespondAsync_WhenApiAnswers500_ThrowsFatal()
    {
        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        var client = Client();
        await client.NextAsync(CancellationToken.None).WaitAsync(Wait);
        fake.FailNextPostWith500();

        await Assert.ThrowsAsync<RuntimeApiFatalException>(() => client.RespondAsync(id, "{}"u8.ToArray(), CancellationToken.None).WaitAsync(Wait));
    }

    [Fact]
    public async Task RespondAsync_WhenRequestIdIsUnknown_RaisesRejectedNotFatal()
    {
        // Lambda answers 400 for an invocation it no longer waits for (e.g. one that timed out); the runtime
        // logs it and carries on with the next event rather than exiting.
        var error = await Assert.ThrowsAsync<RuntimeApiRejectedException>(() => Client().RespondAsync("no-such-request", "{}"u8.ToArray(), CancellationToken.None).WaitAsync(Wait));
        Assert.Contains("400", error.Message, StringComparison.Ordinal);

        Assert.Contains(fake.Calls, c => c.EndsWith("/invocation/no-such-request/response → 400", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReportErrorAsync_WhenInvocationIsPending_PostsTheErrorDocumentAndTypeHeader()
    {
        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        var client = Client();
        await client.NextAsync(CancellationToken.None).WaitAsync(Wait);

        await client.ReportErrorAsync(id, new ErrorPayload("payload is not an object", "InvalidPayload", []), CancellationToken.None).WaitAsync(Wait);

        var result = await fake.WaitForResultAsync(id, Wait);
        Assert.Equal(InvocationResultKind.Error, result.Kind);
        Assert.Equal("InvalidPayload", result.ErrorTypeHeader);
        Assert.Equal("""{"errorMessage":"payload is not an object","errorType":"InvalidPayload","stackTrace":[]}""", result.BodyText);
    }

    [Fact]
    public async Task ReportErrorAsync_WhenMessageHasQuotesAndNonAscii_PostsJsonThatReadsBackTheSame()
    {
        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        var client = Client();
        await client.NextAsync(CancellationToken.None).WaitAsync(Wait);
        const string message = "Unknown field 'dryrun'; accepted: \"dryRun\" <true|false> & … ✓\nsecond line";

        await client.ReportErrorAsync(id, new ErrorPayload(message, "InvalidField", ["at A", "at B"]), CancellationToken.None).WaitAsync(Wait);

        var error = (await fake.WaitForResultAsync(id, Wait)).Error;
        Assert.Equal(message, error.ErrorMessage);
        Assert.Equal("InvalidField", error.ErrorType);
        Assert.Equal(["at A", "at B"], error.StackTrace);
    }

    [Fact]
    public async Task ReportErrorAsync_WhenApiAnswers500_ThrowsFatal()
    {
        var id = await fake.EnqueueAsync("{}", TimeSpan.FromMinutes(1));
        var client = Client();
        await client.NextAsync(CancellationToken.None).WaitAsync(Wait);
        fake.FailNextPostWith500();

        await Assert.ThrowsAsync<RuntimeApiFatalException>(
            () => client.ReportErrorAsync(id, new ErrorPayload("m", "T", []), CancellationToken.None).WaitAsync(Wait));
    }

    [Fact]
    public async Task ReportInitErrorAsync_BeforeAnyNext_PostsTheErrorDocumentAndTypeHeader()
    {
        await Client().ReportInitErrorAsync(new ErrorPayload("RETENTION: bad", "InvalidSettings", []), CancellationToken.None).WaitAsync(Wait);

        var error = await fake.WaitForInitErrorAsync(Wait);
        Assert.Equal("InvalidSettings", error.ErrorTypeHeader);
        Assert.Equal("""{"errorMessage":"RETENTION: bad","errorType":"InvalidSettings","stackTrace":[]}""", error.BodyText);
    }

    [Fact]
    public async Task Context_WhenArnIsMissingOrMalformed_HasNoAccountOrFunctionName()
    {
        var bare = await fake.EnqueueAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow.AddMinutes(1), functionArn: null);
        var odd = await fake.EnqueueAsync("{}"u8.ToArray(), DateTimeOffset.UtcNow.AddMinutes(1), functionArn: "arn:aws:lambda:us-east-1:not-an-account:function:f");
        var client = Client();

        var first = (await client.NextAsync(CancellationToken.None).WaitAsync(Wait)).Context;
        await client.RespondAsync(bare, "{}"u8.ToArray(), CancellationToken.None).WaitAsync(Wait);
        var second = (await client.NextAsync(CancellationToken.None).WaitAsync(Wait)).Context;

        Assert.Equal((bare, null, null, null), (first.RequestId, first.FunctionArn, first.AccountId, first.FunctionName));
        Assert.Equal((odd, null, "f"), (second.RequestId, second.AccountId, second.FunctionName));
    }

    private RuntimeApiClient Client() => new(http, fake.Address);
}
