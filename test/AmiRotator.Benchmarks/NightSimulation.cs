using System.Diagnostics;
using AmiRotator.Configuration;
using AmiRotator.Ec2;
using AmiRotator.Execution;
using AmiRotator.Inventory;
using AmiRotator.Invocation;
using AmiRotator.Planning;
using AmiRotator.Reporting;
using AmiRotator.Tests.Fakes;

namespace AmiRotator.Benchmarks;

/// <summary>
/// A steady-state night at fleet scale, emulated: the production night steps and event passes over the EC2 fake (the
/// tests' model of EC2, paging included) in virtual time, paced by our token buckets at EC2's published rates. The
/// driver plays Step Functions (the night loop's waits), SQS (batches of AMI events) and EC2's clocks (a backup is
/// available 5 minutes after CreateImage, a copy 20 minutes after CopyImage). Every EC2 call is counted.
/// </summary>
internal static class NightSimulation
{
    public const string East = "us-east-1";
    public const string West = "us-west-2";
    public static readonly TimeSpan ImageDuration = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan CopyDuration = TimeSpan.FromMinutes(20);
    public static readonly TimeSpan InvocationTimeout = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan BatchWindow = TimeSpan.FromSeconds(60);
    public const int BatchSize = 1000;

    public static async Task<NightResult> RunAsync(int instances, int backupsPerInstance, TextWriter progress)
    {
        var scheduled = new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero);
        var clock = new SimulatedClock(scheduled);
        var ec2 = new FakeEc2(clock);
        var env = new Dictionary<string, string>
        {
            ["AWS_REGION"] = East,
            ["DR_REGION"] = West,
            ["RETENTION"] = $"keep-last={backupsPerInstance}",
            ["DR_RETENTION"] = $"keep-last={backupsPerInstance}",
            ["OWNER"] = "ami-rotator-bench",
            ["COPY_WRITERS"] = "3",
            ["MAX_COPIES_IN_FLIGHT"] = "100",
            ["MAX_RETIRE_PER_RUN"] = "auto",
        };
        var settings = Settings.FromEnvironment(k => env.GetValueOrDefault(k));
        var wall = Stopwatch.StartNew();
        Seed(ec2, settings, instances, backupsPerInstance, scheduled);
        progress.WriteLine($"  seeded {instances} instances x {backupsPerInstance} backups in {wall.Elapsed.TotalSeconds:0.0}s");

        var realBuckets = new RealBuckets(clock);
        var lastCreate = scheduled;
        var firstCopy = (DateTimeOffset?)null;
        var lastCopy = scheduled;
        ec2.BeforeCall = (call, _) =>
        {
            realBuckets.Take(call);
            if (call.Action == Ec2Call.CreateImage)
            {
                lastCreate = clock.GetUtcNow();
            }
            else if (call.Action == Ec2Call.CopyImage)
            {
                firstCopy ??= clock.GetUtcNow();
                lastCopy = clock.GetUtcNow();
            }

            return Task.CompletedTask;
        };

        var log = new Log(TextWriter.Null, clock);
        // Two execution environments, each with its own token buckets: the night loop's and the queue poller's.
        IEc2Region Env(string region) => new PacedEc2Region(ec2.Region(region), clock, settings.CopyWriters);
        var (loopSource, loopDr) = (Env(East), Env(West));
        var (eventSource, eventDr) = (Env(East), Env(West));
        var queue = new List<(ImageStateChange Event, DateTimeOffset At)>();
        var announced = new HashSet<string>(StringComparer.Ordinal);
        var maxInFlight = 0;
        var steps = 0;
        var batches = 0;
        var stepCalls = 0;
        var eventCalls = 0;
        // On AWS the queue's invocations run beside the night loop; here they run in turn on one virtual clock. Their
        // time while backups are still being made is therefore not the loop's, and is taken out of that figure.
        var eventTimeDuringBackups = TimeSpan.Zero;
        var inBackupPhase = true;

        void Tick(TimeSpan by)
        {
            for (var left = by; left > TimeSpan.Zero; left -= TimeSpan.FromSeconds(60))
            {
                clock.Advance(left < TimeSpan.FromSeconds(60) ? left : TimeSpan.FromSeconds(60));
                Complete(ec2, clock.GetUtcNow(), queue, announced);
            }
        }

        async Task DeliverDueBatchesAsync(bool all)
        {
            while (queue.Count > 0 && (all || queue.Count >= BatchSize || clock.GetUtcNow() - queue[0].At >= BatchWindow))
            {
                var batch = queue.Take(BatchSize).ToList();
                queue.RemoveRange(0, batch.Count);
                var startedAt = clock.GetUtcNow();
                var before = ec2.Calls.Count;
                var deadline = clock.GetUtcNow() + InvocationTimeout;
                var result = await new EventPass(settings, eventSource, eventDr, clock, log)
                    .RunAsync([.. batch.Select(b => b.Event)], FakeEc2.DefaultAccountId, false, () => deadline - clock.GetUtcNow(), CancellationToken.None);
                eventCalls += ec2.Calls.Count - before;
                batches++;
                if (inBackupPhase)
                {
                    eventTimeDuringBackups += clock.GetUtcNow() - startedAt;
                }

                queue.AddRange(result.Retry.Select(e => (e, clock.GetUtcNow())));
                maxInFlight = Math.Max(maxInFlight, InFlight(ec2));
                if (result.Retry.Count > 0)
                {
                    Tick(TimeSpan.FromMinutes(1)); // the queue's visibility timeout, shortened
                }
            }
        }

