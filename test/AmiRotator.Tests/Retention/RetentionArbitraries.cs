using FsCheck;
using FsCheck.Fluent;

namespace AmiRotator.Tests.Retention;

/// <summary>FsCheck generators for retention scenarios, registered through <c>[Properties(Arbitrary = ...)]</c>.</summary>
public static class RetentionArbitraries
{
    private static readonly DateTimeOffset Origin = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] CountKeys =
        ["keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"];

    private static readonly string[] WindowKeys =
        ["keep-within", "keep-within-hourly", "keep-within-daily", "keep-within-weekly", "keep-within-monthly", "keep-within-yearly"];

    public static Arbitrary<RetentionScenario> Scenario() =>
        Arb.From(
            from items in PolicyItems
            from count in Gen.Sized(size => Gen.Choose(1, 1 + (size / 2)))
            from times in Gen.ArrayOf(Time, count)
            from seed in Gen.Choose(0, int.MaxValue)
            select new RetentionScenario(items, times, seed),
            Shrink);

    // Three years of minutes spans leap days, DST changes and ISO week-53 years; the dense 3-day range on
    // half hours makes shared buckets and exact ties common. Offsets vary to prove sorting is by instant.
    private static Gen<DateTimeOffset> Time =>
        from minutes in Gen.Frequency(
            (3, Gen.Choose(0, 3 * 366 * 24 * 60)),
            (2, Gen.Choose(0, 3 * 48).Select(halfHours => halfHours * 30)))
        from offset in Gen.Elements(TimeSpan.Zero, TimeSpan.FromHours(2), TimeSpan.FromHours(-5), new TimeSpan(5, 30, 0))
        select Origin.AddMinutes(minutes).ToOffset(offset);

    private static Gen<IReadOnlyList<string>> PolicyItems =>
        Gen.CollectToList(CountKeys.Select(key => Optional(key, CountValue)).Concat(WindowKeys.Select(key => Optional(key, WindowValue))))
            .Select(items => items.OfType<string>().ToArray())
            .Where(items => items.Length > 0)
            .SelectMany(items => Gen.Shuffle(items))
            .Select(items => (IReadOnlyList<string>)items);

    private static Gen<string> CountValue =>
        Gen.Frequency(
            (6, Gen.Choose(1, 12).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            (1, Gen.Constant("unlimited")));

    private static Gen<string> WindowValue =>
        from years in Gen.Frequency((5, Gen.Constant(0)), (1, Gen.Choose(1, 2)))
        from months in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(1, 13)))
        from days in Gen.Frequency((1, Gen.Constant(0)), (2, Gen.Choose(1, 40)))
        from hours in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Choose(1, 72)))
        where years + months + days + hours > 0
        select $"{Part(hours, 'h')}{Part(days, 'd')}{Part(years, 'y')}{Part(months, 'm')}";

    private static string Part(int value, char unit) => value == 0 ? string.Empty : $"{value}{unit}";

    private static Gen<string?> Optional(string key, Gen<string> value) =>
        Gen.Frequency((3, Gen.Constant<string?>(null)), (1, value.Select(v => (string?)$"{key}={v}")));

    private static IEnumerable<RetentionScenario> Shrink(RetentionScenario scenario)
    {
        for (var i = 0; scenario.Times.Count > 1 && i < scenario.Times.Count; i++)
        {
            yield return scenario with { Times = [.. scenario.Times.Where((_, j) => j != i)] };
        }

        for (var i = 0; scenario.PolicyItems.Count > 1 && i < scenario.PolicyItems.Count; i++)
        {
            yield return scenario with { PolicyItems = [.. scenario.PolicyItems.Where((_, j) => j != i)] };
        }
    }
}
