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
            // The recovery-point age alarms are the exception: a day without a measurement means nothing checked
            // the backups, which must alarm like a stale backup does.
            Assert.Equal(id is "RecoveryPointAgeAlarm" or "DrRecoveryPointAgeAlarm" ? "breaching" : "notBreaching", SamTemplate.Text(properties, "TreatMissingData"));
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
    [InlineData("NightLoopArn")]
    [InlineData("AmiEventQueueUrl")]
    public void Outputs_WhenDeployed_IncludeWhatOperatorsNeed(string output) =>
        Assert.True(Template.Outputs.ContainsKey(output), $"Output {output} is missing.");

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

    private static string? QueueTypeOf(object? arn) => Template.TypeOfArn(arn);

}
