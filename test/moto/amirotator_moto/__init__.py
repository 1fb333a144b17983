"""AmiRotator's moto launcher (the package; test/moto/amirotator_moto.py runs it).

Starts moto 5.2.1's server in-process on a loopback address and patches the
places where moto's EC2 emulation differs from the documented AWS behaviour
that AmiRotator relies on. The product is never bent to fit the emulator;
the emulator is patched to fit the AWS documentation. Every patch in this package quotes
the AWS document it implements and has its own test in
test/AmiRotator.Tests/Emulator/ (the Moto*Tests.cs files, named
after what they cover).

Patches (each cites its AWS page where it is installed):
    1  CreateImage TagSpecifications ResourceType=snapshot tags the snapshots (moto: HTTP 500)
    2  CreateImage with a name in use in the account+Region -> InvalidAMIName.Duplicate
    3  CopyImage: ClientToken idempotency, CopyImageTags, TagSpecifications, Encrypted/KmsKeyId,
       source must exist in SourceRegion and be available; the copy lives in the signing Region
    4  DeregisterImage DeleteAssociatedSnapshots -> deletes each of the AMI's snapshots that no other registered
       AMI uses (on any device), "skipped" for the others; deleteSnapshotResultSet
    5  DeleteSnapshot of the ROOT snapshot of a registered AMI (any state) -> InvalidSnapshot.InUse;
       data-volume snapshots are deleted
    6  DescribeImageReferences for ec2:Instance and ec2:LaunchTemplate (moto: HTTP 500)
    7  call log (/_amirotator/calls, with each call's DryRun flag), cleared by /moto-api/reset too
    9  IAM refusals: actions chosen through /_amirotator/config "deny" answer UnauthorizedOperation (403),
       dry run or not; permitted dry runs keep moto's DryRunOperation (412)
   10  DescribeImages filter block-device-mapping.snapshot-id, values OR-ed (moto: HTTP 500)
   11  CreateImage/CopyImage/RegisterImage: Name 3-128 of letters, digits and ()[] ./-'@_ else
       InvalidAMIName.Malformed; Name missing -> MissingParameter; Description > 255 -> InvalidParameterValue
   12  Recycle Bin for AMIs (knob recycleBin): DeregisterImage moves the AMI to the bin; ListImagesInRecycleBin,
       RestoreImageFromRecycleBin (moto: HTTP 500)
   13  Enable/DisableImageDeregistrationProtection (moto: HTTP 500); Image.DeregistrationProtection
       ("disabled", "enabled-with-cooldown", "enabled-without-cooldown", "disabled after <time>" during the
       24 h cooldown); DeregisterImage of a protected AMI -> OperationNotPermitted (the code is a guess)
   14  eventual consistency (knob consistencyLag N): new images, and state changes made through
       /_amirotator/images/{id}/state, reach DescribeImages only after N further DescribeImages calls in their
       Region; new CreateImage/CopyImage snapshots likewise in DescribeSnapshots
   15  Enable/DisableImageDeprecation (moto: HTTP 500); Image.DeprecationTime (YYYY-MM-DDTHH:MM:00.000Z, seconds
       rounded to the nearest minute); a DeprecateAt in the past or over 10 years ahead (public AMIs: 2 years after
       creation) -> InvalidParameterValue (a guess); an AMI the caller sees but doesn't own -> AuthFailure (a guess)
   16  snapshot lock: LockSnapshot, DescribeLockedSnapshots, UnlockSnapshot (moto: HTTP 500); lock states
       governance / compliance-cooloff / compliance / expired from this server's clock; a lock set while the
       snapshot is pending starts its duration when the snapshot completes and is canceled if it fails;
       DeleteSnapshot of a locked snapshot, UnlockSnapshot in compliance -> OperationNotPermitted (guesses);
       DeregisterImage DeleteAssociatedSnapshots keeps a locked snapshot, ReturnCode "client-error" (a guess)
   17  RunInstances only from an image registered in the Region (or shared with the account) that is available:
       else InvalidAMIID.NotFound / .Unavailable / .Malformed (moto launches from any id); with NetworkInterfaces
       the instance reports its primary interface's security groups (moto: none); verified unpatched: SubnetId,
       SecurityGroupIds, instance TagSpecifications, no public IP, DescribeInstanceStatus (IncludeAllInstances)
       "ok" while running, TerminateInstances
    0  (supporting) DescribeImages lists every EBS mapping, each with its snapshot's Encrypted/KmsKeyId
    8  (supporting) RegisterImage honours every BlockDeviceMappings[].Ebs.SnapshotId; the root is the mapping
       named RootDeviceName, else the first (CreateImage/CopyImage keep one root snapshot)
    knobs: new images may start "pending" (newImageState for CreateImage, newCopyState for CopyImage;
           RegisterImage's images are always available); tests move them to available/failed

Deregistered AMIs (moto's own behaviour, kept): moto remembers deregistered ids (``deleted_amis``).
DescribeImages with such an id answers an empty list, no error (with other ids: just those); DeregisterImage
of it answers InvalidAMIID.Unavailable ("The image id '[ami-...]' is no longer available"); listings leave it
out. [API_DescribeImages] "Recently deregistered images appear in the returned results for a short interval
and then return empty results. After all instances that reference a deregistered AMI are terminated,
specifying the ID of the image will eventually return an error indicating that the AMI ID cannot be found."
moto skips the short interval and the eventual error and stays in the "empty results" phase; [errors-overview]
"InvalidAMIID.Unavailable: The specified AMI has been deregistered and is no longer available, or is not in
a state from which you can launch an instance or modify attributes." matches its DeregisterImage answer.
An AMI in the Recycle Bin (patch 12) is deregistered in exactly this way until it is restored.

Known gaps: CopyImage copies only the source's root snapshot (moto); DescribeImages ignores MaxResults, and
ignores filters other than state and block-device-mapping.snapshot-id when ImageIds are given (moto); no
deprecation-time filter or IncludeDeprecated, and public AMIs get no default deprecation date (patch 15); a
running instance's status is "ok" at once, never "initializing" (patch 17); lock times are whole seconds in
responses (moto's timestamp serializer).

Modules: state (our state and the knobs), mappings (patch 0), images (patches 1, 2, 8, 10, 11),
copy_image (3), snapshots (4, 5), references (6), middleware (7, 9, the endpoints below),
recycle_bin (12), protection (13), consistency (14), deprecation (15), snapshot_lock (16), launch (17),
patches (install_patches, reset), server (main).

Usage:
    python3 test/moto/amirotator_moto.py --host 127.0.0.1 --port 5000
    python3 test/moto/amirotator_moto.py --port 0 --port-file /tmp/p   # free port

Accounts: moto's default account is 123456789012; a request with the header ``x-moto-account-id: <12 digits>``
acts as that account (moto's own feature; patches 15 and 17 let an account see AMIs shared with it).

Once it is listening it prints one line ``AMIROTATOR_MOTO_URL=http://HOST:PORT``
to stdout (and writes the port to --port-file when given).

Extra endpoints (all JSON):
    GET  /_amirotator/health                 -> {"ok": true}
    GET  /_amirotator/calls                  -> [{"region", "action", "service", "status", "dryRun"}, ...]
    POST /_amirotator/calls/reset            -> clears the call log
    GET  /_amirotator/config                 -> every knob below, with its current value
    POST /_amirotator/config                 <- any subset of the knobs; only the ones given change:
            "newImageState": "available"|"pending"   state of CreateImage's new images (default available)
            "newCopyState": "available"|"pending"|null   state of CopyImage's new images
                                                 (default null: the same as newImageState)
            "describeImageReferences": true|false    false: DescribeImageReferences answers InvalidAction
            "deny": ["CopyImage", "us-west-2:DeregisterImage", ...]   IAM refusals (patch 9)
            "recycleBin": true|false                 a Region-level Recycle Bin retention rule for AMIs exists
                                                 (every Region; default false; patch 12)
            "recycleBinDays": 1..365                 its retention period in days (default 7)
            "consistencyLag": 0, 1, 2, ...           eventual consistency, in Describe calls (default 0; patch 14)
    POST /_amirotator/images/{id}/state      <- {"state": "available"|"failed",
                                                 "stateReason": {"code":..,"message":..}?}
    POST /moto-api/reset                     -> moto's reset; also clears our state
                                                (call log, client tokens, the Recycle Bin, every knob back
                                                to its default)
"""

from __future__ import annotations

import os

# Must be set before moto is imported: no built-in Amazon AMIs, only ours.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"

from .middleware import create_app  # noqa: E402
from .patches import install_patches  # noqa: E402
from .server import main  # noqa: E402
from .state import STATE  # noqa: E402

__all__ = ["STATE", "create_app", "install_patches", "main"]
