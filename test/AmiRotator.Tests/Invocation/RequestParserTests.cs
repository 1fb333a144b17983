using Xunit;
using System.Text;
using AmiRotator.Invocation;

namespace AmiRotator.Tests.Invocation;

public sealed class RequestParserTests
{
    private static Request Parse(string json) => RequestParser.Parse(Encoding.UTF8.GetBytes(json));

    private static InvalidRequestException Refused(byte[] payload) =>
        Assert.Throws<InvalidRequestException>(() => RequestParser.Parse(payload));

    private static InvalidRequestException Refused(string payload) => Refused(Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Parse_WhenClassicScheduledEvent_RunsAtItsTime()
    {
        var request = Parse("""{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-26T03:00:00Z","region":"us-east-1","resources":[],"detail":{}}""");
        Assert.Equal(RequestKind.Run, request.Kind);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero), request.ScheduledTime);
        Assert.False(request.DryRun);
    }

    [Fact]
    public void Parse_WhenScheduledEventCarriesDryRun_HonoursIt()
    {
        var request = Parse("""{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-26T03:00:00Z","dryRun":true}""");
        Assert.Equal(RequestKind.Run, request.Kind);
        Assert.True(request.DryRun);
    }

    [Fact]
    public void Parse_WhenSchedulerInput_UsesScheduledTime()
    {
        var request = Parse("""{"action":"run","scheduledTime":"2026-11-26T03:00:00+01:00"}""");
        Assert.Equal(RequestKind.Run, request.Kind);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 2, 0, 0, TimeSpan.Zero), request.ScheduledTime);
    }

    [Theory]
    [InlineData("run", "Run")]
    [InlineData("copy", "Copy")]
    [InlineData("prune", "Prune")]
    [InlineData("report", "Report")]
    public void Parse_WhenManualAction_ReturnsItsKind(string action, string expected)
    {
        var kind = Enum.Parse<RequestKind>(expected);
        var request = Parse($$"""{"action":"{{action}}","dryRun":true}""");
        Assert.Equal(kind, request.Kind);
        Assert.True(request.DryRun);
        Assert.Null(request.InstanceIds);
    }

    [Fact]
    public void Parse_WhenPreflight_IsAlwaysADryRun()
    {
        var request = Parse("""{"action":"preflight"}""");

        Assert.Equal(RequestKind.Preflight, request.Kind);
        Assert.True(request.DryRun);
    }

    [Theory]
    [InlineData("""{"action":"preflight","dryRun":false}""", "dryRun")]
    [InlineData("""{"action":"preflight","instanceIds":["i-0123456789abcdef0"]}""", "instanceIds")]
    [InlineData("""{"action":"preflight","scheduledTime":"2026-11-26T03:00:00Z"}""", "scheduledTime")]
    public void Parse_WhenPreflightCarriesAnotherField_IsRefusedNamingIt(string payload, string field)
    {
        var error = Refused(payload);

        Assert.Equal("InvalidField", error.ErrorType);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("changes nothing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenBackupWithIds_KeepsThemOnceInOrder()
    {
        var request = Parse("""{"action":"backup","instanceIds":["i-0123456789abcdef0","i-01234567","i-0123456789abcdef0"]}""");
        Assert.Equal(RequestKind.Backup, request.Kind);
        Assert.Equal(["i-0123456789abcdef0", "i-01234567"], request.InstanceIds);
    }

    [Fact]
    public void Parse_WhenAmiStateChange_ReadsDetail()
    {
        var request = Parse("""{"detail-type":"EC2 AMI State Change","source":"aws.ec2","region":"us-east-1","detail":{"RequestId":"r","ImageId":"ami-0123456789abcdef0","State":"failed","ErrorMessage":"boom"}}""");
        Assert.Equal(RequestKind.ImageStateChange, request.Kind);
        Assert.Equal(new ImageStateChange("ami-0123456789abcdef0", "failed", "us-east-1", "boom"), request.ImageEvent);
    }

    [Theory]
    [InlineData("", "InvalidPayload", "empty")]
    [InlineData("   \n", "InvalidPayload", "empty")]
    [InlineData("null", "InvalidPayload", "JSON null")]
    [InlineData("[1,2]", "InvalidPayload", "JSON array")]
    [InlineData("42", "InvalidPayload", "JSON number")]
    [InlineData("\"run\"", "InvalidPayload", "JSON string")]
    [InlineData("{\"action\":", "InvalidPayload", "not valid JSON")]
    [InlineData("not json", "InvalidPayload", "not valid JSON")]
    [InlineData("{}", "InvalidPayload", "neither 'action' nor 'source'")]
    [InlineData("{\"action\":\"explode\"}", "UnknownAction", "accepted actions: run, backup, copy, prune, report, preflight")]
    [InlineData("{\"action\":7}", "UnknownAction", "Unknown action number")]
    [InlineData("{\"action\":\"run\",\"dryrun\":true}", "InvalidField", "Unknown field 'dryrun'")]
    [InlineData("{\"action\":\"backup\"}", "InvalidField", "needs 'instanceIds'")]
    [InlineData("{\"action\":\"backup\",\"instanceIds\":\"i-0123456789abcdef0\"}", "InvalidInstanceIds", "must be a JSON array")]
    [InlineData("{\"action\":\"backup\",\"instanceIds\":[]}", "InvalidInstanceIds", "has 0 entries")]
    [InlineData("{\"action\":\"backup\",\"instanceIds\":[42]}", "InvalidInstanceIds", "holds a JSON number")]
    [InlineData("{\"action\":\"backup\",\"instanceIds\":[\"i-XYZ\"]}", "InvalidInstanceIds", "'i-XYZ' is not an instance id")]
    [InlineData("{\"action\":\"backup\",\"instanceIds\":[\"ami-0123456789abcdef0\"]}", "InvalidInstanceIds", "is not an instance id")]
    [InlineData("{\"action\":\"run\",\"dryRun\":\"yes\"}", "InvalidField", "'dryRun' must be true or false")]
    [InlineData("{\"action\":\"run\",\"dryRun\":1}", "InvalidField", "'dryRun' must be true or false")]
    [InlineData("{\"action\":\"run\",\"scheduledTime\":\"tomorrow\"}", "InvalidField", "is not an ISO 8601 time")]
    [InlineData("{\"action\":\"prune\",\"scheduledTime\":\"2026-11-26T03:00:00Z\"}", "InvalidField", "only with action 'run'")]
    [InlineData("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"time\":\"26/11/2026\"}", "InvalidScheduledEvent", "is not an ISO 8601 time")]
    [InlineData("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\"}", "InvalidScheduledEvent", "has no 'time'")]
    [InlineData("{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 AMI State Change\",\"detail\":{\"State\":\"available\"}}", "InvalidImageEvent", "no valid detail.ImageId")]
    [InlineData("{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 AMI State Change\"}", "InvalidImageEvent", "no 'detail' object")]
    [InlineData("{\"source\":\"aws.s3\",\"detail-type\":\"Object Created\"}", "UnsupportedEvent", "are not handled")]
    [InlineData("{\"action\":\"prune\",\"dryRun\":true,\"dryRun\":false}", "InvalidPayload", "not valid JSON")]
    [InlineData("{\"action\":\"report\",\"action\":\"prune\"}", "InvalidPayload", "not valid JSON")]
    [InlineData("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"time\":\"2026-11-26T03:00:00Z\",\"action\":\"prune\"}", "InvalidField", "takes no 'action'")]
    [InlineData("{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"time\":\"2026-11-26T03:00:00Z\",\"dryRun\":\"yes\"}", "InvalidField", "'dryRun' must be true or false")]
    public void Parse_WhenBadInput_RefusesWithTypeAndMessage(string payload, string errorType, string messageFragment)
    {
        var error = Refused(payload);
        Assert.Equal(errorType, error.ErrorType);
        Assert.Contains(messageFragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenInvalidUtf8_Refuses()
    {
        var error = Refused([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        Assert.Equal("InvalidPayload", error.ErrorType);
    }

    [Fact]
    public void Parse_WhenOverLambdaPayloadLimit_Refuses()
    {
        var big = "{\"action\":\"run\",\"pad\":\"" + new string('x', RequestParser.MaxPayloadBytes) + "\"}";
        var error = Refused(big);
        Assert.Equal("PayloadTooLarge", error.ErrorType);
        Assert.Contains("at most 262144", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenNestedThousandsDeep_RefusesWithoutStackOverflow()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        Assert.Equal("InvalidPayload", Refused("{\"action\":" + deep + "}").ErrorType);
        Assert.Equal("InvalidPayload", Refused(deep).ErrorType);
    }

    [Fact]
    public void Parse_WhenMoreThanThousandIds_Refuses()
    {
        var ids = string.Join(",", Enumerable.Range(0, 1001).Select(i => $"\"i-{i:x8}\""));
        var error = Refused($$"""{"action":"backup","instanceIds":[{{ids}}]}""");
        Assert.Equal("InvalidInstanceIds", error.ErrorType);
        Assert.Contains("has 1001 entries", error.Message, StringComparison.Ordinal);
    }
}
