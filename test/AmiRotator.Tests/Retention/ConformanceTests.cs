using System.Globalization;
using System.Text.Json;
using AmiRotator.Retention;
using NodaTime;
using Xunit;

namespace AmiRotator.Tests.Retention;

/// <summary>restic's keep-policy golden files: the engine must keep exactly the backups restic keeps.</summary>
public sealed class ConformanceTests
{
    private const int ExpectedCaseCount = 26;

    private static readonly Lazy<Golden> Data = new(Golden.Load);

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < Data.Value.Cases.Count; i++)
        {
            data.Add(i, Data.Value.Cases[i].Policy);
        }

        return data;
    }

    [Fact]
    public void GoldenFile_WhenLoaded_HasExactly26Cases() =>
        Assert.Equal(ExpectedCaseCount, Data.Value.Cases.Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Apply_WhenResticGoldenCase_KeepsExactlyResticsBackups(int caseIndex, string policy)
    {
        var golden = Data.Value;
        var backups = golden.Backups.Select((time, i) => new BackupPoint($"b{i}", time)).ToArray();

        var decisions = RetentionEngine.Apply(backups, RetentionPolicy.Parse(policy), DateTimeZone.Utc);

        var kept = decisions.Where(d => d.Keep).Select(d => d.Time.UtcTicks).Order().ToArray();
        var expected = golden.Cases[caseIndex].Keep.Select(t => t.UtcTicks).Order().ToArray();
        Assert.Equal(expected, kept);
    }

    private sealed record GoldenCase(string Policy, IReadOnlyList<DateTimeOffset> Keep);

    private sealed record Golden(IReadOnlyList<DateTimeOffset> Backups, IReadOnlyList<GoldenCase> Cases)
    {
        public static Golden Load()
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "retention-restic.json")));
            var root = json.RootElement;
            return new Golden(
                Times(root.GetProperty("backups")),
                [.. root.GetProperty("cases").EnumerateArray().Select(c =>
                    new GoldenCase(c.GetProperty("policy").GetString()!, Times(c.GetProperty("keep"))))]);
        }

        private static DateTimeOffset[] Times(JsonElement array) =>
            [.. array.EnumerateArray().Select(t =>
                DateTimeOffset.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind))];
    }
}
