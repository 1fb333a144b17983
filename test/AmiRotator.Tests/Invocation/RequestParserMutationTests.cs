using System.Text;
using AmiRotator.Invocation;
using Xunit;

namespace AmiRotator.Tests.Invocation;

/// <summary>
/// The parser's edges that mutation testing found unguarded: exact size and count limits, fields of the wrong JSON
/// type (each must be refused as the caller's mistake, never escape as an InvalidOperationException that reads as a
/// bug in the function), the idempotency token's rules, and the messages that name what was wrong.
/// </summary>
public sealed class RequestParserMutationTests
{
    private const string ScheduledTime = "2026-11-26T03:00:00Z";

    private static Request Parse(string json) => RequestParser.Parse(Encoding.UTF8.GetBytes(json));

    private static InvalidRequestException Refused(string payload) =>
        Assert.Throws<InvalidRequestException>(() => Parse(payload));

    /// <summary>Pads <paramref name="json"/> (an object without its closing brace) with spaces to exactly <paramref name="bytes"/> bytes.</summary>
    private static string PaddedTo(string json, int bytes) => json + new string(' ', bytes - json.Length - 1) + "}";

    [Fact]
    public void Parse_WhenAPayloadIsExactlyLambdasAsyncLimit_AcceptsIt()
    {
        var payload = PaddedTo("""{"action":"report" """, RequestParser.MaxPayloadBytes);

        Assert.Equal(RequestKind.Report, Parse(payload).Kind);
    }

    [Fact]
    public void Parse_WhenABatchIsExactlySixMegabytes_AcceptsIt_AndOneByteMoreIsRefused()
    {
        var start = "{\"Records\":[" + BatchParserTests.Record("m-1", """{"source":"aws.ec2"}""") + "]";

        Assert.Single(Parse(PaddedTo(start, RequestParser.MaxBatchPayloadBytes)).Batch!);
        Assert.Equal("PayloadTooLarge", Refused(PaddedTo(start, RequestParser.MaxBatchPayloadBytes + 1)).ErrorType);
    }

