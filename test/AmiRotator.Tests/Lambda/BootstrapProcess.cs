using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit;

namespace AmiRotator.Tests.Lambda;

/// <summary>One bootstrap process with a clean environment; killed on dispose, since it loops on next forever.</summary>
internal sealed class BootstrapProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly TaskCompletionSource stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool disposed;

    private BootstrapProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                stdoutClosed.TrySetResult();
                return;
            }

            lock (stdout)
            {
                stdout.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public bool HasExited => process.HasExited;

    /// <summary>SIGKILL, as Lambda ends an environment at its timeout: no handler runs, nothing is flushed.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(Wait);
        await process.WaitForExitAsync(cts.Token);
    }

    public static BootstrapProcess Start(FakeRuntimeApi fake, Dictionary<string, string> settings, string ec2Endpoint = "http://127.0.0.1:1")
    {
        var start = new ProcessStartInfo(BootstrapPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };

        // Start from nothing so that the developer's AWS profile, Region or settings cannot leak in.
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = fake.Address;
        start.Environment["AWS_REGION"] = "us-east-1";
        start.Environment["AWS_ACCESS_KEY_ID"] = "test";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "test";
        start.Environment["AWS_ENDPOINT_URL"] = ec2Endpoint;
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var bootstrap = new BootstrapProcess(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return bootstrap;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            await stdoutClosed.Task.WaitAsync(timeout);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The bootstrap did not exit within {timeout.TotalSeconds} s.{Diagnostics()}");
        }

        return process.ExitCode;
    }

    /// <summary>Every stdout line, each parsed as the JSON object Lambda's JSON log format requires.</summary>
    public List<JsonElement> LogLines()
    {
        string text;
        lock (stdout)
        {
            text = stdout.ToString();
        }

        var lines = new List<JsonElement>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                Assert.True(doc.RootElement.ValueKind == JsonValueKind.Object, $"stdout line is not a JSON object: {line}");
                lines.Add(doc.RootElement.Clone());
            }
            catch (JsonException e)
            {
                Assert.Fail($"stdout line is not JSON ({e.Message}): {line}");
            }
        }

        return lines;
    }

    /// <summary>Waits until the bootstrap is back on next (all output written), kills it, and returns its log.</summary>
    public async Task<List<JsonElement>> StopAndReadLogAsync(int expectNextCalls = 0, FakeRuntimeApi? fake = null)
    {
        if (fake is not null)
        {
            await fake.WaitForNextCallsAsync(expectNextCalls, Wait);
        }

        await DisposeAsync();
        return LogLines();
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        using var cts = new CancellationTokenSource(Wait);
        await process.WaitForExitAsync(cts.Token);
        await stdoutClosed.Task.WaitAsync(Wait);
        process.Dispose();
    }

    private string Diagnostics()
    {
        lock (stdout)
        {
            lock (stderr)
            {
                return $"\nstdout:\n{stdout}\nstderr:\n{stderr}";
            }
        }
    }

    private static string BootstrapPath()
    {
        var configured = Environment.GetEnvironmentVariable(BootstrapEndToEndTests.BootstrapVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            Assert.True(File.Exists(configured), $"{BootstrapEndToEndTests.BootstrapVariable}={configured} does not exist; run `make bootstrap`.");
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AmiRotator.sln")))
            {
                var built = Path.Combine(dir.FullName, ".build", "bootstrap", "bootstrap");
                Assert.True(File.Exists(built), $"No bootstrap at {built} and {BootstrapEndToEndTests.BootstrapVariable} is not set; run `make bootstrap` (or set {BootstrapEndToEndTests.BootstrapVariable}).");
                return built;
            }
        }

        Assert.Fail($"AmiRotator.sln not found above {AppContext.BaseDirectory} and {BootstrapEndToEndTests.BootstrapVariable} is not set; run `make bootstrap`.");
        return "";
    }
}
