using System.Text.RegularExpressions;
using Xunit;

namespace AmiRotator.Tests.Deployment;

/// <summary>The commands README.md tells ops to run are the safe ones.</summary>
public sealed partial class ReadmeTests
{
    /// <summary>
    /// The AWS CLI retries a synchronous <c>lambda invoke</c> after its 60 s read timeout, with a new request id
    /// (aws/aws-cli#2657): a manual pass would run twice. Every invoke in the README must wait (read timeout 0) or
    /// be asynchronous.
    /// </summary>
    [Fact]
    public void LambdaInvokes_WhenShownInTheReadme_NeverLetTheCliRetryThem()
    {
        var commands = Commands(File.ReadAllText(RepositoryFiles.Readme)).Where(c => c.Contains("aws lambda invoke", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(commands);
        Assert.All(commands, c => Assert.True(
            c.Contains("--cli-read-timeout 0", StringComparison.Ordinal) || c.Contains("--invocation-type Event", StringComparison.Ordinal),
            $"This README command can be retried by the CLI after 60 s: {c}"));
    }

    [Fact]
    public void Commands_WhenSplitOverLines_AreReadAsOneCommand()
    {
        var commands = Commands("```sh\naws lambda invoke \\\n  --function-name f \\\n  out.json\necho done\n```\n");

        Assert.Equal(["aws lambda invoke --function-name f out.json", "echo done"], commands);
    }

    [Fact]
    public void Deploy_WhenDescribed_SaysToRunThePreflightAndShowsItsOutput()
    {
        var readme = File.ReadAllText(RepositoryFiles.Readme);
        var deploy = readme[readme.IndexOf("## Deploy", StringComparison.Ordinal)..readme.IndexOf("## Running it on demand", StringComparison.Ordinal)];

        Assert.Contains("""{"action":"preflight"}""", deploy, StringComparison.Ordinal);
        Assert.Contains("\"verdict\": \"allowed\"", deploy, StringComparison.Ordinal);
        Assert.Contains("PreflightFailed", deploy, StringComparison.Ordinal);
    }

    /// <summary>The shell commands of the README's code blocks, with backslash continuations joined.</summary>
    private static List<string> Commands(string markdown)
    {
        var commands = new List<string>();
        foreach (Match block in ShellBlock().Matches(markdown))
        {
            var joined = LineContinuation().Replace(block.Groups["body"].Value, " ");
            commands.AddRange(joined.Split('\n').Select(l => Spaces().Replace(l, " ").Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
        }

        return commands;
    }

    [GeneratedRegex(@"```(?:sh|bash|shell)\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"\\\n\s*")]
    private static partial Regex LineContinuation();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
