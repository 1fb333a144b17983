using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit;

namespace AmiRotator.Tests.Lambda;

/// <summary>
/// The real native <c>bootstrap</c> against the fake Runtime API: init errors, refused payloads and the loop that keeps
/// serving. EC2 points at an unreachable endpoint, so these events must be settled without any EC2 call.
/// The binary comes from <c>AMIROTATOR_BOOTSTRAP</c> (set by <c>make test</c>) or <c>.build/bootstrap/bootstrap</c>.
/// </summary>
public sealed class BootstrapEndToEndTests
{
    public const string BootstrapVariable = "AMIROTATOR_BOOTSTRAP";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    // An image event from another Region is answered from the payload alone: a success path that needs no EC2.
    private const string ForeignImageEvent =
        """{"version":"0","detail-type":"EC2 AMI State Change","source":"aws.ec2","account":"123456789012","time":"2026-11-26T03:14:27Z","region":"eu-west-1","resources":[],"detail":{"RequestId":"5b8e7d6c","ImageId":"ami-0a1b2c3d4e5f67890","State":"available","ErrorMessage":""}}""";

    private static readonly Dictionary<string, string> GoodSettings = new()
    {
        ["DR_REGION"] = "us-west-2",
        ["RETENTION"] = "keep-daily=7,keep-weekly=4",
        ["BACKUP_TAG"] = "Backup=true",
    };

