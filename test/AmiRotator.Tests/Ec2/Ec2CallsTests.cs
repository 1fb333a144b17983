using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Amazon.EC2;
using Amazon.Runtime;
using AmiRotator.Ec2;
using AmiRotator.Reporting;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AmiRotator.Tests.Ec2;

/// <summary>
/// The retries every EC2 call gets: on throttling, 5xx and lost connections, with backoff and jitter, for as long as
/// the deadline allows and never for an error that another try cannot fix. Time is a fake clock, advanced by the test.
/// </summary>
public sealed class Ec2CallsTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero));
    private readonly StringWriter output = new();

    [Fact]
    public async Task Send_WhenThrottledTwice_RetriesWithBackoff_LogsEachRetry_AndCountsThem()
    {
        var context = Ec2CallContext.Begin(() => TimeSpan.FromMinutes(15));
        var attempts = 0;

        var result = await RunAsync(Calls().SendAsync("DescribeImages", _ => ++attempts <= 2 ? throw Ec2Error("RequestLimitExceeded", HttpStatusCode.ServiceUnavailable) : Task.FromResult(42), CancellationToken.None));

        Assert.Equal(42, result);
        Assert.Equal(3, attempts);
        Assert.Equal((2, 2), (context.ThrottledCalls, context.RetriedCalls));
        var retries = LogLines().Where(l => l.GetProperty("message").GetString() == "EC2 call retried").ToList();
        Assert.Equal([1, 2], retries.Select(r => r.GetProperty("attempt").GetInt32()));
        Assert.All(retries, r =>
        {
            Assert.Equal("DescribeImages", r.GetProperty("action").GetString());
            Assert.Equal("us-east-1", r.GetProperty("region").GetString());
            Assert.Equal("RequestLimitExceeded", r.GetProperty("errorCode").GetString());
            Assert.Equal("WARN", r.GetProperty("level").GetString());
        });
        // Exponential with jitter: each delay at most base × 2^(attempt) and never above the cap.
        Assert.InRange(retries[0].GetProperty("delayMs").GetInt64(), 0, 2 * (long)Ec2Calls.BaseDelay.TotalMilliseconds);
        Assert.InRange(retries[1].GetProperty("delayMs").GetInt64(), 0, 4 * (long)Ec2Calls.BaseDelay.TotalMilliseconds);
    }

    [Fact]
    public async Task Send_WhenThrottledAHundredTimesInARow_KeepsTryingUntilItWorks()
    {
        // The SDK's adaptive mode gave up after a few throttles ("capacity could not be obtained") and lost the night.
        var context = Ec2CallContext.Begin(() => TimeSpan.FromMinutes(15));
        var attempts = 0;

        var result = await RunAsync(Calls().SendAsync("DescribeInstances", _ => ++attempts <= 100 ? throw Ec2Error("RequestLimitExceeded", HttpStatusCode.ServiceUnavailable) : Task.FromResult("ok"), CancellationToken.None));

        Assert.Equal("ok", result);
        Assert.Equal(100, context.ThrottledCalls);
        Assert.All(LogLines().Select(l => l.GetProperty("delayMs").GetInt64()), d => Assert.InRange(d, 0, (long)Ec2Calls.MaxDelay.TotalMilliseconds));
    }

    [Theory]
    [InlineData("InternalError", HttpStatusCode.InternalServerError)]
    [InlineData("Unavailable", HttpStatusCode.ServiceUnavailable)]
    [InlineData(null, HttpStatusCode.BadGateway)]
    public async Task Send_WhenEc2AnswersAServerError_RetriesIt_ButDoesNotCountItAsThrottling(string? code, HttpStatusCode status)
    {
        var context = Ec2CallContext.Begin(() => TimeSpan.FromMinutes(15));
        var attempts = 0;

        await RunAsync(Calls().SendAsync("CreateImage", _ => ++attempts == 1 ? throw Ec2Error(code, status) : Task.FromResult(1), CancellationToken.None));

        Assert.Equal(2, attempts);
        Assert.Equal((0, 1), (context.ThrottledCalls, context.RetriedCalls));
    }

    [Fact]
    public async Task Send_WhenTheConnectionDropsWithoutAnAnswer_RetriesIt()
    {
        Ec2CallContext.Begin(() => TimeSpan.FromMinutes(15));
        var attempts = 0;
        var errors = new Exception[]
        {
            new HttpRequestException("reset", new SocketException((int)SocketError.ConnectionReset)),
            new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
            new AmazonClientException("wrapped", new IOException("broken pipe")),
        };

        await RunAsync(Calls().SendAsync("CopyImage", _ => attempts < errors.Length ? throw errors[attempts++] : Task.FromResult(1), CancellationToken.None));

        Assert.Equal(3, attempts);
    }

    [Theory]
    [InlineData("UnauthorizedOperation", HttpStatusCode.Forbidden)]
    [InlineData("InvalidAMIName.Duplicate", HttpStatusCode.BadRequest)]
    [InlineData("InvalidParameterValue", HttpStatusCode.BadRequest)]
    public async Task Send_WhenTheErrorIsNotTransient_ThrowsItAtOnce(string code, HttpStatusCode status)
    {
        var context = Ec2CallContext.Begin(() => TimeSpan.FromMinutes(15));
        var attempts = 0;

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => RunAsync(Calls().SendAsync<int>("CreateImage", _ => { attempts++; throw Ec2Error(code, status); }, CancellationToken.None)));

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(1, attempts);
        Assert.Equal(0, context.RetriedCalls);
    }

    [Fact]
    public async Task Send_WhenTheDeadlineIsNear_StopsRetrying_AndSaysItGaveUpAtTheDeadline()
    {
        // Time left shrinks with the fake clock: retries go on until a longest backoff would end inside the margin.
        var deadline = clock.GetUtcNow() + Margin + Ec2Calls.MaxDelay + TimeSpan.FromSeconds(30);
        Ec2CallContext.Begin(() => deadline - clock.GetUtcNow());
        var attempts = 0;

        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => RunAsync(Calls().SendAsync<int>("DeregisterImage", _ => { attempts++; throw Ec2Error("RequestLimitExceeded", HttpStatusCode.ServiceUnavailable); }, CancellationToken.None)));

        Assert.True(attempts > 1, $"{attempts} attempts");
        Assert.True(deadline - clock.GetUtcNow() <= Margin + Ec2Calls.MaxDelay, "stopped while there was still time to retry");
        Assert.True(deadline - clock.GetUtcNow() > Margin, "retried into the safety margin");
        Assert.True(Ec2Calls.GaveUpAtDeadline(error, deadline - clock.GetUtcNow(), Margin, CancellationToken.None));
        Assert.False(Ec2Calls.GaveUpAtDeadline(error, TimeSpan.FromMinutes(10), Margin, CancellationToken.None));
    }

    [Fact]
    public async Task Send_WhenCancelled_DoesNotRetry()
    {
        Ec2CallContext.Begin(() => TimeSpan.FromMinutes(15));
        using var cancel = new CancellationTokenSource();
        var attempts = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(Calls().SendAsync<int>("DescribeImages", ct =>
        {
            attempts++;
            cancel.Cancel();
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(1);
        }, cancel.Token)));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public void IsThrottling_KnowsEc2sCode_AndNothingElse()
    {
        Assert.True(Ec2Calls.IsThrottling(Ec2Error("RequestLimitExceeded", HttpStatusCode.ServiceUnavailable)));
        Assert.False(Ec2Calls.IsThrottling(Ec2Error("InternalError", HttpStatusCode.InternalServerError)));
        Assert.False(Ec2Calls.IsThrottling(new HttpRequestException("reset")));
    }

    private Ec2Calls Calls() => new("us-east-1", Margin, clock, new Log(output, clock));

    private static AmazonEC2Exception Ec2Error(string? code, HttpStatusCode status) =>
        new($"{code ?? "no code"}", ErrorType.Receiver, code, "req-1", status);

    /// <summary>Runs a call whose backoff waits on the fake clock, advancing it a second at a time until it is done.</summary>
    private async Task<T> RunAsync<T>(Task<T> call)
    {
        for (var i = 0; !call.IsCompleted && i < 100_000; i++)
        {
            await Task.Yield();
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        return await call;
    }

    private List<JsonElement> LogLines() =>
        [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