    [Fact]
    public void Parse_WhenALargePayloadOnlyMentionsRecordsInside_RefusesItAsTooLarge()
    {
        // The cheap look at the head sees "Records", but the object is no batch: the 256 KB limit still holds.
        var payload = PaddedTo("""{"detail":{"Records":1},"action":"run" """, RequestParser.MaxPayloadBytes + 1);

        var error = Refused(payload);

        Assert.Equal("PayloadTooLarge", error.ErrorType);
        Assert.Contains($"The payload has {RequestParser.MaxPayloadBytes + 1} bytes; at most 262144", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenABatchHasExactlyTenThousandRecords_AcceptsIt_AndOneMoreIsRefused()
    {
        static string Records(int count) =>
            "{\"Records\":[" + string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"messageId":"m{{i}}","body":"x","eventSource":"aws:sqs"}""")) + "]}";

        Assert.Equal(RequestParser.MaxBatchRecords, Parse(Records(RequestParser.MaxBatchRecords)).Batch!.Count);
        Assert.Equal("InvalidBatch", Refused(Records(RequestParser.MaxBatchRecords + 1)).ErrorType);
    }

    [Theory]
    [InlineData("""{"messageId":"m-1","body":"{}","eventSource":7}""", "the record's eventSource is not aws:sqs")]
    [InlineData("""{"messageId":"m-1","body":"{}"}""", "the record's eventSource is not aws:sqs")]
    [InlineData("""{"messageId":"m-1","body":{"source":"aws.ec2"},"eventSource":"aws:sqs"}""", "the record has no body string")]
    [InlineData("""{"messageId":"m-1","eventSource":"aws:sqs"}""", "the record has no body string")]
    public void Parse_WhenARecordsEnvelopeHasAWrongType_KeepsItWithItsProblem(string record, string problem)
    {
        var request = Parse($$"""{"Records":[{{record}}]}""");

        Assert.Equal(problem, request.Batch!.Single().Problem);
    }

    [Fact]
    public void Parse_WhenARecordsBodyRepeatsAKey_KeepsItAsInvalidJson()
    {
        // As for a direct payload: with "last one wins", a duplicated State could turn a failed image into an available one.
        var body = """{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-0a1b2c3d4e5f67890","State":"failed","State":"available"}}""";

        var record = Parse(BatchParserTests.Batch(BatchParserTests.Record("m-1", body))).Batch!.Single();

        Assert.Null(record.Event);
        Assert.StartsWith("the body is not valid JSON", record.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenARecordsBodyIsNestedDeeperThanSixteen_KeepsItAsInvalidJson()
    {
        var deep = new string('[', 20) + new string(']', 20);
        var body = $$$"""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-0a1b2c3d4e5f67890","State":"available","x":{{{deep}}}}}""";

        var record = Parse(BatchParserTests.Batch(BatchParserTests.Record("m-1", body))).Batch!.Single();

        Assert.StartsWith("the body is not valid JSON", record.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"source":5,"detail-type":"Scheduled Event"}""", "source '5' and detail-type 'Scheduled Event'")]
    [InlineData("""{"source":"aws.events","detail-type":7,"time":"2026-11-26T03:00:00Z"}""", "source 'aws.events' and detail-type ''")]
    [InlineData("""{"source":"aws.events","detail-type":"Object Created","time":"2026-11-26T03:00:00Z"}""", "source 'aws.events' and detail-type 'Object Created'")]
    [InlineData("""{"source":"aws.s3","detail-type":"Scheduled Event","time":"2026-11-26T03:00:00Z"}""", "source 'aws.s3' and detail-type 'Scheduled Event'")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}""", "source 'aws.ec2' and detail-type 'EC2 Instance State-change Notification'")]
    [InlineData("""{"source":"aws.s3","detail-type":"EC2 AMI State Change","detail":{}}""", "source 'aws.s3' and detail-type 'EC2 AMI State Change'")]
    [InlineData("""{"source":"aws.s3"}""", "source 'aws.s3' and detail-type ''")]
    public void Parse_WhenAnEventIsNotOneWeHandle_RefusesItNamingSourceAndDetailType(string payload, string named)
    {
        var error = Refused(payload);

        Assert.Equal("UnsupportedEvent", error.ErrorType);
        Assert.Contains($"Events with {named} are not handled", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"source":"aws.events","detail-type":"Scheduled Event","time":1764126000}""", "InvalidScheduledEvent", "has no 'time'")]
    [InlineData("""{"source":"aws.events","detail-type":"Scheduled Event","time":"2026-11-26"}""", "InvalidScheduledEvent", "'time' value '2026-11-26' is not an ISO 8601 time")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":"ami-0a1b2c3d4e5f67890"}""", "InvalidImageEvent", "no 'detail' object")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":5,"State":"available"}}""", "InvalidImageEvent", "no valid detail.ImageId (got none)")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"State":"available"}}""", "InvalidImageEvent", "no valid detail.ImageId (got none); expected 'ami-'")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-bad","State":"available"}}""", "InvalidImageEvent", "no valid detail.ImageId (got 'ami-bad'); expected 'ami-' and 8 or 17 hex digits.")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-0a1b2c3d4e5f67890"}}""", "InvalidImageEvent", "no detail.State; expected available, failed, deregistered or disabled.")]
    [InlineData("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","detail":{"ImageId":"ami-0a1b2c3d4e5f67890","State":1}}""", "InvalidImageEvent", "no detail.State")]
    public void Parse_WhenAnEventsFieldIsMissingOrOfTheWrongType_RefusesItNamingTheField(string payload, string errorType, string message)
    {
        var error = Refused(payload);

        Assert.Equal(errorType, error.ErrorType);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenAnAmiEventsOptionalFieldsAreNotStrings_ReadsThemAsAbsent()
    {
        var request = Parse("""{"source":"aws.ec2","detail-type":"EC2 AMI State Change","region":1,"detail":{"ImageId":"ami-0a1b2c3d4e5f67890","State":"failed","ErrorMessage":2}}""");

        Assert.Equal(new ImageStateChange("ami-0a1b2c3d4e5f67890", "failed", null, null), request.ImageEvent);
    }

    [Fact]
    public void Parse_WhenEveryActionFieldIsGiven_AcceptsThemAll()
    {
        var request = Parse("""{"action":"run","instanceIds":["i-01234567"],"dryRun":false,"idempotencyToken":"change-4711"}""");

        Assert.Equal((RequestKind.Run, false, "change-4711"), (request.Kind, request.DryRun, request.IdempotencyToken));
        Assert.Equal(["i-01234567"], request.InstanceIds);
        Assert.Equal(NightPhase.Prune, Parse($$"""{"action":"run","scheduledTime":"{{ScheduledTime}}","phase":"prune","failuresSoFar":0}""").Phase);
    }

    [Fact]
    public void Parse_WhenAFieldIsUnknown_ListsEveryAcceptedField()
    {
        var error = Refused("""{"action":"run","dry_run":true}""");

        Assert.EndsWith("Unknown field 'dry_run'; accepted fields: action, instanceIds, dryRun, scheduledTime, idempotencyToken, phase, failuresSoFar.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenAFieldNameIsEightyCharacters_ShowsItWhole_AndCutsALongerOne()
    {
        var eighty = new string('x', 80);
        var longer = new string('y', 81);

        Assert.Contains($"Unknown field '{eighty}';", Refused($$"""{"action":"run","{{eighty}}":1}""").Message, StringComparison.Ordinal);
        Assert.Contains($"Unknown field '{longer[..80]}…';", Refused($$"""{"action":"run","{{longer}}":1}""").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenTheActionIsUnknown_NamesIt()
    {
        Assert.StartsWith("Unknown action 'explode'; accepted actions:", Refused("""{"action":"explode"}""").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"action":"run","scheduledTime":1764126000}""", "'scheduledTime' must be an ISO 8601 UTC time string")]
    [InlineData("""{"action":"run","scheduledTime":"tomorrow"}""", "'scheduledTime' value 'tomorrow' is not an ISO 8601 time")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26"}""", "'scheduledTime' value '2026-11-26' is not an ISO 8601 time")]
    [InlineData("""{"action":"run","dryRun":{}}""", "'dryRun' must be true or false, not a JSON object.")]
    [InlineData("""{"action":"run","dryRun":null}""", "'dryRun' must be true or false, not a JSON null.")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":1}""", "'phase' must be \"backup\", \"copy\" or \"prune\", not 1.")]
    public void Parse_WhenAnActionFieldIsMalformed_RefusesItNamingTheField(string payload, string message)
    {
        var error = Refused(payload);

        Assert.Equal("InvalidField", error.ErrorType);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"action":"backup","instanceIds":true}""", "not a JSON boolean.")]
    [InlineData("""{"action":"backup","instanceIds":{}}""", "not a JSON object.")]
    [InlineData("""{"action":"backup","instanceIds":[null]}""", "holds a JSON null;")]
    public void Parse_WhenInstanceIdsHaveTheWrongType_SaysWhichTypeCame(string payload, string message)
    {
        var error = Refused(payload);

        Assert.Equal("InvalidInstanceIds", error.ErrorType);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenThePayloadIsABoolean_SaysSo()
    {
        Assert.Contains("The payload is a JSON boolean, not an object", Refused("true").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenDryRunIsFalse_RunsForReal()
    {
        Assert.False(Parse("""{"action":"prune","dryRun":false}""").DryRun);
    }

    [Fact]
    public void Parse_WhenExactlyAThousandInstanceIds_AcceptsThemAll()
    {
        var ids = string.Join(",", Enumerable.Range(0, RequestParser.MaxInstanceIds).Select(i => $"\"i-{i:x8}\""));

        Assert.Equal(RequestParser.MaxInstanceIds, Parse($$"""{"action":"backup","instanceIds":[{{ids}}]}""").InstanceIds!.Count);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("backup")]
    public void Parse_WhenAnIdempotencyTokenComesWithRunOrBackup_KeepsIt(string action)
    {
        var token = "A-z.0_9:/@-" + new string('t', 53);
        var request = Parse($$"""{"action":"{{action}}","instanceIds":["i-01234567"],"idempotencyToken":"{{token}}"}""");

        Assert.Equal(64, token.Length);
        Assert.Equal(token, request.IdempotencyToken);
    }

    [Theory]
    [InlineData("""{"action":"copy","idempotencyToken":"change-4711"}""", "accepted only with action 'run'")]
    [InlineData("""{"action":"drill","idempotencyToken":"change-4711"}""", "accepted only with action 'run'")]
    [InlineData("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","idempotencyToken":"change-4711"}""", "a scheduled run is identified by its time")]
    [InlineData("""{"action":"run","idempotencyToken":4711}""", "must be a string of 1-64 letters")]
    [InlineData("""{"action":"run","idempotencyToken":""}""", "must be a string of 1-64 letters")]
    [InlineData("""{"action":"run","idempotencyToken":"change 4711"}""", "must be a string of 1-64 letters, digits and . _ : / @ -, such as \"change-4711\"")]
    [InlineData("""{"action":"run","idempotencyToken":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", "must be a string of 1-64 letters")]
    public void Parse_WhenAnIdempotencyTokenIsMisused_RefusesIt(string payload, string message)
    {
        var error = Refused(payload);

        Assert.Equal("InvalidField", error.ErrorType);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
