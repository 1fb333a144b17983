using System.Text;
using System.Text.Json;
using AmiRotator.Invocation;
using Xunit;

namespace AmiRotator.Tests.Invocation;

/// <summary>
/// SQS batches in the shape Lambda's SQS event source delivers them [lambda/latest/dg/with-sqs, "Example Amazon SQS
/// message event"], with EventBridge's whole event as the body [eventbridge/latest/userguide/eb-targets], and the
/// night loop's phase fields.
/// </summary>
public sealed class BatchParserTests
{
    private const string AmiEvent = """{"version":"0","id":"e1","detail-type":"EC2 AMI State Change","source":"aws.ec2","account":"123456789012","time":"2026-11-26T03:14:27Z","region":"us-east-1","resources":["arn:aws:ec2:us-east-1::image/ami-0a1b2c3d4e5f67890"],"detail":{"RequestId":"r","ImageId":"ami-0a1b2c3d4e5f67890","State":"available","ErrorMessage":""}}""";

    /// <summary>One SQS record exactly as the Lambda Developer Guide shows it, with <paramref name="body"/> as its body.</summary>
    public static string Record(string messageId, string body, string eventSource = "aws:sqs") =>
        $$"""
        {"messageId":"{{messageId}}","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...","body":{{JsonSerializer.Serialize(body)}},
         "attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},
         "messageAttributes":{},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"{{eventSource}}",
         "eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:ami-events","awsRegion":"us-east-1"}
        """;

    public static string Batch(params string[] records) => $$"""{"Records":[{{string.Join(",", records)}}]}""";

    private static Request Parse(string json) => RequestParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_WhenAnSqsBatchOfAmiEvents_ReadsEachRecordsEvent()
    {
        var dr = AmiEvent.Replace("us-east-1", "us-west-2", StringComparison.Ordinal).Replace("available", "failed", StringComparison.Ordinal).Replace("\"ErrorMessage\":\"\"", "\"ErrorMessage\":\"KMS key disabled\"", StringComparison.Ordinal);

        var request = Parse(Batch(Record("m-1", AmiEvent), Record("m-2", dr)));

        Assert.Equal(RequestKind.ImageEventBatch, request.Kind);
        Assert.False(request.DryRun);
        Assert.Equal(["m-1", "m-2"], request.Batch!.Select(r => r.MessageId));
        Assert.Equal(new ImageStateChange("ami-0a1b2c3d4e5f67890", "available", "us-east-1", ""), request.Batch![0].Event);
        Assert.Equal(new ImageStateChange("ami-0a1b2c3d4e5f67890", "failed", "us-west-2", "KMS key disabled"), request.Batch[1].Event);
        Assert.All(request.Batch, r => Assert.Null(r.Problem));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("""{"action":"run"}""", "not an EventBridge event")]
    [InlineData("""{"source":"aws.events","detail-type":"Scheduled Event","time":"2026-11-26T03:00:00Z"}""", "not an EC2 AMI State Change event")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-bad","State":"available"}}""", "InvalidImageEvent")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-0a1b2c3d4e5f67890","State":"available"},"dryRun":true}""", "not an EC2 AMI State Change event")]
    public void Parse_WhenARecordCannotBeRead_KeepsItWithItsProblem_AndReadsTheOthers(string body, string problem)
    {
        var request = Parse(Batch(Record("bad", body), Record("good", AmiEvent)));

        var bad = request.Batch!.Single(r => r.MessageId == "bad");
        Assert.Null(bad.Event);
        Assert.Contains(problem, bad.Problem, StringComparison.Ordinal);
        Assert.NotNull(request.Batch!.Single(r => r.MessageId == "good").Event);
    }

    [Fact]
    public void Parse_WhenARecordIsNotFromSqs_KeepsItWithItsProblem()
    {
        var request = Parse(Batch(Record("m-1", AmiEvent, eventSource: "aws:kinesis")));

        Assert.Contains("eventSource", request.Batch!.Single().Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Records":[]}""", "1 to 10000")]
    [InlineData("""{"Records":{}}""", "must be an array")]
    [InlineData("""{"Records":[{"body":"{}","eventSource":"aws:sqs"}]}""", "no messageId")]
    [InlineData("""{"Records":[{"messageId":"","body":"{}","eventSource":"aws:sqs"}]}""", "no messageId")]
    [InlineData("""{"Records":[],"extra":1}""", "unknown field 'extra'")]
    public void Parse_WhenTheBatchItselfIsMalformed_RefusesItAsInvalidBatch(string payload, string message)
    {
        var error = Assert.Throws<InvalidRequestException>(() => Parse(payload));

        Assert.Equal("InvalidBatch", error.ErrorType);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenAMessageIdComesTwice_RefusesTheBatch()
    {
        var error = Assert.Throws<InvalidRequestException>(() => Parse(Batch(Record("m-1", AmiEvent), Record("m-1", AmiEvent))));

        Assert.Equal("InvalidBatch", error.ErrorType);
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenABatchIsLargerThanAnAsyncPayload_AcceptsItUpToSixMegabytes()
    {
        // 1,000 records of about 1 KB: over the 256 KB asynchronous limit, within the 6 MB synchronous one.
        var records = Enumerable.Range(0, 1000).Select(i => Record($"m-{i}", AmiEvent)).ToArray();
        var payload = Batch(records);
        Assert.True(payload.Length > RequestParser.MaxPayloadBytes);

        Assert.Equal(1000, Parse(payload).Batch!.Count);
    }

    [Fact]
    public void Parse_WhenANonBatchPayloadIsOver256Kilobytes_RefusesItAsTooLarge()
    {
        var error = Assert.Throws<InvalidRequestException>(() => Parse("{\"action\":\"run\",\"pad\":\"" + new string('x', RequestParser.MaxPayloadBytes) + "\",\"Records\":1}"));

        Assert.Equal("PayloadTooLarge", error.ErrorType);
    }

    [Theory]
    [InlineData("backup", "Backup")]
    [InlineData("copy", "Copy")]
    [InlineData("prune", "Prune")]
    public void Parse_WhenTheNightLoopSendsAPhase_ReadsItAndTheFailuresSoFar(string name, string phaseName)
    {
        var phase = Enum.Parse<NightPhase>(phaseName);
        var request = Parse($$"""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"{{name}}","failuresSoFar":2}""");

        Assert.Equal((RequestKind.Run, phase, 2), (request.Kind, request.Phase, request.FailuresSoFar));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero), request.ScheduledTime);
    }

    [Theory]
    [InlineData("""{"action":"run","phase":"backup"}""", "only with action 'run' and 'scheduledTime'")]
    [InlineData("""{"action":"copy","phase":"copy"}""", "only with action 'run' and 'scheduledTime'")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"backup","dryRun":true}""", "without 'dryRun'")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"backup","instanceIds":["i-0123456789abcdef0"]}""", "'instanceIds'")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"nap"}""", "\"backup\", \"copy\" or \"prune\"")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"copy","failuresSoFar":-1}""", "whole number of 0 or more")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"copy","failuresSoFar":"1"}""", "whole number of 0 or more")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","failuresSoFar":1}""", "only with 'phase'")]
    public void Parse_WhenPhaseFieldsAreMisused_RefusesThemAsInvalidField(string payload, string message)
    {
        var error = Assert.Throws<InvalidRequestException>(() => Parse(payload));

        Assert.Equal("InvalidField", error.ErrorType);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