        // Two nights: the first brings the account to the steady state (last night's copies complete after its
        // prune, so DR retention catches up the next night), the second is the one measured.
        async Task<int> NightAsync(DateTimeOffset night)
        {
            var request = new Request(RequestKind.Run, false, ScheduledTime: night, Phase: NightPhase.Backup);
            inBackupPhase = true;
            while (true)
            {
                var before = ec2.Calls.Count;
                var deadline = clock.GetUtcNow() + InvocationTimeout;
                var step = await new NightStep(settings, loopSource, loopDr, clock, log).RunAsync(request, FakeEc2.DefaultAccountId, () => deadline - clock.GetUtcNow(), CancellationToken.None);
                stepCalls += ec2.Calls.Count - before;
                steps++;
                maxInFlight = Math.Max(maxInFlight, InFlight(ec2));
                if (step.Next is not { } next)
                {
                    break;
                }

                Tick(step.Wait > TimeSpan.Zero ? step.Wait : TimeSpan.FromSeconds(1));
                await DeliverDueBatchesAsync(all: false);
                request = request with { Phase = next, FailuresSoFar = step.FailuresTonight };
                inBackupPhase = next == NightPhase.Backup;
            }

            // The rest of the night: the last events come in and are answered, the last copies complete.
            while (queue.Count > 0 || ec2.Images(East).Any(i => i.State == ImageStates.Pending) || InFlight(ec2) > 0)
            {
                Tick(BatchWindow);
                await DeliverDueBatchesAsync(all: true);
            }

            return ec2.Calls.Count;
        }

        var warmUp = await NightAsync(scheduled);
        progress.WriteLine($"  first night: {warmUp:N0} calls, {steps} steps, {batches} batches");
        clock.Advance(scheduled.AddDays(1) - clock.GetUtcNow() > TimeSpan.Zero ? scheduled.AddDays(1) - clock.GetUtcNow() : TimeSpan.Zero);
        var tonightTime = clock.GetUtcNow();
        (lastCreate, firstCopy, lastCopy, maxInFlight, steps, batches, stepCalls, eventCalls) = (tonightTime, null, tonightTime, 0, 0, 0, 0, 0);
        eventTimeDuringBackups = TimeSpan.Zero;
        realBuckets.Reset();
        await NightAsync(tonightTime);

