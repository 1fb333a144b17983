using AmiRotator.Configuration;
using AmiRotator.Inventory;
using AmiRotator.Retention;
using NodaTime;

namespace AmiRotator.Planning;

/// <summary>
/// The retention policy each backup is judged by. Every backup records the policy it was made under
/// (<see cref="ManagedTags.Policy"/>), because the instance's override tag and the settings can change and a
/// decommissioned instance's tags are gone; the policy a server was promised must outlive the server.
/// </summary>
internal static class RecordedPolicies
{
    /// <summary>What judges one backup: its recorded policy; without one, its instance's current policy; else nothing.</summary>
    public static Judgement For(Ec2Image image, Settings settings, Ec2Instance? instance, bool isDr)
    {
        if (image.RecordedPolicy is { } text)
        {
            return RetentionPolicy.TryParse(text, out var recorded, out var error)
                ? new Judgement(recorded, null, false)
                : new Judgement(null, $"its recorded {ManagedTags.Policy} is invalid ({error})", true);
        }

        // A backup made before policies were recorded has only its instance to go by. Once the instance is gone (or
        // untagged) nothing says which policy it was made under, so it is kept; README, "Backups without a recorded policy".
        if (instance is null)
        {
            return new Judgement(null, $"no recorded policy, and {image.InstanceId} is gone or no longer tagged {settings.BackupTag}: kept until a policy is recorded on it", false);
        }

        var (policy, problem) = Effective(settings, instance, isDr);
        return policy is null ? new Judgement(null, problem, true) : new Judgement(policy, null, false);
    }

    /// <summary>The policy a new backup (or copy) of the instance records: its override tag, else the setting. Null (with why) when the tag is invalid.</summary>
    public static (RetentionPolicy? Policy, string? Problem) Effective(Settings settings, Ec2Instance? instance, bool isDr)
    {
        if (instance?.RetentionOverride is not { } overrideText)
        {
            return (isDr ? settings.DrRetention : settings.Retention, null);
        }

        return RetentionPolicy.TryParse(overrideText, out var policy, out var parseError)
            ? (policy, null)
            : (null, $"tag {ManagedTags.Retention}='{overrideText}' on {instance.InstanceId} is invalid ({parseError})");
    }

    /// <summary>
    /// Judges each backup by its own policy. Each distinct policy is applied to the instance's whole timeline (restic's
    /// buckets are about all backups, not only those recorded under it), and a backup is kept when its own policy keeps it.
    /// Backups without a policy take part in the timeline but are not judged here.
    /// </summary>
    public static IReadOnlyDictionary<string, RetentionDecision> Judge(IReadOnlyList<Ec2Image> newestFirst, Func<Ec2Image, RetentionPolicy?> policyOf, DateTimeZone zone)
    {
        var points = newestFirst.Select(i => new BackupPoint(i.ImageId, i.BackupTime)).ToList();
        var byPolicy = new Dictionary<RetentionPolicy, Dictionary<string, RetentionDecision>>();
        var result = new Dictionary<string, RetentionDecision>(StringComparer.Ordinal);
        foreach (var image in newestFirst)
        {
            if (policyOf(image) is not { } policy)
            {
                continue;
            }

            if (!byPolicy.TryGetValue(policy, out var decisions))
            {
                decisions = RetentionEngine.Apply(points, policy, zone).ToDictionary(d => d.Id, StringComparer.Ordinal);
                byPolicy[policy] = decisions;
            }

            result[image.ImageId] = decisions[image.ImageId];
        }

        return result;
    }
}

/// <summary>The policy that judges a backup, or why none can (<see cref="IsFailure"/>: a broken policy someone must fix).</summary>
internal sealed record Judgement(RetentionPolicy? Policy, string? Problem, bool IsFailure);
