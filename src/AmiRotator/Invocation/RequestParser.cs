using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AmiRotator.Invocation;

/// <summary>
/// Turns a raw payload into a <see cref="Request"/>, or refuses it with a message that says what is wrong and
/// what is accepted. Unknown fields are refused rather than ignored: a mistyped <c>dryrun</c> must never turn a
/// dry run into a real one.
/// </summary>
internal static partial class RequestParser
{
    /// <summary>Lambda's own limit for asynchronous payloads; anything larger is not from a trusted source.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    /// <summary>An SQS batch arrives as a synchronous invocation, whose payload Lambda limits to 6 MB.</summary>
    public const int MaxBatchPayloadBytes = 6 * 1024 * 1024;
    public const int MaxInstanceIds = 1000;
    private const int MaxDepth = 16;

    private const string Accepted =
        "accepted: an EventBridge 'Scheduled Event', an 'EC2 AMI State Change' event, or " +
        "{\"action\":\"run|backup|copy|prune|report|preflight|drill\",\"instanceIds\":[\"i-...\"],\"dryRun\":true|false,\"scheduledTime\":\"2026-11-26T03:00:00Z\",\"idempotencyToken\":\"...\"}";

    private static readonly string[] ActionFields = ["action", "instanceIds", "dryRun", "scheduledTime", "idempotencyToken", "phase", "failuresSoFar"];