        var calls = ec2.Calls.Skip(warmUp).ToList();
        var tonight = BackupNaming.TimeTag(tonightTime);
        return new NightResult(
            instances,
            backupsPerInstance,
            calls.GroupBy(c => c.Action).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            stepCalls,
            eventCalls,
            steps,
            batches,
            lastCreate - tonightTime - eventTimeDuringBackups,
            ec2.Images(West).Count(i => i.Tags.GetValueOrDefault(ManagedTags.ScheduledTime) == tonight),
            firstCopy is { } first ? (lastCopy - first) : TimeSpan.Zero,
            maxInFlight,
            new Dictionary<string, int>(realBuckets.Refused, StringComparer.Ordinal),
            ec2.Images(East).Count(i => i.Tags.GetValueOrDefault(ManagedTags.ScheduledTime) == tonight),
            Naive(instances, backupsPerInstance),
            wall.Elapsed);
    }

    /// <summary>
    /// The naive baseline over the same world, counted, not run: one DescribeImages per instance, one DeleteSnapshot
    /// per snapshot (no DeleteAssociatedSnapshots), and every AMI event answered on its own with a full read (one
    /// DescribeInstances and a listing of both Regions' images) instead of batched, targeted reads.
    /// </summary>
    public static int Naive(int instances, int backups)
    {
        var pagesPerRegion = (int)Math.Ceiling(instances * (backups + 1) / 1000.0);
        var perEvent = 1 + (2 * pagesPerRegion);
        return instances * (1 + 1 + 1 + 2 + 2) + (instances * perEvent) + 1 + (2 * pagesPerRegion);
    }

    private static int InFlight(FakeEc2 ec2) => ec2.Images(West).Count(i => i.State == ImageStates.Pending);

    /// <summary>EC2's clocks: images and copies finish after their durations; a finished source backup sends its event.</summary>
    private static void Complete(FakeEc2 ec2, DateTimeOffset now, List<(ImageStateChange, DateTimeOffset)> queue, HashSet<string> announced)
    {
        foreach (var image in ec2.Images(East).Where(i => i.State == ImageStates.Pending && now - i.CreationDate >= ImageDuration).ToList())
        {
            ec2.SetImageState(image.ImageId, ImageStates.Available);
            if (announced.Add(image.ImageId))
            {
                queue.Add((new ImageStateChange(image.ImageId, ImageStates.Available, East, ""), now));
            }
        }

        foreach (var copy in ec2.Images(West).Where(i => i.State == ImageStates.Pending && now - i.CreationDate >= CopyDuration).ToList())
        {
            ec2.SetImageState(copy.ImageId, ImageStates.Available);
        }
    }

    /// <summary>The account as last night left it: B backups of each instance at home and B copies in the DR Region.</summary>
    private static void Seed(FakeEc2 ec2, Settings settings, int instances, int backups, DateTimeOffset tonight)
    {
        for (var n = 0; n < instances; n++)
        {
            var instance = ec2.AddInstance(East, tags: new Dictionary<string, string> { ["Backup"] = "true", [ManagedTags.Name] = $"web-{n}" });
            for (var night = backups; night >= 1; night--)
            {
                var time = tonight.AddDays(-night);
                var name = BackupNaming.Scheduled(instance, time, settings.Owner);
                var common = new Dictionary<string, string>
                {
                    [ManagedTags.Managed] = ManagedTags.ManagedValue,
                    [ManagedTags.Owner] = settings.Owner,
                    [ManagedTags.InstanceId] = instance,
                    [ManagedTags.ScheduledTime] = BackupNaming.TimeTag(time),
                    [ManagedTags.ImageName] = name,
                };
                var sourceId = ec2.AddImage(East, name: name, creationDate: time, tags: new Dictionary<string, string>(common) { [ManagedTags.Policy] = settings.Retention.ToString(), [ManagedTags.DrPolicy] = settings.DrRetention.ToString() });
                ec2.AddImage(West, name: name, creationDate: time.AddMinutes(30), tags: new Dictionary<string, string>(common)
                {
                    [ManagedTags.SourceImageId] = sourceId,
                    [ManagedTags.SourceRegion] = East,
                    [ManagedTags.Policy] = settings.DrRetention.ToString(),
                    [ManagedTags.BackupTime] = Iso8601.Milliseconds(time),
                });
            }
        }
    }

    /// <summary>EC2's own buckets [ec2-api-throttling], shared by every caller: a call they would refuse is counted as a throttle.</summary>
    private sealed class RealBuckets(TimeProvider clock)
    {
        private readonly Dictionary<(string, string), TokenBucketState> buckets = [];

        public Dictionary<string, int> Refused { get; } = new(StringComparer.Ordinal);

        public int Throttles => Refused.Values.Sum();

        public void Reset()
        {
            lock (buckets)
            {
                Refused.Clear();
            }
        }

        public void Take(Ec2Call call)
        {
            var (capacity, rate) = call.Action switch
            {
                Ec2Call.CreateImage => (50, 5.0),
                Ec2Call.CopyImage => (100, 1.0),
                Ec2Call.DeregisterImage or Ec2Call.DeleteSnapshot => (100, 5.0),
                Ec2Call.CreateTags => (100, 10.0),
                _ => (100, 20.0),
            };
            lock (buckets)
            {
                if (!buckets.TryGetValue((call.Region, call.Action), out var bucket))
                {
                    bucket = new TokenBucketState(capacity, clock.GetUtcNow());
                    buckets[(call.Region, call.Action)] = bucket;
                }

                var now = clock.GetUtcNow();
                bucket.Tokens = Math.Min(capacity, bucket.Tokens + ((now - bucket.Last).TotalSeconds * rate));
                bucket.Last = now;
                if (bucket.Tokens >= 1 - 1e-9)
                {
                    bucket.Tokens -= 1;
                }
                else
                {
                    Refused[call.Action] = Refused.GetValueOrDefault(call.Action) + 1;
                }
            }
        }

        private sealed class TokenBucketState(double tokens, DateTimeOffset last)
        {
            public double Tokens { get; set; } = tokens;

            public DateTimeOffset Last { get; set; } = last;
        }
    }
}

internal sealed record NightResult(
    int Instances,
    int BackupsPerInstance,
    IReadOnlyDictionary<string, int> CallsByAction,
    int StepCalls,
    int EventCalls,
    int Steps,
    int Batches,
    TimeSpan ToLastCreateImage,
    int CopiesTonight,
    TimeSpan CopySpan,
    int MaxCopiesInFlight,
    IReadOnlyDictionary<string, int> Refused,
    int BackupsTonight,
    int NaiveCalls,
    TimeSpan WallTime)
{
    public int TotalCalls => CallsByAction.Values.Sum();

    public int Throttles => Refused.Values.Sum();

    public double CallsPerInstance => (double)TotalCalls / Instances;

    public double CopiesPerHour => CopySpan.TotalHours > 0 ? CopiesTonight / CopySpan.TotalHours : CopiesTonight;
}
