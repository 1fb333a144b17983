using System.Text;
using System.Text.Json;

namespace AmiRotator.Invocation;

/// <summary>
/// SQS batches of AMI events, in the shape Lambda's event source mapping delivers them
/// [lambda/latest/dg/with-sqs]: {"Records":[{"messageId","receiptHandle","body","attributes",…,"eventSource":"aws:sqs"}]}.
/// EventBridge puts the whole event into <c>body</c>, as a JSON string [eventbridge/latest/userguide/eb-targets].
/// A record that can't be read is kept with its problem: it is answered as a failed item (retried, then dead-lettered),
/// never dropped, and it never stops the records beside it.
/// </summary>
internal static partial class RequestParser
{
    /// <summary>More than Lambda's largest SQS batch (10,000) is not from an event source mapping.</summary>
    public const int MaxBatchRecords = 10_000;

    private static Request ParseBatch(JsonElement root, JsonElement records)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "Records")
            {
                throw new InvalidRequestException("InvalidBatch", $"An SQS batch has only 'Records'; unknown field '{Truncate(property.Name)}'.");
            }
        }

        if (records.ValueKind != JsonValueKind.Array || records.GetArrayLength() is 0 or > MaxBatchRecords)
        {
            throw new InvalidRequestException("InvalidBatch", $"'Records' must be an array of 1 to {MaxBatchRecords} SQS records, as Lambda's SQS event source delivers them.");
        }

        var batch = new List<BatchRecord>(records.GetArrayLength());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records.EnumerateArray())
        {
            // Without its messageId a record can't be reported as failed: the whole batch then has to be refused.
            var messageId = record.ValueKind == JsonValueKind.Object && record.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (string.IsNullOrEmpty(messageId) || !seen.Add(messageId))
            {
                throw new InvalidRequestException("InvalidBatch", $"An SQS record has {(string.IsNullOrEmpty(messageId) ? "no messageId" : $"the messageId '{Truncate(messageId)}' twice")}; Lambda's SQS event source always gives each record its own.");
            }

            batch.Add(ParseRecord(messageId, record));
        }

        return new Request(RequestKind.ImageEventBatch, DryRun: false, Batch: batch);
    }

    private static BatchRecord ParseRecord(string messageId, JsonElement record)
    {
        if (!record.TryGetProperty("eventSource", out var source) || source.ValueKind != JsonValueKind.String || source.GetString() != "aws:sqs")
        {
            return new BatchRecord(messageId, null, "the record's eventSource is not aws:sqs");
        }

        if (!record.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.String)
        {
            return new BatchRecord(messageId, null, "the record has no body string");
        }

        try
        {
            using var doc = JsonDocument.Parse(body.GetString()!, new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("source", out var eventSource))
            {
                return new BatchRecord(messageId, null, "the body is not an EventBridge event");
            }

            var request = ParseEventBridge(root, eventSource);
            return request.Kind == RequestKind.ImageStateChange && !request.DryRun
                ? new BatchRecord(messageId, request.ImageEvent, null)
                : new BatchRecord(messageId, null, "the body is not an EC2 AMI State Change event");
        }
        catch (JsonException e)
        {
            return new BatchRecord(messageId, null, $"the body is not valid JSON: {FirstLine(e.Message)}");
        }
        catch (InvalidRequestException e)
        {
            return new BatchRecord(messageId, null, $"{e.ErrorType}: {e.Message}");
        }
    }

    /// <summary>A cheap look at the start of the payload, before parsing: only a batch may use the larger size limit.</summary>
    private static bool LooksLikeBatch(ReadOnlySpan<byte> payload)
    {
        var head = Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, 64)]);
        return head.TrimStart().StartsWith('{') && head.Contains("\"Records\"", StringComparison.Ordinal);
    }
}
