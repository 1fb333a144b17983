using Xunit;
using AmiRotator.Invocation;

namespace AmiRotator.Tests.Invocation;

/// <summary>Every sample in events/ (used with sam local invoke -e and sam remote invoke --event-file) is accepted.</summary>
public sealed class EventsFolderTests
{
    private static string EventsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AmiRotator.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "events");
    }

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(EventsDirectory(), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_WhenSampleEvent_IsAccepted(string file)
    {
        var request = RequestParser.Parse(File.ReadAllBytes(Path.Combine(EventsDirectory(), file)));
        Assert.True(Enum.IsDefined(request.Kind));
        // A preflight is a dry run whatever its file says: it only ever sends DryRun=true requests.
        Assert.Equal(file.Contains("dry-run", StringComparison.Ordinal) || request.Kind == RequestKind.Preflight, request.DryRun);
    }

    [Fact]
    public void Samples_CoverEveryKindOfRequest()
    {
        var kinds = Directory.GetFiles(EventsDirectory(), "*.json")
            .Select(f => RequestParser.Parse(File.ReadAllBytes(f)).Kind)
            .ToHashSet();
        Assert.Equal(Enum.GetValues<RequestKind>().ToHashSet(), kinds);
    }
}
