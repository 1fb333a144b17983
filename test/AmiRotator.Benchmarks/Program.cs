using System.Diagnostics;
using System.Globalization;
using System.Text;
using AmiRotator.Benchmarks;
using AmiRotator.Planning;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// make bench runs: planner (BenchmarkDotNet), planner-peak (in a process of its own), night N B (emulated).
// Each writes a Markdown fragment that scripts/bench.py puts into BENCHMARKS.md, so one run makes the whole file.
var mode = args.FirstOrDefault() ?? "help";
var output = Environment.GetEnvironmentVariable("AMIROTATOR_BENCH_OUT") ?? Path.Combine(".build", "bench");
Directory.CreateDirectory(output);
switch (mode)
{
    case "planner":
        return PlannerRun(output);
    case "planner-peak":
        return PlannerPeak();
    case "night":
        return await NightAsync(output, args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray());
    default:
        Console.Error.WriteLine("usage: AmiRotator.Benchmarks planner | planner-peak | night N B [N B ...]");
        return 2;
}

static int PlannerRun(string output)
{
    var config = ManualConfig.CreateMinimumViable()
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .WithArtifactsPath(Path.Combine(output, "bdn"));
    var summary = BenchmarkRunner.Run<PlannerBenchmarks>(config);
    var report = summary.Reports.Single();
    var mean = TimeSpan.FromTicks((long)(report.ResultStatistics!.Mean / 100));
    var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;

    // Peak memory of planning is the process's high-water mark: measured in a process of its own.
    var peak = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [.. PathArgs(), "planner-peak"]) { RedirectStandardOutput = true })!;
    var peakLine = peak.StandardOutput.ReadToEnd().Trim();
    peak.WaitForExit();

    var md = new StringBuilder();
    md.AppendLine(CultureInfo.InvariantCulture, $"| images | instances | plan (mean of {report.ResultStatistics.N}, BenchmarkDotNet ShortRun) | allocated per plan | {peakLine.Split('|')[0]} |");
    md.AppendLine("|---:|---:|---:|---:|---:|");
    md.AppendLine(CultureInfo.InvariantCulture, $"| {PlannerBenchmarks.Instances * PlannerBenchmarks.BackupsPerRegion * 2:N0} | {PlannerBenchmarks.Instances:N0} | {mean.TotalMilliseconds:0} ms | {allocated / 1024.0 / 1024.0:0} MB | {peakLine.Split('|')[1]} |");
    File.WriteAllText(Path.Combine(output, "planner.md"), md.ToString());
    Console.WriteLine(md);
    return 0;
}

static string[] PathArgs() => Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal) ? [typeof(PlannerBenchmarks).Assembly.Location] : [];

static int PlannerPeak()
{
    var before = Process.GetCurrentProcess();
    var (settings, inventory, scope, references) = PlannerWorld.Build(PlannerBenchmarks.Instances, PlannerBenchmarks.BackupsPerRegion);
    GC.Collect();
    var afterWorld = Process.GetCurrentProcess().WorkingSet64;
    var plan = AmiRotator.Planning.Planner.Build(settings, inventory, scope, references);
    before.Refresh();
    var peak = Process.GetCurrentProcess().PeakWorkingSet64;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"peak working set (inventory / inventory + plan)|{afterWorld / 1024.0 / 1024.0:0} MB / {peak / 1024.0 / 1024.0:0} MB ({plan.Retirements.Count:N0} retirements planned)"));
    return 0;
}

static async Task<int> NightAsync(string output, int[] sizes)
{
    var md = new StringBuilder();
    md.AppendLine("| instances | backups kept | EC2 calls per instance | calls by action | night loop steps / their calls | event batches / their calls | scheduled time to last CreateImage | target 1.05 x (N-50)/5 | copies started (per hour) | most copies in flight | calls EC2's buckets would refuse | naive baseline, calls per instance | simulation wall time |");
    md.AppendLine("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (var i = 0; i + 1 < sizes.Length; i += 2)
    {
        Console.WriteLine($"night: {sizes[i]} instances keeping {sizes[i + 1]} backups");
        var r = await NightSimulation.RunAsync(sizes[i], sizes[i + 1], Console.Out);
        var byAction = string.Join(", ", r.CallsByAction.OrderByDescending(a => a.Value).Select(a => $"{a.Key} {a.Value:N0}"));
        var target = 1.05 * (r.Instances - 50) / 5;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {r.Instances:N0} | {r.BackupsPerInstance} | {r.CallsPerInstance:0.00} | {byAction} | {r.Steps} / {r.StepCalls:N0} | {r.Batches} / {r.EventCalls:N0} | {r.ToLastCreateImage.TotalSeconds:N0} s | {target:N0} s | {r.CopiesTonight:N0} ({r.CopiesPerHour:N0}/h) | {r.MaxCopiesInFlight} | {Refusals(r)} | {(double)r.NaiveCalls / r.Instances:0.0} | {r.WallTime.TotalSeconds:0} s |");
        md.AppendLine(line);
        Console.WriteLine(line);
    }

    File.WriteAllText(Path.Combine(output, "night.md"), md.ToString());
    return 0;
}

static string Refusals(NightResult r) =>
    r.Throttles == 0 ? "0" : $"{r.Throttles:N0} ({string.Join(", ", r.Refused.OrderByDescending(a => a.Value).Select(a => $"{a.Key} {a.Value:N0}"))})";
