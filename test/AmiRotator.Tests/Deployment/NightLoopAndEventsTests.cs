using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiRotator.Execution;
using AmiRotator.Invocation;
using AmiRotator.Reporting;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// The engines the template declares for a fleet that outgrows one invocation: the night loop (Step Functions,
/// started by the schedule) and the AMI event queue (EventBridge to SQS to the function), checked against the
/// limits their documentation states.
/// </summary>
public sealed class NightLoopAndEventsTests
{
    private static SamTemplate Template => SamTemplate.Current;

    private static Dictionary<string, object?> Loop => SamTemplate.Map(SamTemplate.Map(Template.Resources, NightLoopDefinition.LogicalId), "Properties");

    private static Dictionary<string, object?> Schedule => SamTemplate.Map(SamTemplate.Map(SamTemplate.Map(Loop, "Events"), "NightlyPass"), "Properties");

    private static Dictionary<string, object?> Queue(string id) => SamTemplate.Map(SamTemplate.Map(Template.Resources, id), "Properties");

    private static Dictionary<string, object?> SqsEvent
    {
        get
        {
            var events = Template.FunctionEvents;
            var only = Assert.Single(events);
            var body = (Dictionary<string, object?>)only.Value!;
            Assert.Equal("SQS", SamTemplate.Text(body, "Type"));
            return SamTemplate.Map(body, "Properties");
        }
    }

    private static int Int(Dictionary<string, object?> map, string key) => int.Parse(SamTemplate.Text(map, key)!, CultureInfo.InvariantCulture);

    [Fact]
    public void Schedule_WhenItFires_StartsTheNightLoopAtTheBackupPhaseWithTheScheduledTime()
    {
        var input = JsonDocument.Parse(SamTemplate.Text(Schedule, "Input")!).RootElement;

        Assert.Equal("run", input.GetProperty("action").GetString());
        Assert.Equal("<aws.scheduler.scheduled-time>", input.GetProperty("scheduledTime").GetString());
        Assert.Equal("backup", input.GetProperty("phase").GetString());
        Assert.True(SamTemplate.References(Schedule["ScheduleExpression"], "ScheduleExpression"));
        Assert.True(SamTemplate.References(Schedule["ScheduleExpressionTimezone"], "ScheduleTimezone"));
        Assert.Equal("true", SamTemplate.Text(Schedule, "OmitName"));
    }

    [Fact]
    public void Schedule_WhenDeliveryFails_RetriesThenDeadLettersToAQueue()
    {
        var window = SamTemplate.Map(Schedule, "FlexibleTimeWindow");
        Assert.Equal("FLEXIBLE", SamTemplate.Text(window, "Mode"));
        var retry = SamTemplate.Map(Schedule, "RetryPolicy");
        Assert.NotNull(SamTemplate.Text(retry, "MaximumRetryAttempts"));
        Assert.Equal("AWS::SQS::Queue", Template.TypeOfArn(SamTemplate.Map(Schedule, "DeadLetterConfig")["Arn"]));
        Assert.DoesNotContain(Template.FunctionEvents, e => SamTemplate.Text((Dictionary<string, object?>)e.Value!, "Type") is "ScheduleV2" or "Schedule");
    }

    [Fact]
    public void Function_WhenFedByTheQueue_TakesBatchesWithPartialFailures_FromAtMostTwoPollers()
    {
        var sqs = SqsEvent;

        Assert.Equal("AmiEventQueue", ((List<object?>)((Dictionary<string, object?>)sqs["Queue"]!)["Fn::GetAtt"]!)[0]);
        Assert.Equal(["ReportBatchItemFailures"], SamTemplate.List(sqs, "FunctionResponseTypes"));
        var batch = Int(sqs, "BatchSize");
        var window = Int(sqs, "MaximumBatchingWindowInSeconds");
        // [Lambda API, MaximumBatchingWindowInSeconds] "when you set BatchSize to a value greater than 10, you must set
        // MaximumBatchingWindowInSeconds to at least 1"; a standard queue's batch holds at most 10,000.
        Assert.InRange(batch, 1, 10_000);
        Assert.True(batch <= 10 || window >= 1, $"BatchSize {batch} needs a batching window of at least 1 s");
        Assert.InRange(window, 0, 300);
        // [API_ScalingConfig] MaximumConcurrency: "Minimum value of 2. Maximum value of 1000."
        Assert.InRange(Int(SamTemplate.Map(sqs, "ScalingConfig"), "MaximumConcurrency"), 2, 1000);
        // A batch of records this size must fit Lambda's 6 MB synchronous payload (an AMI event record is about 1.2 KB).
        Assert.True(batch * 1_300 < RequestParser.MaxBatchPayloadBytes, $"a batch of {batch} records could pass 6 MB");
    }

