using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>The sample payloads in events/ are well-formed and look like what AWS actually sends.</summary>
public sealed partial class EventFileTests
{
    private const string Account = "123456789012";

    private static readonly string[] ExpectedFiles =
    [
        "scheduled-event.json", "scheduler-run.json", "ami-available.json", "ami-failed.json",
        "run.json", "run-dry-run.json", "backup.json", "backup-dry-run.json",
        "copy.json", "prune.json", "prune-dry-run.json", "report.json", "preflight.json",
        "night.json", "sqs-batch.json", "drill.json",
    ];

    public static TheoryData<string> EventFiles() =>
        [.. Directory.GetFiles(RepositoryFiles.EventsDirectory, "*.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Fact]
    public void EventsDirectory_WhenListed_HasOneFileForEveryAcceptedPayload()
    {
        var present = Directory.GetFiles(RepositoryFiles.EventsDirectory, "*.json").Select(f => Path.GetFileName(f));

        Assert.Superset(ExpectedFiles.ToHashSet(StringComparer.Ordinal), present.ToHashSet(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(EventFiles))]
    public void EventFile_WhenParsed_IsAJsonObject(string file)
    {
        using var document = Read(file);

        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    [Theory]
    [MemberData(nameof(EventFiles))]
    public void EventFile_WhenItNamesAwsIds_UsesWellFormedFakeIds(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryFiles.EventsDirectory, file));

        Assert.All(AccountLike().Matches(text), m => Assert.Equal(Account, m.Value));
        Assert.All(ImageId().Matches(text), m => Assert.Matches("^ami-[0-9a-f]{17}$", m.Value));
        Assert.All(InstanceId().Matches(text), m => Assert.Matches("^i-[0-9a-f]{17}$", m.Value));
    }

    [Fact]
    public void ScheduledEvent_WhenRead_IsAClassicEventBridgeScheduledEvent()
    {
        using var document = Read("scheduled-event.json");
        var root = document.RootElement;

        Assert.Equal("Scheduled Event", root.GetProperty("detail-type").GetString());
        Assert.Equal("aws.events", root.GetProperty("source").GetString());
        Assert.Equal(Account, root.GetProperty("account").GetString());
        Assert.Equal("2026-11-26T03:00:00Z", root.GetProperty("time").GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("detail").ValueKind);
        foreach (var field in new[] { "version", "id", "region", "resources" })
        {
            Assert.True(root.TryGetProperty(field, out _), $"scheduled-event.json lacks {field}.");
        }
    }

    [Fact]
    public void Night_WhenRead_MatchesTheScheduleInputOfTheNightLoopWithTheTimeFilledIn()
    {
        using var document = Read("night.json");
        var loop = SamTemplate.Map(SamTemplate.Map(SamTemplate.Current.Resources, "NightLoop"), "Properties");
        var scheduleInput = SamTemplate.Map(SamTemplate.Map(loop, "Events"), "NightlyPass") is var schedule
            ? SamTemplate.Text(SamTemplate.Map(schedule, "Properties"), "Input")!
            : null!;

        var expected = scheduleInput.Replace("<aws.scheduler.scheduled-time>", "2026-11-26T03:00:00Z", StringComparison.Ordinal);
        Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(expected).RootElement), JsonSerializer.Serialize(document.RootElement));
    }

    [Fact]
    public void SchedulerRun_WhenRead_IsTheWholeNightInOneInvocation()
    {
        using var document = Read("scheduler-run.json");

        Assert.Equal("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z"}""", JsonSerializer.Serialize(document.RootElement));
    }

    [Fact]
    public void SqsBatch_WhenRead_HasTheRecordShapeLambdaDelivers_WithEventBridgeEventsAsBodies()
    {
        using var document = Read("sqs-batch.json");
        var records = document.RootElement.GetProperty("Records").EnumerateArray().ToList();

        Assert.Equal(2, records.Count);
        foreach (var record in records)
        {
            foreach (var field in new[] { "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion" })
            {
                Assert.True(record.TryGetProperty(field, out _), $"an SQS record lacks {field}");
            }

            Assert.Equal("aws:sqs", record.GetProperty("eventSource").GetString());
            using var body = JsonDocument.Parse(record.GetProperty("body").GetString()!);
            Assert.Equal("EC2 AMI State Change", body.RootElement.GetProperty("detail-type").GetString());
        }
    }

    [Theory]
    [InlineData("ami-available.json", "available")]
    [InlineData("ami-failed.json", "failed")]
    public void AmiStateChange_WhenRead_CarriesTheImageAndItsState(string file, string state)
    {
        using var document = Read(file);
        var root = document.RootElement;
        var detail = root.GetProperty("detail");

        Assert.Equal("EC2 AMI State Change", root.GetProperty("detail-type").GetString());
        Assert.Equal("aws.ec2", root.GetProperty("source").GetString());
        Assert.Equal(state, detail.GetProperty("State").GetString());
        Assert.Matches("^ami-[0-9a-f]{17}$", detail.GetProperty("ImageId").GetString());
        Assert.True(Guid.TryParse(detail.GetProperty("RequestId").GetString(), out _));
        Assert.Equal(JsonValueKind.String, detail.GetProperty("ErrorMessage").ValueKind);
        Assert.Equal(state == "failed", detail.GetProperty("ErrorMessage").GetString()!.Length > 0);
    }

    [Theory]
    [InlineData("run.json", "run", false)]
    [InlineData("run-dry-run.json", "run", true)]
    [InlineData("backup.json", "backup", false)]
    [InlineData("backup-dry-run.json", "backup", true)]
    [InlineData("copy.json", "copy", false)]
    [InlineData("prune.json", "prune", false)]
    [InlineData("prune-dry-run.json", "prune", true)]
    [InlineData("report.json", "report", false)]
    [InlineData("preflight.json", "preflight", false)]
    public void OnDemandPayload_WhenRead_NamesItsActionAndDryRunFlag(string file, string action, bool dryRun)
    {
        using var document = Read(file);
        var root = document.RootElement;

        Assert.Equal(action, root.GetProperty("action").GetString());
        Assert.Equal(dryRun, root.TryGetProperty("dryRun", out var flag) && flag.GetBoolean());
    }

    private static JsonDocument Read(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryFiles.EventsDirectory, file)));

    [GeneratedRegex(@"(?<![0-9])[0-9]{12}(?![0-9])")]
    private static partial Regex AccountLike();

    [GeneratedRegex(@"\bami-[0-9a-f]+\b")]
    private static partial Regex ImageId();

    [GeneratedRegex(@"\bi-[0-9a-f]+\b")]
    private static partial Regex InstanceId();
}
