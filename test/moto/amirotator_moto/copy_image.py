"""Patch 3: CopyImage."""

from __future__ import annotations

import json

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError, InvalidAMIIdError, MalformedAMIIdError
from moto.ec2.responses.amis import AmisResponse

from .consistency import _lag_new
from .images import _check_name_and_description, _tags_from_specs
from .state import STATE, _apply_new_image_state


# --------------------------------------------------------------------------
# Patch 3: CopyImage (replaces moto's small response method)
# --------------------------------------------------------------------------
def _copy_image(self: AmisResponse) -> ActionResult:
    params = dict(self.params or {})
    source_image_id = self._get_param("SourceImageId")
    source_region = self._get_param("SourceRegion")
    name = self._get_param("Name")
    description = self._get_param("Description")
    client_token = self._get_param("ClientToken")
    encrypted = bool(self._get_param("Encrypted", False))
    kms_key_id = self._get_param("KmsKeyId")
    copy_image_tags = bool(self._get_param("CopyImageTags", False))
    tag_specs = self._get_param("TagSpecifications", []) or []

    self.error_on_dryrun()
    _check_name_and_description(name, description)  # patch 11
    backend = self.ec2_backend  # the DESTINATION Region: the one the call was signed for
    account = backend.account_id
    region = backend.region_name

    with STATE.lock:
        # [ec2-api-idempotency, "Ensuring idempotency in Amazon EC2 API requests"]
        # "If you retry a request that completed successfully using the same client
        # token and the same parameters, the retry succeeds without performing any
        # further actions. If you retry a successful request using the same client
        # token, but one or more of the parameters are different, other than the
        # Region or Availability Zone, the retry fails with an
        # IdempotentParameterMismatch error."  (CopyImage is listed there.)
        fingerprint = json.dumps(
            {k: v for k, v in params.items() if k not in ("ClientToken", "DryRun")},
            sort_keys=True,
            default=str,
        )
        token_key = (account, region, client_token) if client_token else None
        if token_key and token_key in STATE.copy_tokens:
            seen_fingerprint, image_id = STATE.copy_tokens[token_key]
            if seen_fingerprint != fingerprint:
                raise EC2ClientError(
                    "IdempotentParameterMismatch",
                    "Arguments on this idempotent request are inconsistent with "
                    "arguments used in previous request(s).",
                )
            return ActionResult({"ImageId": image_id})

        # [API_CopyImage] "The copy operation must be initiated in the destination
        # Region." / SourceRegion: "The name of the Region that contains the AMI
        # to copy."  The source must exist there and be usable:
        # [errors-overview] "InvalidAMIID.NotFound: The specified AMI doesn't exist."
        # "InvalidAMIID.Unavailable: The specified AMI has been deregistered and is
        # no longer available, or is not in a state from which you can launch an
        # instance or modify attributes."
        from moto.ec2.models import ec2_backends

        if not source_image_id or not str(source_image_id).startswith("ami-"):
            raise MalformedAMIIdError([str(source_image_id)])
        if not source_region or source_region not in ec2_backends[account]:
            raise EC2ClientError(
                "InvalidParameterValue", f"Invalid value '{source_region}' for SourceRegion."
            )
        source_backend = ec2_backends[account][source_region]
        source = source_backend.amis.get(source_image_id)
        if source is None:
            raise InvalidAMIIdError(source_image_id)
        if source.state != "available":
            raise EC2ClientError(
                "InvalidAMIID.Unavailable",
                f"The image id '[{source_image_id}]' is not in a valid state ({source.state}) for CopyImage",
            )

        # [API_CopyImage, KmsKeyId] "If you specify a KMS key, you must also set
        # the encrypted state to true."
        if kms_key_id and not encrypted:
            raise EC2ClientError(
                "InvalidParameterDependency",
                "The parameter KmsKeyId requires the parameter Encrypted to be set.",
            )
        # [API_CopyImage, TagSpecifications] "The tags to apply to the new AMI and
        # new snapshots. You can tag the AMI, the snapshots, or both." / "If you
        # specify other values for ResourceType, the request fails."
        spec_tags = _tags_from_specs(tag_specs, ("image", "snapshot"))

        ami = backend.copy_image(source_image_id, source_region, name, description)

        # [API_CopyImage, CopyImageTags] "Indicates whether to include your
        # user-defined AMI tags when copying the AMI. The following tags will not
        # be copied: System tags (prefixed with aws:) [...] Default: Your
        # user-defined AMI tags are not copied."
        if copy_image_tags:
            for key, value in source_backend.tags.get(source.id, {}).items():
                if not key.startswith("aws:"):
                    ami.add_tag(key, value)
        for key, value in spec_tags["image"].items():
            ami.add_tag(key, value)
        for key, value in spec_tags["snapshot"].items():
            ami.ebs_snapshot.add_tag(key, value)

        # [API_CopyImage] "Copies of encrypted backing snapshots for the AMI are
        # encrypted. Copies of unencrypted backing snapshots remain unencrypted,
        # unless you set Encrypted during the copy operation."
        # Encrypted: "Specifies whether the destination snapshots of the copied
        # image should be encrypted." KmsKeyId: "The identifier of the symmetric
        # Key Management Service (KMS) KMS key to use when creating encrypted
        # volumes. If this parameter is not specified, your Amazon Web Services
        # managed KMS key for Amazon EBS is used."
        source_snap = source.ebs_snapshot
        if encrypted or source_snap.encrypted:
            ami.ebs_snapshot.encrypted = True
            ami.ebs_snapshot.kms_key_id = (
                kms_key_id
                or (source_snap.kms_key_id if source_snap.encrypted else None)
                or backend.default_kms_key_id
                or f"arn:aws:kms:{region}:{account}:alias/aws/ebs"
            )

        _apply_new_image_state(ami, copy=True)
        _lag_new(backend, ami, [ami.ebs_snapshot])  # patch 14
        if token_key:
            STATE.copy_tokens[token_key] = (fingerprint, ami.id)
        return ActionResult({"ImageId": ami.id})
