using System.Net;
using System.Text.Json;
using Xunit;

namespace AmiRotator.Tests.Lambda;

/// <summary>The fake itself, spoken to with raw HTTP: it must answer as Lambda's Runtime API does, or the other tests prove nothing.</summary>
public sealed class FakeRuntimeApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeRuntimeApi fake = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        http.Dispose();
        await fake.DisposeAsync();
    }

    [Fact]
    public async Task Next_WhenEventIsQueued_Answers200WithTheFourInvocationHeaders()
    {
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000);
        var id = await fake.EnqueueAsync("{\"a\":1}"u8.ToArray(), deadline, traceId: "Root=1-00000000-000000000000000000000000");

        using var response = await http.GetAsync(Url("invocation/next"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(id, Header(response, FakeRuntimeApi.RequestIdHeader));
        Assert.Equal("1795000000000", Header(response, FakeRuntimeApi.DeadlineHeader));
        Assert.Equal(FakeRuntimeApi.DefaultFunctionArn, Header(response, FakeRuntimeApi.FunctionArnHeader));
        Assert.Equal("Root=1-00000000-000000000000000000000000", Header(response, FakeRuntimeApi.TraceIdHeader));
        Assert.Equal("{\"a\":1}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Response_WhenPostedTwice_AcceptsTheFirstAndAnswers400ToTheSecond()
    {
        var id = await NextAsync();

        using var first = await http.PostAsync(Url($"invocation/{id}/response"), new ByteArrayContent("1"u8.ToArray()));
        using var second = await http.PostAsync(Url($"invocation/{id}/response"), new ByteArrayContent("2"u8.ToArray()));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.BadRequest), (first.StatusCode, second.StatusCode));
        Assert.Equal("1", (await fake.WaitForResultAsync(id, Wait)).BodyText);
        using var error = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("InvalidRequestID", error.RootElement.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task Response_WhenLargerThanSixMegabytes_Answers413AndRecordsAFunctionError()
    {
        var id = await NextAsync();

        using var response = await http.PostAsync(Url($"invocation/{id}/response"), new ByteArrayContent(new byte[FakeRuntimeApi.MaxResponseBytes + 1]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(InvocationResultKind.Error, (await fake.WaitForResultAsync(id, Wait)).Kind);
    }

    [Fact]
    public async Task InitError_AfterTheFirstNext_Answers403()
    {
        await NextAsync();

        using var response = await http.PostAsync(Url("init/error"), new ByteArrayContent("{}"u8.ToArray()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(fake.InitErrorPosted);
    }

    [Fact]
    public async Task UnknownPath_Answers404()
    {
        using var response = await http.GetAsync(Url("invocation/previous"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task WaitForResultAsync_WhenNothingIsPosted_TimesOutListingTheCallsSeen()
    {
        var id = await NextAsync();

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => fake.WaitForResultAsync(id, TimeSpan.FromMilliseconds(200)));

        Assert.Contains("GET /2018-06-01/runtime/invocation/next → 200", timeout.Message, StringComparison.Ordinal);
    }

    private async Task<string> NextAsync()
    {
        await fake.EnqueueAsync("{}");
        using var response = await http.GetAsync(Url("invocation/next"));
        return Header(response, FakeRuntimeApi.RequestIdHeader)!;
    }

    private Uri Url(string path) => new($"http://{fake.Address}/2018-06-01/runtime/{path}");

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}
