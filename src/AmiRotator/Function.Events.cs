using System.Text.Json;
using Amazon.Runtime;
using AmiRotator.Ec2;
using AmiRotator.Execution;
using AmiRotator.Invocation;
using AmiRotator.Lambda;
using AmiRotator.Reporting;

namespace AmiRotator;

/// <summary>AMI events: one at a time (invoked directly), or a batch from the queue, answered with the records to deliver again.</summary>
internal sealed partial class Function
{
    private async Task<Answer> OnImageStateChangeAsync(Request request, string accountId, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var change = request.ImageEvent!;
        var result = await new EventPass(settings, source, dr, clock, log).RunAsync([change], accountId, request.DryRun, timeLeft, ct).ConfigureAwait(false);
        if (result.NotVisible.Count > 0)
        {
            // EC2's reads are eventually consistent [ec2/latest/devguide/eventual-consistency]: consuming the event now
            // would leave the copy for the night. This error makes Lambda retry the event a minute later.
            throw new FunctionErrorException(
                "ImageNotYetVisible",
                $"DescribeImages does not show {change.ImageId} {change.State} yet, though EC2 reported it so: EC2's reads are eventually consistent. Nothing was changed; this error makes Lambda retry the event.");
        }

        return new Answer(result.Summary with { Action = "image-state-change" }, FailedImages: result.FailedImages);
    }

    /// <summary>
    /// [lambda/latest/dg/with-sqs] With ReportBatchItemFailures, the answer lists the records to deliver again; an
    /// exception would deliver the whole batch again. A record is listed while its work isn't done (its image not
    /// visible yet, its copy failed or left by the deadline) or when it can't be read at all: after the queue's
    /// maxReceiveCount it goes to the dead-letter queue, never silently away.
    /// </summary>
    private async Task<Answer> OnBatchAsync(Request request, string accountId, Func<TimeSpan> timeLeft, CancellationToken ct)
    {
        var records = request.Batch!;
        var events = records.Where(r => r.Event is not null).Select(r => r.Event!).Distinct().ToList();
        var refused = records.Where(r => r.Problem is not null).ToList();
        foreach (var record in refused)
        {
            log.Error("batch record refused", ("messageId", record.MessageId), ("problem", record.Problem));
        }

        EventPassResult? result = null;
        string? batchError = null;
        if (events.Count > 0)
        {
            try
            {
                result = await new EventPass(settings, source, dr, clock, log).RunAsync(events, accountId, dryRun: false, timeLeft, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or DeadlineNearException)
            {
                // The batch's read failed even after retries: every record comes back, nothing was changed.
                batchError = e is AmazonServiceException { ErrorCode: { } code } ? $"{code}: {e.Message}" : e.Message;
                log.Error("event batch failed; every record is delivered again", ("error", batchError), ("records", records.Count));
            }
        }

        var retry = result?.Retry.ToHashSet() ?? [];
        var again = records
            .Where(r => r.Problem is not null || (r.Event is not null && (batchError is not null || retry.Contains(r.Event))))
            .Select(r => r.MessageId).ToList();
        var summary = (result?.Summary ?? new Summary("image-state-change", false, settings.Region, settings.DrRegion, null, [], [], [], [], [], [], [])) with
        {
            Action = "image-event-batch",
            Failures =
            [
                .. result?.Summary.Failures ?? [],
                .. refused.Select(r => new FailureEntry(r.MessageId, settings.Region, null, "event", $"{r.Problem}; delivered again, then dead-lettered")),
                .. batchError is null ? [] : new[] { new FailureEntry("batch", settings.Region, null, "read", $"{batchError}; all {events.Count} event(s) are delivered again") },
            ],
            Message = $"{records.Count} record(s), {again.Count} to deliver again",
        };
        log.Info("batch answered", ("records", records.Count), ("events", events.Count), ("deliverAgain", again.Count));
        return new Answer(summary, BatchResponse(again), result?.FailedImages ?? 0);
    }

    /// <summary>{"batchItemFailures":[{"itemIdentifier":"&lt;messageId&gt;"}]}; an empty list means the whole batch succeeded.</summary>
    internal static byte[] BatchResponse(IReadOnlyList<string> messageIds)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("batchItemFailures");
            foreach (var id in messageIds)
            {
                json.WriteStartObject();
                json.WriteString("itemIdentifier", id);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