    public static Request Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxBatchPayloadBytes || (payload.Length > MaxPayloadBytes && !LooksLikeBatch(payload)))
        {
            throw new InvalidRequestException("PayloadTooLarge", $"The payload has {payload.Length} bytes; at most {MaxPayloadBytes} are accepted ({MaxBatchPayloadBytes} for an SQS batch).");
        }

        if (IsBlank(payload))
        {
            throw new InvalidRequestException("InvalidPayload", $"The payload is empty; {Accepted}.");
        }

        JsonDocument doc;
        try
        {
            // Duplicate keys are refused: with "last one wins", {"dryRun":true,"dryRun":false} would run for real.
            doc = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException("InvalidPayload", $"The payload is not valid JSON (or not UTF-8, or nested deeper than {MaxDepth}): {FirstLine(e.Message)}; {Accepted}.");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException("InvalidPayload", $"The payload is a JSON {Describe(root.ValueKind)}, not an object; {Accepted}.");
            }

            if (root.TryGetProperty("Records", out var records))
            {
                return ParseBatch(root, records);
            }

            if (payload.Length > MaxPayloadBytes)
            {
                throw new InvalidRequestException("PayloadTooLarge", $"The payload has {payload.Length} bytes; at most {MaxPayloadBytes} are accepted ({MaxBatchPayloadBytes} for an SQS batch).");
            }

            if (root.TryGetProperty("source", out var source))
            {
                return ParseEventBridge(root, source);
            }

            if (root.TryGetProperty("action", out _))
            {
                return ParseAction(root);
            }

            throw new InvalidRequestException("InvalidPayload", $"The payload has neither 'action' nor 'source'; {Accepted}.");
        }
    }

    internal static Request ParseEventBridge(JsonElement root, JsonElement source)
    {
        if (root.TryGetProperty("action", out _))
        {
            throw new InvalidRequestException("InvalidField", "An EventBridge event ('source' is set) takes no 'action'; send either an event or {\"action\":...}.");
        }

        // A preview of a scheduled pass is asked for by adding "dryRun": true to the event itself.
        var dryRun = ParseDryRun(root);
        var detailType = root.TryGetProperty("detail-type", out var dt) && dt.ValueKind == JsonValueKind.String ? dt.GetString() : null;
        var src = source.ValueKind == JsonValueKind.String ? source.GetString() : null;

        if (src == "aws.events" && detailType == "Scheduled Event")
        {
            if (!root.TryGetProperty("time", out var time) || time.ValueKind != JsonValueKind.String)
            {
                throw new InvalidRequestException("InvalidScheduledEvent", "The Scheduled Event has no 'time'; expected an ISO 8601 UTC time such as \"2026-11-26T03:00:00Z\".");
            }

            return new Request(RequestKind.Run, dryRun, ScheduledTime: ParseTime("time", time.GetString()!, "InvalidScheduledEvent"));
        }

        if (src == "aws.ec2" && detailType == "EC2 AMI State Change")
        {
            if (!root.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException("InvalidImageEvent", "The EC2 AMI State Change event has no 'detail' object.");
            }

            var imageId = detail.TryGetProperty("ImageId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (imageId is null || !ImageIdPattern().IsMatch(imageId))
            {
                throw new InvalidRequestException("InvalidImageEvent", $"The EC2 AMI State Change event has no valid detail.ImageId (got {(imageId is null ? "none" : $"'{Truncate(imageId)}'")}); expected 'ami-' and 8 or 17 hex digits.");
            }

            var state = detail.TryGetProperty("State", out var st) && st.ValueKind == JsonValueKind.String ? st.GetString() : null;
            if (string.IsNullOrEmpty(state))
            {
                throw new InvalidRequestException("InvalidImageEvent", "The EC2 AMI State Change event has no detail.State; expected available, failed, deregistered or disabled.");
            }

            var region = root.TryGetProperty("region", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var error = detail.TryGetProperty("ErrorMessage", out var em) && em.ValueKind == JsonValueKind.String ? em.GetString() : null;
            return new Request(RequestKind.ImageStateChange, dryRun, ImageEvent: new ImageStateChange(imageId, state, region, error));
        }

        // Stryker disable once NullCoalescing : equivalent, a string element's ToString() is its value, so dropping "src ??" shows the same text
        var shown = src ?? source.ToString();
        throw new InvalidRequestException("UnsupportedEvent", $"Events with source '{Truncate(shown)}' and detail-type '{Truncate(detailType ?? "")}' are not handled; {Accepted}.");
    }

    private static Request ParseAction(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (Array.IndexOf(ActionFields, property.Name) < 0)
            {
                throw new InvalidRequestException("InvalidField", $"Unknown field '{Truncate(property.Name)}'; accepted fields: {string.Join(", ", ActionFields)}.");
            }
        }

        var actionElement = root.GetProperty("action");
        var action = actionElement.ValueKind == JsonValueKind.String ? actionElement.GetString() : null;
        var kind = action switch
        {
            "run" => RequestKind.Run,
            "backup" => RequestKind.Backup,
            "copy" => RequestKind.Copy,
            "prune" => RequestKind.Prune,
            "report" => RequestKind.Report,
            "preflight" => RequestKind.Preflight,
            "drill" => RequestKind.Drill,
            _ => throw new InvalidRequestException("UnknownAction", $"Unknown action {(action is null ? actionElement.ValueKind.ToString().ToLowerInvariant() : $"'{Truncate(action)}'")}; accepted actions: run, backup, copy, prune, report, preflight, drill."),
        };

        if (kind == RequestKind.Preflight)
        {
            // A preflight is a dry run by definition; a field that would scope or un-dry it can only be a mistake.
            foreach (var property in root.EnumerateObject().Where(p => p.Name != "action"))
            {
                throw new InvalidRequestException("InvalidField", $"The preflight action takes no '{property.Name}'; send {{\"action\":\"preflight\"}}. It always runs as a dry run and changes nothing.");
            }

            return new Request(RequestKind.Preflight, DryRun: true);
        }

        var dryRun = ParseDryRun(root);

        IReadOnlyList<string>? instanceIds = null;
        if (root.TryGetProperty("instanceIds", out var ids))
        {
            instanceIds = ParseInstanceIds(ids);
        }
        else if (kind == RequestKind.Backup)
        {
            throw new InvalidRequestException("InvalidField", "The backup action needs 'instanceIds', a list of instance ids such as [\"i-0123456789abcdef0\"]; use action 'run' to back up every tagged instance.");
        }

        DateTimeOffset? scheduled = null;
        if (root.TryGetProperty("scheduledTime", out var time))
        {
            if (kind is not (RequestKind.Run or RequestKind.Drill))
            {
                throw new InvalidRequestException("InvalidField", "'scheduledTime' is accepted only with action 'run' or 'drill' (the EventBridge Scheduler input).");
            }

            if (time.ValueKind != JsonValueKind.String)
            {
                throw new InvalidRequestException("InvalidField", "'scheduledTime' must be an ISO 8601 UTC time string such as \"2026-11-26T03:00:00Z\".");
            }

            scheduled = ParseTime("scheduledTime", time.GetString()!, "InvalidField");
        }

        string? token = null;
        if (root.TryGetProperty("idempotencyToken", out var tokenElement))
        {
            if (kind is not (RequestKind.Run or RequestKind.Backup) || scheduled is not null)
            {
                throw new InvalidRequestException("InvalidField", "'idempotencyToken' is accepted only with action 'run' (without 'scheduledTime': a scheduled run is identified by its time) or 'backup'.");
            }

            token = tokenElement.ValueKind == JsonValueKind.String ? tokenElement.GetString() : null;
            if (token is null || !IdempotencyTokenPattern().IsMatch(token))
            {
                throw new InvalidRequestException("InvalidField", $"'idempotencyToken' must be a string of 1-64 letters, digits and . _ : / @ -, such as \"change-4711\"; the same token makes the same backups however often the request is retried.");
            }
        }

        var (phase, failuresSoFar) = ParsePhase(root, kind, scheduled, dryRun, instanceIds);
        return new Request(kind, dryRun, instanceIds, scheduled, IdempotencyToken: token, Phase: phase, FailuresSoFar: failuresSoFar);
    }

    /// <summary>
    /// 'phase' is the Step Functions loop's: a scheduled run split into invocations. It names the whole fleet's night,
    /// so it comes only with 'scheduledTime', and never scoped or as a dry run.
    /// </summary>
    private static (NightPhase? Phase, int FailuresSoFar) ParsePhase(JsonElement root, RequestKind kind, DateTimeOffset? scheduled, bool dryRun, IReadOnlyList<string>? instanceIds)
    {
        var hasFailures = root.TryGetProperty("failuresSoFar", out var failures);
        if (!root.TryGetProperty("phase", out var phaseElement))
        {
            return hasFailures
                ? throw new InvalidRequestException("InvalidField", "'failuresSoFar' is accepted only with 'phase' (the night loop carries it from one invocation to the next).")
                : (null, 0);
        }

        if (kind != RequestKind.Run || scheduled is null || dryRun || instanceIds is not null)
        {
            throw new InvalidRequestException("InvalidField", "'phase' is accepted only with action 'run' and 'scheduledTime', without 'dryRun' or 'instanceIds': it is the night loop's step through a scheduled run.");
        }

        var phase = (phaseElement.ValueKind == JsonValueKind.String ? phaseElement.GetString() : null) switch
        {
            "backup" => NightPhase.Backup,
            "copy" => NightPhase.Copy,
            "prune" => NightPhase.Prune,
            _ => throw new InvalidRequestException("InvalidField", $"'phase' must be \"backup\", \"copy\" or \"prune\", not {phaseElement.GetRawText()}."),
        };

        var count = 0;
        if (hasFailures && (failures.ValueKind != JsonValueKind.Number || !failures.TryGetInt32(out count) || count < 0))
        {
            throw new InvalidRequestException("InvalidField", $"'failuresSoFar' must be a whole number of 0 or more, not {failures.GetRawText()}.");
        }

        return (phase, count);
    }

    private static bool ParseDryRun(JsonElement root) =>
        !root.TryGetProperty("dryRun", out var dry) ? false : dry.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidRequestException("InvalidField", $"'dryRun' must be true or false, not a JSON {Describe(dry.ValueKind)}."),
        };

    private static string[] ParseInstanceIds(JsonElement ids)
    {
        if (ids.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("InvalidInstanceIds", $"'instanceIds' must be a JSON array of instance id strings, not a JSON {Describe(ids.ValueKind)}.");
        }

        var count = ids.GetArrayLength();
        if (count == 0 || count > MaxInstanceIds)
        {
            throw new InvalidRequestException("InvalidInstanceIds", $"'instanceIds' has {count} entries; give from 1 to {MaxInstanceIds}, or leave it out to act on every tagged instance.");
        }

        var result = new List<string>(count);
        foreach (var item in ids.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new InvalidRequestException("InvalidInstanceIds", $"'instanceIds' holds a JSON {Describe(item.ValueKind)}; every entry must be an instance id string such as \"i-0123456789abcdef0\".");
            }

            var id = item.GetString()!;
            if (!InstanceIdPattern().IsMatch(id))
            {
                throw new InvalidRequestException("InvalidInstanceIds", $"'{Truncate(id)}' is not an instance id; expected 'i-' and 8 or 17 lowercase hex digits, such as \"i-0123456789abcdef0\".");
            }

            if (!result.Contains(id, StringComparer.Ordinal))
            {
                result.Add(id);
            }
        }

        return [.. result];
    }

    private static DateTimeOffset ParseTime(string field, string text, string errorType)
    {
        // Stryker disable once Bitwise : equivalent where the process's local zone is UTC, as Lambda's always is: a time without an offset is read as UTC either way
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            || !text.Contains('T', StringComparison.Ordinal))
        {
            throw new InvalidRequestException(errorType, $"'{field}' value '{Truncate(text)}' is not an ISO 8601 time; expected e.g. \"2026-11-26T03:00:00Z\".");
        }

        return time.ToUniversalTime();
    }

    private static bool IsBlank(ReadOnlySpan<byte> payload)
    {
        foreach (var b in payload)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "array",
        JsonValueKind.Number => "number",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        // Stryker disable once String : equivalent, unreachable: a parsed document holds no Undefined element, the only kind left
        _ => "value",
    };

    private static string FirstLine(string text) => text.Split('\n')[0];

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    [GeneratedRegex("^i-([0-9a-f]{8}|[0-9a-f]{17})$")]
    internal static partial Regex InstanceIdPattern();

    [GeneratedRegex("^[A-Za-z0-9._:/@-]{1,64}$")]
    private static partial Regex IdempotencyTokenPattern();

    [GeneratedRegex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$")]
    private static partial Regex ImageIdPattern();
}
