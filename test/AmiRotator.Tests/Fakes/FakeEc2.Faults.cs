namespace AmiRotator.Tests.Fakes;

/// <summary>
/// Injected faults: API calls that fail, and DeleteSnapshotReturnCode failures, until <see cref="ClearFaults"/>.
/// </summary>
internal sealed partial class FakeEc2
{
    /// <summary>DeleteSnapshotReturnCode valid values other than success [API_DeleteSnapshotReturnCode].</summary>
    private static readonly string[] FailureReturnCodes = ["skipped", "missing-permissions", "internal-error", "client-error"];

    private readonly Dictionary<string, string> createImageFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> copyImageFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> deregisterFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> deleteSnapshotFaults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> deleteSnapshotReturnCodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> referenceFaults = new(StringComparer.Ordinal);

    // ---- Faults ----------------------------------------------------------------------------------------------

    /// <summary>CreateImage of this instance fails with <paramref name="errorCode"/> until <see cref="ClearFaults"/>.</summary>
    public void FailCreateImage(string instanceId, string errorCode = "InternalError") => SetFault(createImageFaults, instanceId, errorCode);

    /// <summary>CopyImage of this source image fails with <paramref name="errorCode"/> until <see cref="ClearFaults"/>.</summary>
    public void FailCopyImage(string sourceImageId, string errorCode = "InternalError") => SetFault(copyImageFaults, sourceImageId, errorCode);

    /// <summary>DeregisterImage of this image fails (nothing changes) until <see cref="ClearFaults"/>.</summary>
    public void FailDeregisterImage(string imageId, string errorCode = "InternalError") => SetFault(deregisterFaults, imageId, errorCode);

    /// <summary>DeleteSnapshot of this snapshot fails (it stays) until <see cref="ClearFaults"/>.</summary>
    public void FailDeleteSnapshot(string snapshotId, string errorCode = "InternalError") => SetFault(deleteSnapshotFaults, snapshotId, errorCode);

    /// <summary>DescribeImageReferences in this Region fails, as when the check is unavailable.</summary>
    public void FailImageReferences(string region, string errorCode = "InternalError") => SetFault(referenceFaults, region, errorCode);

    /// <summary>
    /// DeregisterImage with DeleteAssociatedSnapshots leaves this snapshot in place and reports
    /// <paramref name="returnCode"/> for it (missing-permissions, internal-error, client-error, or skipped).
    /// </summary>
    public void SetDeleteSnapshotReturnCode(string snapshotId, string returnCode)
    {
        if (!FailureReturnCodes.Contains(returnCode, StringComparer.Ordinal))
        {
            throw new ArgumentException($"'{returnCode}' is not a DeleteSnapshotReturnCode failure; valid: {string.Join(", ", FailureReturnCodes)}", nameof(returnCode));
        }

        SetFault(deleteSnapshotReturnCodes, snapshotId, returnCode);
    }

    public void ClearFaults()
    {
        lock (gate)
        {
            createImageFaults.Clear();
            copyImageFaults.Clear();
            deregisterFaults.Clear();
            deleteSnapshotFaults.Clear();
            deleteSnapshotReturnCodes.Clear();
            referenceFaults.Clear();
        }
    }
}
