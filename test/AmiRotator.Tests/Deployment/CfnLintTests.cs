using System.ComponentModel;
using System.Diagnostics;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// cfn-lint (with the SAM transform) accepts template.yaml, the StackSet edition generated from it, and the DR
/// Region's companion stack. cfn-lint is a prerequisite, so its absence fails.
/// </summary>
public sealed class CfnLintTests
{
    [Theory]
    [InlineData("template.yaml")]
    [InlineData("stackset")]
    [InlineData("dr-events.yaml")]
    public async Task CfnLint_WhenRunOnTheTemplate_ReportsNothing(string template)
    {
        var (exitCode, output) = await RunAsync(template == "stackset" ? DeployedStack.StackSetTemplatePath : template);

        Assert.True(exitCode == 0, $"cfn-lint exited {exitCode}:\n{output}");
    }

    /// <summary>Runs cfn-lint on one template (a path relative to the repository, or absolute) and returns its exit code and output.</summary>
    internal static async Task<(int ExitCode, string Output)> RunAsync(string template)
    {
        var start = new ProcessStartInfo("cfn-lint", [template])
        {
            WorkingDirectory = RepositoryFiles.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("cfn-lint did not start.");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"cfn-lint is not on PATH ({e.Message}); install it with 'pip install cfn-lint'.");
            throw;
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("cfn-lint did not finish within 3 minutes.");
            }

            return (process.ExitCode, $"{await stdout}\n{await stderr}");
        }
    }
}