    [Theory]
    [InlineData("RETENTION", "keep-dayly=7")]
    [InlineData("DR_REGION", "us-east-1")]
    [InlineData("RETENTION_TIMEZONE", "Mars/Olympus_Mons")]
    public async Task Init_WhenASettingIsInvalid_PostsInvalidSettingsNamingItAndExitsNonZero(string name, string value)
    {
        await using var fake = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(fake, new() { [name] = value });

        var error = await fake.WaitForInitErrorAsync(Wait);
        var exitCode = await bootstrap.WaitForExitAsync(Wait);

        Assert.Equal("InvalidSettings", error.ErrorTypeHeader);
        Assert.Equal("InvalidSettings", error.ErrorType);
        Assert.Contains(name, error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(value, error.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(error.StackTrace);
        Assert.NotEqual(0, exitCode);
        Assert.Equal(0, fake.NextCallCount);
        Assert.Contains(bootstrap.LogLines(), l => Message(l) == "init failed");
    }

    [Theory]
    [InlineData("[1,2]", "InvalidPayload", "array")]
    [InlineData("not json", "InvalidPayload", "not valid JSON")]
    [InlineData("""{"action":"explode"}""", "UnknownAction", "explode")]
    [InlineData("""{"action":"run","dryrun":true}""", "InvalidField", "dryrun")]
    [InlineData("", "InvalidPayload", "empty")]
    public async Task Invoke_WhenPayloadIsRefused_PostsItsErrorTypeAndKeepsServing(string payload, string errorType, string messagePart)
    {
        await using var fake = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(fake, GoodSettings);

        var refused = await fake.EnqueueAsync(payload);
        var next = await fake.EnqueueAsync(ForeignImageEvent);

        var error = (await fake.WaitForResultAsync(refused, Wait)).Error;
        Assert.Equal((errorType, errorType), (error.ErrorTypeHeader, error.ErrorType));
        Assert.Contains(messagePart, error.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(error.StackTrace);
        AssertForeignImageEventAnswered(await fake.WaitForResultAsync(next, Wait));
        await fake.WaitForNextCallsAsync(3, Wait);
        Assert.False(bootstrap.HasExited);

        var lines = await bootstrap.StopAndReadLogAsync();
        Assert.Contains(lines, l => Message(l) == "initialised");
        Assert.Contains(lines, l => Message(l) == "invocation failed" && l.GetProperty("requestId").GetString() == refused && l.GetProperty("errorType").GetString() == errorType);
    }

    [Fact]
    public async Task Invoke_WhenSeveralBadEventsPrecedeAGoodOne_AnswersEachInTurn()
    {
        await using var fake = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(fake, GoodSettings);

        string[] ids =
        [
            await fake.EnqueueAsync("[1,2]"),
            await fake.EnqueueAsync("not json"),
            await fake.EnqueueAsync("""{"action":"explode"}"""),
            await fake.EnqueueAsync(ForeignImageEvent),
        ];

        var results = new List<InvocationResult>();
        foreach (var id in ids)
        {
            results.Add(await fake.WaitForResultAsync(id, Wait));
        }

        Assert.Equal(["InvalidPayload", "InvalidPayload", "UnknownAction"], results.Take(3).Select(r => r.Error.ErrorType));
        AssertForeignImageEventAnswered(results[3]);
        await bootstrap.StopAndReadLogAsync();
    }

    [Fact]
    public async Task Invoke_WhenFunctionArnHasNoAccount_RefusesWithUnknownAccount()
    {
        await using var fake = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(fake, GoodSettings);

        var id = await fake.EnqueueAsync(ForeignImageEvent, functionArn: "arn:aws:lambda:us-east-1:function:ami-rotator");

        var error = (await fake.WaitForResultAsync(id, Wait)).Error;
        Assert.Equal(("UnknownAccount", "UnknownAccount"), (error.ErrorTypeHeader, error.ErrorType));
        await bootstrap.StopAndReadLogAsync();
    }

    [Fact]
    public async Task Next_WhenTheEventComesSecondsAfterTheRuntimeAsked_IsStillAnswered()
    {
        // Lambda may hold the next GET for as long as it has no event (and freeze the process meanwhile), so the
        // bootstrap's HTTP client must not time it out.
        await using var fake = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(fake, GoodSettings);
        await fake.WaitForNextCallsAsync(1, Wait);
        await Task.Delay(TimeSpan.FromSeconds(3));

        var id = await fake.EnqueueAsync(ForeignImageEvent);

        AssertForeignImageEventAnswered(await fake.WaitForResultAsync(id, Wait));
        Assert.Equal(2, (await bootstrap.StopAndReadLogAsync(expectNextCalls: 2, fake)).Count(l => Message(l) is "initialised" or "summary"));
    }

    [Fact]
    public async Task Next_WhenRuntimeApiAnswers500_ExitsNonZero()
    {
        await using var fake = new FakeRuntimeApi();
        fake.FailNextWith500();
        await using var bootstrap = BootstrapProcess.Start(fake, GoodSettings);

        Assert.NotEqual(0, await bootstrap.WaitForExitAsync(Wait));
        Assert.Equal(1, fake.NextCallCount);
        Assert.Contains(bootstrap.LogLines(), l => Message(l) == "runtime API failure; exiting");
    }

    [Fact]
    public async Task Init_WhenTheMachineHasNoZoneFiles_ResolvesRetentionTimeZoneAndAnswers()
    {
        // provided.al2023 may ship without tzdata; an empty TZDIR is where .NET on Linux would then look for zones.
        var noZoneFiles = Directory.CreateTempSubdirectory("amirotator-no-tzdata-");
        try
        {
            var lines = await AssertInitialisesAndAnswersAsync(new(GoodSettings)
            {
                ["TZDIR"] = noZoneFiles.FullName,
                ["RETENTION_TIMEZONE"] = "Europe/Berlin",
            });

            var initialised = Assert.Single(lines, l => Message(l) == "initialised");
            Assert.Equal("Europe/Berlin", initialised.GetProperty("retentionTimeZone").GetString());
            Assert.Empty(noZoneFiles.EnumerateFileSystemInfos());
        }
        finally
        {
            noZoneFiles.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Init_WhenRegionsAreNewerThanTheSdk_BuildsClientsAndAnswers()
    {
        var lines = await AssertInitialisesAndAnswersAsync(new(GoodSettings)
        {
            ["AWS_REGION"] = "ap-future-9",
            ["DR_REGION"] = "ap-future-8",
        });

        var initialised = Assert.Single(lines, l => Message(l) == "initialised");
        Assert.Equal("ap-future-9", initialised.GetProperty("region").GetString());
        Assert.Equal("ap-future-8", initialised.GetProperty("drRegion").GetString());
    }

    /// <summary>Starts the bootstrap, fails with its init error if it posts one, and answers one event without EC2.</summary>
    private static async Task<List<JsonElement>> AssertInitialisesAndAnswersAsync(Dictionary<string, string> settings)
    {
        await using var fake = new FakeRuntimeApi();
        await using var bootstrap = BootstrapProcess.Start(fake, settings);

        var initError = fake.WaitForInitErrorAsync(Wait);
        var ready = fake.WaitForNextCallsAsync(1, Wait);
        if (await Task.WhenAny(initError, ready) == initError && initError.IsCompletedSuccessfully)
        {
            Assert.Fail($"init failed with {initError.Result.ErrorType}: {initError.Result.ErrorMessage}");
        }

        await ready;
        var id = await fake.EnqueueAsync(ForeignImageEvent);
        AssertForeignImageEventAnswered(await fake.WaitForResultAsync(id, Wait));
        var lines = await bootstrap.StopAndReadLogAsync(expectNextCalls: 2, fake);

        Assert.False(fake.InitErrorPosted);
        Assert.Contains(lines, l => Message(l) == "initialised");
        Assert.DoesNotContain(lines, l => Message(l) == "init failed");
        return lines;
    }

    private static void AssertForeignImageEventAnswered(InvocationResult result)
    {
        Assert.True(result.Kind == InvocationResultKind.Response, $"expected a response, got {result.Kind} {result.ErrorTypeHeader}: {result.BodyText}");
        using var summary = JsonDocument.Parse(result.Body);
        Assert.Equal("image-state-change", summary.RootElement.GetProperty("action").GetString());
        var skip = Assert.Single(summary.RootElement.GetProperty("skipped").EnumerateArray());
        Assert.Equal("ami-0a1b2c3d4e5f67890", skip.GetProperty("subject").GetString());
        Assert.Contains("eu-west-1", skip.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    private static string? Message(JsonElement line) =>
        line.TryGetProperty("message", out var m) ? m.GetString() : null;
}
