using System.Globalization;
using System.Text.RegularExpressions;
using AmiRotator.Retention;
using NodaTime;

namespace AmiRotator.Configuration;

/// <summary>
/// The function's settings, read once from the environment at init. Every value is validated here so that a
/// typo fails the init (reported through the Runtime API's init error) and never reaches EC2.
/// </summary>
internal sealed partial record Settings(
    string Region,
    string? DrRegion,
    BackupTag BackupTag,
    RetentionPolicy Retention,
    RetentionPolicy DrRetention,
    bool NoReboot,
    string? DrKmsKeyId,
    DateTimeZone RetentionTimeZone,
    int? MaxRetirePerRun,
    int MaxCopiesInFlight,
    int RpoHours,
    TimeSpan DeadlineSafetyMargin,
    int Parallelism,
    string Owner,
    int CopyWriters = 1,
    int NightHours = 20,
    DrillSettings? Drill = null,
    string? DrSnapshotLock = null,
    int DeprecateAfterDays = 0)
{
    /// <summary>How long after its scheduled time the night loop keeps going; what is left then waits for the next night.</summary>
    public TimeSpan NightLength => TimeSpan.FromHours(NightHours);

    public const string DefaultRetention = "keep-daily=7,keep-weekly=4";

    /// <summary>
    /// A manual run or backup without an idempotencyToken makes no backup of an instance backed up less than this long
    /// ago. The AWS CLI retries a synchronous invoke after its 60 s read timeout, up to 4 times with back-off
    /// (aws/aws-cli#2657), under new request ids: a retry arrives within about 5 minutes. Three times that is the window.
    /// </summary>
    public static readonly TimeSpan ManualRunWindow = TimeSpan.FromMinutes(15);

    // EC2 tag values hold at most 256 characters [tag restrictions, AWSEC2/latest/UserGuide/Using_Tags].
    private const int MaxTagValue = 256;

    // The partitions other than aws, by the prefix their Region names share.
    private static readonly (string Prefix, string Partition)[] PartitionPrefixes =
    [
        ("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"),
    ];

    public static Settings FromEnvironment(Func<string, string?> env)
    {
        string? Get(string name)
        {
            var v = env(name);
            return string.IsNullOrWhiteSpace(v) ? null : v.Trim();
        }

        var region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION")
            ?? throw new SettingsException("AWS_REGION is not set; Lambda sets it, locally export e.g. AWS_REGION=us-east-1.");
        RequireRegionName("AWS_REGION", region);

        var drRegion = Get("DR_REGION");
        if (drRegion is not null)
        {
            RequireRegionName("DR_REGION", drRegion);
            if (drRegion == region)
            {
                throw new SettingsException($"DR_REGION '{drRegion}' equals the function's Region; choose another Region or leave DR_REGION empty to disable copies.");
            }

            // CopyImage copies only within a partition; across partitions AWS points to CreateStoreImageTask.
            var (partition, drPartition) = (PartitionOf(region), PartitionOf(drRegion));
            if (drPartition != partition)
            {
                throw new SettingsException($"DR_REGION '{drRegion}' is in partition {drPartition} but AWS_REGION '{region}' is in {partition}; CopyImage does not copy between partitions, so choose a DR Region in {partition} or leave DR_REGION empty.");
            }
        }

        var retentionText = Get("RETENTION") ?? DefaultRetention;
        foreach (var (name, text) in new[] { ("RETENTION", retentionText), ("DR_RETENTION", Get("DR_RETENTION") ?? "") })
        {
            if (text.Length > MaxTagValue)
            {
                throw new SettingsException($"{name} has {text.Length} characters; every backup records its policy in a tag, which holds at most {MaxTagValue}.");
            }
        }

        var retention = ParsePolicy("RETENTION", retentionText);
        var drRetention = Get("DR_RETENTION") is { } drText ? ParsePolicy("DR_RETENTION", drText) : retention;

        var kms = Get("DR_KMS_KEY_ID");
        if (kms is not null && !KmsKeyPattern().IsMatch(kms))
        {
            throw new SettingsException($"DR_KMS_KEY_ID '{kms}' is not a KMS key id, key ARN, alias name or alias ARN.");
        }

        if (kms is not null && drRegion is null)
        {
            throw new SettingsException("DR_KMS_KEY_ID is set but DR_REGION is empty; the key is used only for DR copies.");
        }

        return new Settings(
            Region: region,
            DrRegion: drRegion,
            BackupTag: BackupTag.Parse(Get("BACKUP_TAG") ?? "Backup=true"),
            Retention: retention,
            DrRetention: drRetention,
            NoReboot: ParseBool("NO_REBOOT", Get("NO_REBOOT"), defaultValue: true),
            DrKmsKeyId: kms,
            RetentionTimeZone: ParseZone(Get("RETENTION_TIMEZONE")),
            MaxRetirePerRun: ParseBudget(Get("MAX_RETIRE_PER_RUN")),
            MaxCopiesInFlight: ParseInt("MAX_COPIES_IN_FLIGHT", Get("MAX_COPIES_IN_FLIGHT"), 100, 1, 300),
            RpoHours: ParseInt("RPO_HOURS", Get("RPO_HOURS"), 26, 1, 24 * 366),
            DeadlineSafetyMargin: TimeSpan.FromSeconds(ParseInt("DEADLINE_SAFETY_SECONDS", Get("DEADLINE_SAFETY_SECONDS"), 30, 0, 600)),
            Parallelism: ParseInt("PARALLELISM", Get("PARALLELISM"), 4, 1, 16),
            Owner: ParseOwner(Get("OWNER") ?? Get("AWS_LAMBDA_FUNCTION_NAME") ?? "ami-rotator"),
            CopyWriters: ParseCopyWriters(Get("COPY_WRITERS"), Get("MAX_COPIES_IN_FLIGHT")),
            // The loop must give up before the next night starts one of its own; a day has 24 hours.
            NightHours: ParseInt("NIGHT_HOURS", Get("NIGHT_HOURS"), 20, 1, 23),
            Drill: ParseDrill(Get, drRegion),
            DrSnapshotLock: ParseLockMode(Get("DR_SNAPSHOT_LOCK"), drRegion),
            // 0: never. EnableImageDeprecation allows at most 10 years ahead [API_EnableImageDeprecation].
            DeprecateAfterDays: ParseInt("DEPRECATE_AFTER_DAYS", Get("DEPRECATE_AFTER_DAYS"), 0, 0, 3650));
    }

    /// <summary>
    /// DR_SNAPSHOT_LOCK: none (the default), governance or compliance, the two modes of LockSnapshot [API_LockSnapshot].
    /// Null means off.
    /// </summary>
    private static string? ParseLockMode(string? text, string? drRegion)
    {
        var mode = text?.ToLowerInvariant();
        return mode switch
        {
            null or "none" => null,
            "governance" or "compliance" when drRegion is null =>
                throw new SettingsException($"DR_SNAPSHOT_LOCK={text} but DR_REGION is empty; only the snapshots of DR copies are locked."),
            "governance" or "compliance" => mode,
            _ => throw new SettingsException($"DR_SNAPSHOT_LOCK '{text}' is not one of none, governance, compliance."),
        };
    }

    /// <summary>
    /// Restore drills need somewhere to boot: a subnet and a security group in the DR Region. Without a subnet
    /// there are no drills (the drill action says so); with one, the rest must be right, or init fails.
    /// </summary>
    private static DrillSettings? ParseDrill(Func<string, string?> get, string? drRegion)
    {
        var subnet = get("DRILL_SUBNET_ID");
        if (subnet is null)
        {
            return get("DRILL_SECURITY_GROUP_ID") is null ? null
                : throw new SettingsException("DRILL_SECURITY_GROUP_ID is set but DRILL_SUBNET_ID is empty; a drill needs both, in the DR Region.");
        }

        if (drRegion is null)
        {
            throw new SettingsException("DRILL_SUBNET_ID is set but DR_REGION is empty; a drill restores DR copies in the DR Region.");
        }

        if (!SubnetIdPattern().IsMatch(subnet))
        {
            throw new SettingsException($"DRILL_SUBNET_ID '{subnet}' is not a subnet id such as subnet-0123456789abcdef0.");
        }

        var group = get("DRILL_SECURITY_GROUP_ID") ?? throw new SettingsException("DRILL_SUBNET_ID is set but DRILL_SECURITY_GROUP_ID is empty; a drill instance needs a security group in that subnet's VPC.");
        if (!SecurityGroupIdPattern().IsMatch(group))
        {
            throw new SettingsException($"DRILL_SECURITY_GROUP_ID '{group}' is not a security group id such as sg-0123456789abcdef0.");
        }

        var type = get("DRILL_INSTANCE_TYPE") ?? "t3.micro";
        if (!InstanceTypePattern().IsMatch(type))
        {
            throw new SettingsException($"DRILL_INSTANCE_TYPE '{type}' is not an instance type such as t3.micro.");
        }

        return new DrillSettings(
            subnet, group, type,
            ParseInt("DRILL_SAMPLE", get("DRILL_SAMPLE"), 1, 1, 50),
            get("DRILL_TAG") is { } tag ? BackupTag.Parse(tag) : null,
            TimeSpan.FromMinutes(ParseInt("DRILL_TIMEOUT_MINUTES", get("DRILL_TIMEOUT_MINUTES"), 15, 1, 120)));
    }

    [GeneratedRegex("^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")]
    private static partial Regex SubnetIdPattern();

    [GeneratedRegex("^sg-[0-9a-f]{8}([0-9a-f]{9})?$")]
    private static partial Regex SecurityGroupIdPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$")]
    private static partial Regex InstanceTypePattern();

    /// <summary>
    /// How many invocations may start DR copies at the same time: the event queue's MaximumConcurrency plus the night
    /// loop (template.yaml sets it). Each takes at most its share of the free copy slots, so together they stay within
    /// MAX_COPIES_IN_FLIGHT; every writer needs at least one slot.
    /// </summary>
    private static int ParseCopyWriters(string? text, string? maxInFlight)
    {
        var writers = ParseInt("COPY_WRITERS", text, 1, 1, 100);
        var max = ParseInt("MAX_COPIES_IN_FLIGHT", maxInFlight, 100, 1, 300);
        return writers <= max
            ? writers
            : throw new SettingsException($"MAX_COPIES_IN_FLIGHT={max} is less than COPY_WRITERS={writers}: each invocation that may copy needs at least one of the copy slots.");
    }

    // The owner tag is compared by IAM conditions and written on every image and snapshot, so it must be a valid tag
    // value. Without OWNER the function's name is the owner: Lambda makes it unique per account and Region.
    private static string ParseOwner(string owner) =>
        owner.Length <= 128 && OwnerPattern().IsMatch(owner)
            ? owner
            : throw new SettingsException($"OWNER '{owner}' is not a valid owner: 1-128 letters, digits, spaces and _ . : / = + - @ (it becomes the ami-rotator:owner tag of every backup).");

    private static RetentionPolicy ParsePolicy(string name, string text)
    {
        try
        {
            return RetentionPolicy.Parse(text);
        }
        catch (RetentionPolicyException e)
        {
            throw new SettingsException($"{name}: {e.Message}");
        }
    }

    // By form alone: a Region launched after the pinned AWSSDK.EC2 is missing from the SDK's list, yet the SDK
    // builds its endpoint from the partition's naming rules all the same.
    private static void RequireRegionName(string name, string region)
    {
        if (!RegionPattern().IsMatch(region))
        {
            throw new SettingsException($"{name} '{region}' is not an AWS Region name; expected lower-case words and a number joined by dashes, e.g. 'us-east-1' or 'eu-west-1'.");
        }
    }

    private static string PartitionOf(string region) =>
        PartitionPrefixes.FirstOrDefault(p => region.StartsWith(p.Prefix, StringComparison.Ordinal)).Partition ?? "aws";

    private static bool ParseBool(string name, string? text, bool defaultValue) => text?.ToUpperInvariant() switch
    {
        null => defaultValue,
        "TRUE" => true,
        "FALSE" => false,
        _ => throw new SettingsException($"{name} '{text}' is not a boolean; accepted: true or false."),
    };

    private static int ParseInt(string name, string? text, int defaultValue, int min, int max)
    {
        if (text is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new SettingsException($"{name} '{text}' is not a whole number from {min} to {max}.");
        }

        return value;
    }

    private static int? ParseBudget(string? text) =>
        text is null || text.Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? null
            : ParseInt("MAX_RETIRE_PER_RUN", text, 0, 1, 100_000);

    private static DateTimeZone ParseZone(string? text)
    {
        if (text is null || text is "UTC" or "Etc/UTC")
        {
            return DateTimeZone.Utc;
        }

        // The TZDB that NodaTime embeds, never /usr/share/zoneinfo: provided.al2023 need not ship tzdata.
        return DateTimeZoneProviders.Tzdb.GetZoneOrNull(text)
            ?? throw new SettingsException($"RETENTION_TIMEZONE '{text}' is not a known IANA time zone; expected e.g. 'UTC' or 'Europe/Berlin'.");
    }

    [GeneratedRegex("^[A-Za-z0-9 _.:/=+@-]+$")]
    private static partial Regex OwnerPattern();

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex("^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$")]
    private static partial Regex KmsKeyPattern();
}

/// <summary>Restore drills: where they boot (DR Region subnet and security group), what, how many, for how long.</summary>
internal sealed record DrillSettings(string SubnetId, string SecurityGroupId, string InstanceType, int Sample, BackupTag? Tag, TimeSpan Timeout);
