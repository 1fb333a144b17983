using System.ComponentModel;
using System.Diagnostics;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>
/// cfn-lint (with the SAM transform) accepts template.yaml and the StackSet edition generated from it. cfn-lint is a
/// prerequisite, so its absence fails.
/// </summary>
public sealed class CfnLintTests
{
    [Theory]
    [InlineData("template.yaml")]
    [InlineData("stackset")]
    public async Task CfnLint_WhenRunOnTheTemplate_ReportsNothing(string template)
    {
        var start = new ProcessStartInfo("cfn-lint", [template == "stackset" ? DeployedStack.StackSetTemplatePath : "template.yaml"])
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
            return;
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

            Assert.True(process.ExitCode == 0, $"cfn-lint exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}
