using System.Text.Json;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>The function, what invokes it, where its failures go, and what watches it.</summary>
public sealed class FunctionResourceTests
{
    private static SamTemplate Template => SamTemplate.Current;

    private static Dictionary<string, object?> Properties => Template.FunctionProperties;

    [Fact]
    public void Function_WhenBuilt_UsesTheMakefileNativeBootstrapOnProvidedAl2023()
    {
        Assert.Equal("AWS::Serverless::Function", SamTemplate.Text(Template.Function, "Type"));
        Assert.Equal("makefile", SamTemplate.Text(SamTemplate.Map(Template.Function, "Metadata"), "BuildMethod"));
        Assert.Equal(".", SamTemplate.Text(Properties, "CodeUri"));
        Assert.Equal("provided.al2023", SamTemplate.Text(Properties, "Runtime"));
        Assert.Equal("bootstrap", SamTemplate.Text(Properties, "Handler"));
    }

    [Fact]
    public void Function_WhenSized_Uses256MbOrLessAndAtLeastFiveMinutes()
    {
        Assert.InRange(int.Parse(SamTemplate.Text(Properties, "MemorySize")!, System.Globalization.CultureInfo.InvariantCulture), 128, 256);
        Assert.InRange(int.Parse(SamTemplate.Text(Properties, "Timeout")!, System.Globalization.CultureInfo.InvariantCulture), 300, 900);
    }

    [Fact]
    public void Function_WhenLogging_WritesJsonLines()
    {
        Assert.Equal("JSON", SamTemplate.Text(SamTemplate.Map(Properties, "LoggingConfig"), "LogFormat"));
    }

    [Fact]
    public void Function_WhenDeployed_TakesItsArchitectureFromTheParameter()
    {
        var architectures = SamTemplate.List(Properties, "Architectures");

        Assert.Single(architectures);
        Assert.True(SamTemplate.References(architectures[0], "Architecture"));
    }

    [Fact]
    public void Function_WhenRunsOverlap_HasNoReservedConcurrencyOrFixedName()
    {
        Assert.False(Properties.ContainsKey("ReservedConcurrentExecutions"));
        Assert.False(Properties.ContainsKey("FunctionName"));
    }

    [Fact]
    public void Function_WhenAnAsyncInvocationKeepsFailing_SendsTheEventToAQueue()
    {
        var config = SamTemplate.Map(Properties, "EventInvokeConfig");
        var onFailure = SamTemplate.Map(SamTemplate.Map(config, "DestinationConfig"), "OnFailure");

        Assert.InRange(int.Parse(SamTemplate.Text(config, "MaximumRetryAttempts")!, System.Globalization.CultureInfo.InvariantCulture), 0, 2);
        Assert.Equal("SQS", SamTemplate.Text(onFailure, "Type"));
        Assert.Equal("AWS::SQS::Queue", QueueTypeOf(onFailure["Destination"]));
    }

    [Fact]
    public void Schedule_WhenItFires_InvokesTheFunctionWithTheScheduledTime()
    {
        var schedule = SingleEvent("ScheduleV2");

        var input = JsonDocument.Parse(SamTemplate.Text(schedule, "Input")!).RootElement;
        Assert.Equal("run", input.GetProperty("action").GetString());
        Assert.Equal("<aws.scheduler.scheduled-time>", input.GetProperty("scheduledTime").GetString());
    }

    [Fact]
    public void Schedule_WhenConfigured_TakesExpressionAndTimezoneFromParameters()
    {
        var schedule = SingleEvent("ScheduleV2");

        Assert.True(SamTemplate.References(schedule["ScheduleExpression"], "ScheduleExpression"));
        Assert.True(SamTemplate.References(schedule["ScheduleExpressionTimezone"], "ScheduleTimezone"));
        Assert.Equal("true", SamTemplate.Text(schedule, "OmitName"));
    }

