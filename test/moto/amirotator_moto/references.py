"""Patch 6: DescribeImageReferences for ec2:Instance and ec2:LaunchTemplate."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError, MalformedAMIIdError
from moto.ec2.responses import EC2Response

from .state import STATE


# --------------------------------------------------------------------------
# Patch 6: DescribeImageReferences (moto: not implemented -> HTTP 500)
# --------------------------------------------------------------------------
_INSTANCE_STATES = ["pending", "running", "shutting-down", "terminated", "stopping", "stopped"]


def _describe_image_references(self: EC2Response) -> ActionResult:
    # [API_DescribeImageReferences] "Describes your Amazon Web Services resources
    # that are referencing the specified images." ImageId.N: "Array Members:
    # Minimum number of 1 item. Maximum number of 10 items." / "Either
    # IncludeAllResourceTypes or ResourceTypes must be specified." /
    # IncludeAllResourceTypes: "When specified, default values are applied for
    # ResourceTypeOptions. [...] If you also specify ResourceTypes with
    # ResourceTypeOptions, your specified values override the default values."
    # [API_ResourceTypeOption] state-name: "Default: All states";
    # version-depth: "The number of launch template versions to check, starting
    # from the most recent version." "Default: 10".
    # [API_ImageReference] items: imageId, resourceType (ec2:Instance |
    # ec2:LaunchTemplate | ...), arn.  Only EC2 instances and launch templates
    # exist in this emulator; ssm:Parameter and imagebuilder:* find nothing.
    if not STATE.image_references_supported:
        # Knob for the product's fallback: where an endpoint lacks an action, EC2 answers with the common error
        # [CommonErrors] "InvalidAction: The action or operation requested is not valid."
        raise EC2ClientError("InvalidAction", "The action DescribeImageReferences is not valid for this web service.")
    image_ids = self._get_param("ImageIds", []) or []
    include_all = bool(self._get_param("IncludeAllResourceTypes", False))
    resource_types = self._get_param("ResourceTypes", []) or []
    max_results = self._get_param("MaxResults")
    next_token = self._get_param("NextToken")
    self.error_on_dryrun()

    if not image_ids:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter ImageId")
    if len(image_ids) > 10:
        raise EC2ClientError(
            "InvalidParameterValue", "The ImageId parameter accepts at most 10 image IDs."
        )
    bad = [i for i in image_ids if not str(i).startswith("ami-")]
    if bad:
        raise MalformedAMIIdError(bad)
    if not include_all and not resource_types:
        raise EC2ClientError(
            "MissingParameter",
            "Either IncludeAllResourceTypes or ResourceTypes must be specified.",
        )

    options: dict[str, dict[str, list[str]]] = {}
    if include_all:
        options["ec2:Instance"] = {}
        options["ec2:LaunchTemplate"] = {}
        options["ssm:Parameter"] = {}
        options["imagebuilder:ImageRecipe"] = {}
        options["imagebuilder:ContainerRecipe"] = {}
    for rt in resource_types:
        rtype = rt.get("ResourceType")
        opts = options.setdefault(rtype, {})
        for opt in rt.get("ResourceTypeOptions", []) or []:
            opts[opt.get("OptionName")] = list(opt.get("OptionValues", []) or [])

    backend = self.ec2_backend
    account, region = backend.account_id, backend.region_name
    wanted = set(image_ids)
    refs: list[dict[str, str]] = []

    if "ec2:Instance" in options:
        states = options["ec2:Instance"].get("state-name") or _INSTANCE_STATES
        for instance in backend.all_instances():
            if instance.image_id in wanted and instance.state in states:
                refs.append({
                    "ImageId": instance.image_id,
                    "ResourceType": "ec2:Instance",
                    "Arn": f"arn:aws:ec2:{region}:{account}:instance/{instance.id}",
                })

    if "ec2:LaunchTemplate" in options:
        depth_values = options["ec2:LaunchTemplate"].get("version-depth") or ["10"]
        try:
            depth = int(depth_values[0])
        except ValueError:
            depth = 0
        if not 1 <= depth <= 10000:
            raise EC2ClientError(
                "InvalidParameterValue",
                "version-depth must be an integer between 1 and 10000.",
            )
        for template in list(backend.launch_templates.values()):
            for version in reversed(template.versions[-depth:]):
                if version.image_id in wanted:
                    refs.append({
                        "ImageId": version.image_id,
                        "ResourceType": "ec2:LaunchTemplate",
                        "Arn": f"arn:aws:ec2:{region}:{account}:launch-template/{template.id}/{version.number}",
                    })

    start = int(next_token) if next_token and str(next_token).isdigit() else 0
    page_size = int(max_results) if max_results else len(refs) or 1
    page = refs[start:start + page_size]
    result: dict[str, Any] = {"ImageReferences": page}
    if start + page_size < len(refs):
        result["NextToken"] = str(start + page_size)
    return ActionResult(result)