    [Fact]
    public void CopyWriters_WhenSet_CountEveryInvocationThatMayCopyAtOnce()
    {
        // The queue's pollers, and the night loop (one execution at a time per night).
        var pollers = Int(SamTemplate.Map(SqsEvent, "ScalingConfig"), "MaximumConcurrency");
        var loops = Template.ResourcesOfType("AWS::Serverless::StateMachine").Count();

        Assert.Equal((pollers + loops).ToString(CultureInfo.InvariantCulture), SamTemplate.Text(Template.EnvironmentVariables, "COPY_WRITERS"));
        var minimum = Assert.IsType<string>(SamTemplate.Map(Template.Parameters, "MaxCopiesInFlight")["AllowedPattern"]);
        Assert.Matches(minimum, (pollers + loops).ToString(CultureInfo.InvariantCulture));
        Assert.DoesNotMatch(minimum, (pollers + loops - 1).ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void EventQueue_WhenARecordFails_ComesBackAfterTheFunctionCouldHaveRetried_ThenDeadLetters()
    {
        var queue = Queue("AmiEventQueue");
        var timeout = Int(Template.FunctionProperties, "Timeout");
        var window = Int(SqsEvent, "MaximumBatchingWindowInSeconds");

        // [lambda/latest/dg/with-sqs] "set your queue visibility timeout to six times your function timeout, plus the
        // value of MaximumBatchingWindowInSeconds"; "maxReceiveCount ... at least 5".
        Assert.True(Int(queue, "VisibilityTimeout") >= (6 * timeout) + window, $"VisibilityTimeout {Int(queue, "VisibilityTimeout")} < 6 x {timeout} + {window}");
        var redrive = SamTemplate.Map(queue, "RedrivePolicy");
        Assert.True(Int(redrive, "maxReceiveCount") >= 5);
        Assert.True(SamTemplate.ContainsGetAtt(redrive["deadLetterTargetArn"], "FailedInvocationQueue"));
    }

    [Fact]
    public void AmiStateChangeRule_WhenAnImageBecomesAvailableOrFails_QueuesTheEvent_WithoutARole()
    {
        var rule = Queue("AmiStateChangeRule");
        var pattern = SamTemplate.Map(rule, "EventPattern");
        var target = Assert.IsType<Dictionary<string, object?>>(Assert.Single(SamTemplate.List(rule, "Targets")));

        Assert.Equal(["aws.ec2"], SamTemplate.List(pattern, "source"));
        Assert.Equal(["EC2 AMI State Change"], SamTemplate.List(pattern, "detail-type"));
        Assert.Equal(["available", "failed"], SamTemplate.List(SamTemplate.Map(pattern, "detail"), "State").Cast<string>().Order(StringComparer.Ordinal));
        Assert.True(SamTemplate.ContainsGetAtt(target["Arn"], "AmiEventQueue"));
        // [eventbridge/latest/userguide/eb-targets] targets with resource-based policies take no RoleArn.
        Assert.False(target.ContainsKey("RoleArn"));
        Assert.True(SamTemplate.ContainsGetAtt(SamTemplate.Map(target, "DeadLetterConfig")["Arn"], "FailedInvocationQueue"));
    }

    [Theory]
    [InlineData("AmiEventQueuePolicy", "AmiEventQueue")]
    [InlineData("FailedInvocationQueuePolicy", "FailedInvocationQueue")]
    public void QueuePolicies_WhenEventBridgeSends_AllowOnlyTheAmiStateChangeRule(string policyId, string queueId)
    {
        var document = SamTemplate.Map(Queue(policyId), "PolicyDocument");
        var statement = Assert.IsType<Dictionary<string, object?>>(Assert.Single(SamTemplate.List(document, "Statement")));

        Assert.Equal("events.amazonaws.com", SamTemplate.Text(SamTemplate.Map(statement, "Principal"), "Service"));
        Assert.Equal("sqs:SendMessage", SamTemplate.Text(statement, "Action"));
        Assert.True(SamTemplate.ContainsGetAtt(statement["Resource"], queueId));
        Assert.True(SamTemplate.ContainsGetAtt(SamTemplate.Map(SamTemplate.Map(statement, "Condition"), "ArnEquals")["aws:SourceArn"], "AmiStateChangeRule"));
    }

    [Fact]
    public void NightLoop_WhenDefined_ReachesEveryStateAndNamesOnlyStatesThatExist()
    {
        var definition = NightLoopDefinition.Load();
        var states = NightLoopDefinition.States(definition);

        var targets = states.SelectMany(s => Targets((JsonObject)s.Value!)).ToList();
        Assert.All(targets, t => Assert.True(states.ContainsKey(t), $"a state names {t}, which does not exist"));
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([(string)definition["StartAt"]!]);
        while (queue.TryDequeue(out var name))
        {
            if (reachable.Add(name))
            {
                foreach (var next in Targets((JsonObject)states[name]!))
                {
                    queue.Enqueue(next);
                }
            }
        }

        Assert.Equal(states.Select(s => s.Key).Order(StringComparer.Ordinal), reachable.Order(StringComparer.Ordinal));
        Assert.Contains(states, s => (string)s.Value!["Type"]! == "Succeed");
    }

    [Fact]
    public void NightLoop_WhenItInvokesTheFunction_PassesItsInputOn_AndRetriesWhatTheFunctionAsksToRetry()
    {
        var task = NightLoopDefinition.States(NightLoopDefinition.Load()).Select(s => (JsonObject)s.Value!).Single(s => (string)s["Type"]! == "Task");

        Assert.Equal("arn:aws:states:::lambda:invoke", (string)task["Resource"]!);
        Assert.Equal(NightLoopDefinition.FunctionArn, (string)task["Parameters"]!["FunctionName"]!);
        Assert.Equal("$", (string)task["Parameters"]!["Payload.$"]!);
        Assert.Equal("$.Payload", (string)task["OutputPath"]!);
        var retried = ((JsonArray)task["Retry"]!).SelectMany(r => ((JsonArray)r!["ErrorEquals"]!).Select(e => (string)e!)).ToHashSet(StringComparer.Ordinal);
        // [step-functions bp-lambda-serviceexception] Lambda's transient errors, and the function's own "try again".
        Assert.Superset(new HashSet<string>(StringComparer.Ordinal) { "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "DeadlineReached" }, retried);
    }

    [Fact]
    public void NightLoop_WhenPartitionIsChina_NamesTheServiceIntegrationInThatPartition()
    {
        var definition = NightLoopDefinition.Load(new Dictionary<string, string>(), region: "cn-north-1");

        Assert.Equal("arn:aws-cn:states:::lambda:invoke", (string)NightLoopDefinition.States(definition)["Step"]!["Resource"]!);
    }

    [Fact]
    public void NightLoop_WhenReadingTheFunctionsAnswer_UsesExactlyTheFieldsTheFunctionWrites()
    {
        // The paths the definition reads, against the answer the function writes (Function.NightResponse).
        var states = NightLoopDefinition.States(NightLoopDefinition.Load());
        var paths = states.SelectMany(s => Paths((JsonObject)s.Value!)).Where(p => p != "$").ToHashSet(StringComparer.Ordinal);
        var request = new Request(RequestKind.Run, false, ScheduledTime: new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero), Phase: NightPhase.Backup);
        var summary = new Summary("run", false, "us-east-1", "us-west-2", null, [], [], [], [], [], [], []);
        var step = new NightStepResult(new PassResult(summary, [], []), NightPhase.Backup, NightPhase.Copy, TimeSpan.FromSeconds(60), 0);
        var answer = JsonNode.Parse(Function.NightResponse(request, step, summary))!;

        Assert.Equal(["$.failuresTonight", "$.moreWork", "$.next", "$.waitSeconds"], paths.Where(p => p != "$.Payload").Order(StringComparer.Ordinal));
        Assert.All(paths.Where(p => p != "$.Payload"), p => Assert.NotNull(NightLoop.StatesRunner.Select(answer, p)));
        Assert.Equal(JsonValueKind.True, answer["moreWork"]!.GetValueKind());
        Assert.Equal(60, answer["waitSeconds"]!.GetValue<int>());
        Assert.Equal("""{"action":"run","scheduledTime":"2026-11-26T03:00:00Z","phase":"copy","failuresSoFar":0}""", answer["next"]!.ToJsonString());
    }

    [Fact]
    public async Task NightLoop_WhenLintedAsAPlainStateMachine_PassesCfnLintsDefinitionCheck_WhichCanFail()
    {
        // SAM writes an inline Definition as a joined string, which cfn-lint's definition check (E3601) can't read; so
        // the definition CloudFormation receives is linted on its own, in a plain AWS::StepFunctions::StateMachine.
        var definition = NightLoopDefinition.Load();
        var good = await LintAsync(definition);
        Assert.True(good.ExitCode == 0, good.Output);

        var broken = (JsonObject)definition.DeepClone();
        broken["States"]!["Wait"]!["Type"] = "Wiat";
        var bad = await LintAsync(broken);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("E3601", bad.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void NightFailedAlarm_WhenALoopFailsOrTimesOut_Alarms()
    {
        var alarm = Queue("NightFailedAlarm");
        var metrics = SamTemplate.List(alarm, "Metrics").Cast<Dictionary<string, object?>>().ToList();
        var watched = metrics.Where(m => m.ContainsKey("MetricStat"))
            .Select(m => SamTemplate.Map(SamTemplate.Map(m, "MetricStat"), "Metric"))
            .ToList();

        Assert.Equal(["ExecutionsFailed", "ExecutionsTimedOut"], watched.Select(m => SamTemplate.Text(m, "MetricName")).Order(StringComparer.Ordinal));
        Assert.All(watched, m => Assert.Equal("AWS/States", SamTemplate.Text(m, "Namespace")));
        Assert.All(watched, m => Assert.True(SamTemplate.References(((Dictionary<string, object?>)SamTemplate.List(m, "Dimensions")[0]!)["Value"], NightLoopDefinition.LogicalId)));
    }

    [Fact]
    public void DrEvents_WhenDeployedInTheDrRegion_ForwardsFailedAmiEventsToTheHomeDefaultBus_ThroughARoleThatCanOnlyPutThere()
    {
        var dr = CloudFormationYaml.Load(Path.Combine(RepositoryFiles.Root, "dr-events.yaml"));
        var resources = SamTemplate.Map(dr, "Resources");
        var rule = SamTemplate.Map(SamTemplate.Map(resources, "ForwardAmiStateChanges"), "Properties");
        var pattern = SamTemplate.Map(rule, "EventPattern");
        var target = (Dictionary<string, object?>)Assert.Single(SamTemplate.List(rule, "Targets"))!;
        var role = SamTemplate.Map(SamTemplate.Map(resources, "ForwardRole"), "Properties");
        var statement = (Dictionary<string, object?>)SamTemplate.List(SamTemplate.Map((Dictionary<string, object?>)SamTemplate.List(role, "Policies")[0]!, "PolicyDocument"), "Statement").Single()!;

        Assert.Equal(["EC2 AMI State Change"], SamTemplate.List(pattern, "detail-type"));
        Assert.Equal(["failed"], SamTemplate.List(SamTemplate.Map(pattern, "detail"), "State"));
        const string bus = "arn:${AWS::Partition}:events:${HomeRegion}:${AWS::AccountId}:event-bus/default";
        Assert.Equal(bus, SamTemplate.Text(SamTemplate.Map(target, "Arn"), "Fn::Sub"));
        Assert.True(SamTemplate.ContainsGetAtt(target["RoleArn"], "ForwardRole"));
        Assert.Equal("events:PutEvents", SamTemplate.Text(statement, "Action"));
        Assert.Equal(bus, SamTemplate.Text(SamTemplate.Map(statement, "Resource"), "Fn::Sub"));
    }

    private static async Task<(int ExitCode, string Output)> LintAsync(JsonObject definition)
    {
        var path = Path.Combine(Path.GetTempPath(), $"amirotator-asl-{Guid.NewGuid():N}.json");
        var template = new JsonObject
        {
            ["AWSTemplateFormatVersion"] = "2010-09-09",
            ["Resources"] = new JsonObject
            {
                ["NightLoop"] = new JsonObject
                {
                    ["Type"] = "AWS::StepFunctions::StateMachine",
                    ["Properties"] = new JsonObject { ["Definition"] = definition.DeepClone(), ["RoleArn"] = "arn:aws:iam::123456789012:role/night-loop" },
                },
            },
        };
        await File.WriteAllTextAsync(path, template.ToJsonString());
        try
        {
            return await CfnLintTests.RunAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IEnumerable<string> Targets(JsonObject state) =>
        new[] { state["Next"], state["Default"] }.OfType<JsonNode>().Select(n => (string)n!)
            .Concat((state["Choices"] as JsonArray ?? []).Select(c => (string)c!["Next"]!))
            .Concat((state["Catch"] as JsonArray ?? []).Select(c => (string)c!["Next"]!));

    private static IEnumerable<string> Paths(JsonObject state) =>
        new[] { state["OutputPath"], state["SecondsPath"], state["InputPath"] }.OfType<JsonNode>().Select(n => (string)n!)
            .Concat((state["Choices"] as JsonArray ?? []).Select(c => (string)c!["Variable"]!));
}