    [Fact]
    public void Schedule_WhenDeliveryFails_RetriesThenDeadLettersToAQueue()
    {
        var schedule = SingleEvent("ScheduleV2");

        var window = SamTemplate.Map(schedule, "FlexibleTimeWindow");
        Assert.Equal("FLEXIBLE", SamTemplate.Text(window, "Mode"));
        Assert.NotNull(SamTemplate.Text(window, "MaximumWindowInMinutes"));
        var retry = SamTemplate.Map(schedule, "RetryPolicy");
        Assert.NotNull(SamTemplate.Text(retry, "MaximumRetryAttempts"));
        Assert.NotNull(SamTemplate.Text(retry, "MaximumEventAgeInSeconds"));
        Assert.Equal("AWS::SQS::Queue", QueueTypeOf(SamTemplate.Map(schedule, "DeadLetterConfig")["Arn"]));
    }

    [Fact]
    public void AmiStateChangeRule_WhenAnImageBecomesAvailableOrFails_InvokesTheFunction()
    {
        var rule = SingleEvent("EventBridgeRule");
        var pattern = SamTemplate.Map(rule, "Pattern");

        Assert.Equal(["aws.ec2"], SamTemplate.List(pattern, "source"));
        Assert.Equal(["EC2 AMI State Change"], SamTemplate.List(pattern, "detail-type"));
        Assert.Equal(["available", "failed"], SamTemplate.List(SamTemplate.Map(pattern, "detail"), "State").Cast<string>().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AmiStateChangeRule_WhenDeliveryFails_DeadLettersToAQueueThatAllowsOnlyThisRule()
    {
        var eventName = Template.FunctionEvents.Single(e => EventType(e.Value) == "EventBridgeRule").Key;
        var rule = SingleEvent("EventBridgeRule");
        var queue = SamTemplate.Map(rule, "DeadLetterConfig")["Arn"];

        Assert.Equal("AWS::SQS::Queue", QueueTypeOf(queue));
        var policy = Template.ResourcesOfType("AWS::SQS::QueuePolicy").Single();
        // SAM names the generated rule <FunctionId><EventName>.
        Assert.True(ContainsGetAtt(policy.Value, SamTemplate.FunctionId + eventName), "The queue policy does not name the AMI state change rule.");
    }

    [Fact]
    public void Alarms_WhenTheFunctionErrs_AlarmOnLambdaErrors()
    {
        var alarm = AlarmOn("AWS/Lambda", "Errors");

        AssertWatchesFunction(alarm);
    }

    [Fact]
    public void Alarms_WhenAPassReportsFailures_AlarmOnAmiRotatorFailures()
    {
        var alarm = AlarmOn("AmiRotator", "Failures");

        AssertWatchesFunction(alarm);
    }

    [Theory]
    [InlineData("ImageFailed")]
    [InlineData("RetireBudgetExceeded")]
    public void Alarms_WhenTheFunctionEmitsAWarningMetric_AlarmOnIt(string metric) =>
        AssertWatchesFunction(AlarmOn("AmiRotator", metric));

    [Fact]
    public void Alarms_WhenNoDataArrives_StayQuietAndNotifyOnlyWhenAnEmailIsSet()
    {
        var alarms = Template.ResourcesOfType("AWS::CloudWatch::Alarm").ToList();
        Assert.NotEmpty(alarms);

        foreach (var (id, body) in alarms)
        {
            var properties = SamTemplate.Map((Dictionary<string, object?>)body!, "Properties");
            Assert.Equal("notBreaching", SamTemplate.Text(properties, "TreatMissingData"));
            var actions = SamTemplate.Map(properties, "AlarmActions");
            var ifArgs = Assert.IsType<List<object?>>(actions["Fn::If"]);
            Assert.Equal("HasAlarmEmail", ifArgs[0]);
            Assert.True(SamTemplate.IsNoValue(ifArgs[2]), $"{id} notifies even without an e-mail.");
        }
    }

    [Fact]
    public void AlarmTopic_WhenNoEmailIsGiven_IsNotCreated()
    {
        Assert.True(SamTemplate.References(Template.Conditions["HasAlarmEmail"], "AlarmEmail"));
        foreach (var type in new[] { "AWS::SNS::Topic", "AWS::SNS::Subscription" })
        {
            var (_, body) = Template.ResourcesOfType(type).Single();
            Assert.Equal("HasAlarmEmail", SamTemplate.Text((Dictionary<string, object?>)body!, "Condition"));
        }
    }

    [Theory]
    [InlineData("FunctionName")]
    [InlineData("FunctionArn")]
    [InlineData("ScheduleName")]
    [InlineData("ScheduleArn")]
    [InlineData("ErrorsAlarmName")]
    [InlineData("FailuresAlarmName")]
    public void Outputs_WhenDeployed_IncludeWhatOperatorsNeed(string output) =>
        Assert.True(Template.Outputs.ContainsKey(output), $"Output {output} is missing.");

    [Fact]
    public void Outputs_WhenNamingTheSchedule_PointAtTheGeneratedScheduleResource()
    {
        var eventName = Template.FunctionEvents.Single(e => EventType(e.Value) == "ScheduleV2").Key;
        var scheduleId = SamTemplate.FunctionId + eventName;

        Assert.True(SamTemplate.References(SamTemplate.Map(Template.Outputs, "ScheduleName")["Value"], scheduleId));
        Assert.True(ContainsGetAtt(SamTemplate.Map(Template.Outputs, "ScheduleArn")["Value"], scheduleId));
    }

    private static Dictionary<string, object?> SingleEvent(string type)
    {
        var matches = Template.FunctionEvents.Where(e => EventType(e.Value) == type).ToList();
        Assert.Single(matches);
        return SamTemplate.Map((Dictionary<string, object?>)matches[0].Value!, "Properties");
    }

    private static string? EventType(object? eventBody) =>
        SamTemplate.Text((Dictionary<string, object?>)eventBody!, "Type");

    private static Dictionary<string, object?> AlarmOn(string ns, string metric)
    {
        var matches = Template.ResourcesOfType("AWS::CloudWatch::Alarm")
            .Select(a => SamTemplate.Map((Dictionary<string, object?>)a.Value!, "Properties"))
            .Where(p => SamTemplate.Text(p, "Namespace") == ns && SamTemplate.Text(p, "MetricName") == metric)
            .ToList();
        Assert.True(matches.Count == 1, $"Expected one alarm on {ns}/{metric}, found {matches.Count}.");
        return matches[0];
    }

    private static void AssertWatchesFunction(Dictionary<string, object?> alarm)
    {
        var dimension = Assert.IsType<Dictionary<string, object?>>(Assert.Single(SamTemplate.List(alarm, "Dimensions")));
        Assert.Equal("FunctionName", SamTemplate.Text(dimension, "Name"));
        Assert.True(SamTemplate.References(dimension["Value"], SamTemplate.FunctionId));
        Assert.Equal("1", SamTemplate.Text(alarm, "Threshold"));
        Assert.Equal("GreaterThanOrEqualToThreshold", SamTemplate.Text(alarm, "ComparisonOperator"));
        var period = int.Parse(SamTemplate.Text(alarm, "Period")!, System.Globalization.CultureInfo.InvariantCulture);
        var periods = int.Parse(SamTemplate.Text(alarm, "EvaluationPeriods")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(period * periods, 3600 * 12, 86400);
    }

    private static string? QueueTypeOf(object? arn)
    {
        var getAtt = Assert.IsType<List<object?>>(Assert.IsType<Dictionary<string, object?>>(arn)["Fn::GetAtt"]);
        Assert.Equal("Arn", getAtt[1]);
        return SamTemplate.Text(SamTemplate.Map(Template.Resources, (string)getAtt[0]!), "Type");
    }

    private static bool ContainsGetAtt(object? node, string resourceId) => node switch
    {
        Dictionary<string, object?> map => map.Any(e =>
            (e.Key == "Fn::GetAtt" && e.Value is List<object?> args && args[0] as string == resourceId) || ContainsGetAtt(e.Value, resourceId)),
        List<object?> list => list.Any(item => ContainsGetAtt(item, resourceId)),
        _ => false,
    };
}
