#!/usr/bin/env python3
"""Runs the real AWS SAM transform (samtranslator, shipped with cfn-lint) over template.yaml.

CloudFormation expands `Transform: AWS::Serverless-2016-10-31` server-side before it creates anything, so the
role IAM sees is the transformed one. This script produces that same document locally:

    scripts/sam_transform.py template.yaml                      # JSON on stdout, as `sam deploy` would submit it
    scripts/sam_transform.py template.yaml --stackset -o out.yaml

`--stackset` writes plain CloudFormation with no Transform, for service-managed StackSets, which accept no macros
(API_CreateStackSet, CAPABILITY_AUTO_EXPAND: "StackSets doesn't support macros"). The code location becomes two
parameters (CodeS3Bucket, CodeS3Key), so one template serves every account; managed-policy ARNs name the
partition through AWS::Partition instead of the literal one the transform writes for its own Region.

Without --stackset the function's CodeUri is replaced by a placeholder S3 location, exactly as `sam deploy`
replaces the local path with the uploaded artifact before CloudFormation sees the template.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from cfnlint.data import Serverless
from cfnlint.decode import cfn_yaml
from cfnlint.helpers import load_resource
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator

logging.getLogger("samtranslator").setLevel(logging.CRITICAL)

CODE_PARAMETERS = {
    "CodeS3Bucket": {
        "Type": "String",
        "Description": (
            "S3 bucket holding the packaged function (the zip with the native bootstrap). Lambda reads code only "
            "from a bucket in the function's own Region, and every target account must be allowed to read it."
        ),
        "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        "ConstraintDescription": "must be an S3 bucket name.",
    },
    "CodeS3Key": {
        "Type": "String",
        "Description": "Key of the packaged function zip in CodeS3Bucket (for example ami-rotator/bootstrap.zip).",
        "AllowedPattern": "^[^\\s]{1,1024}$",
        "ConstraintDescription": "must be an S3 object key without spaces.",
    },
}

# `sam deploy` uploads CodeUri and puts its S3 location here before CloudFormation runs the transform.
PLACEHOLDER_CODE = "s3://amirotator-artifacts-placeholder/ami-rotator/bootstrap.zip"


def load(path: str) -> dict[str, Any]:
    # cfn-lint's loader understands the short-form intrinsics (!Ref, !Sub, ...) and yields plain dict/list nodes.
    return json.loads(json.dumps(cfn_yaml.load(path)))


def transform(template: dict[str, Any], stackset: bool) -> dict[str, Any]:
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = (
                {"Bucket": {"Ref": "CodeS3Bucket"}, "Key": {"Ref": "CodeS3Key"}} if stackset else PLACEHOLDER_CODE
            )
            if stackset:
                # BuildMethod tells `sam build` how to build; a packaged template has nothing left to build.
                resource.pop("Metadata", None)
    if stackset:
        template.setdefault("Parameters", {}).update(CODE_PARAMETERS)
        groups = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {}).get("ParameterGroups", [])
        groups.append({"Label": {"default": "Code location"}, "Parameters": list(CODE_PARAMETERS)})

    # The transform reads the Region (for ARNs it writes) from the standard variable; the StackSet output replaces
    # the one partition-specific value it produces.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translator = Translator(managed_policy_map=load_resource(Serverless, "ManagedPolicies.json"), sam_parser=parser.Parser())
    output = translator.translate(sam_template=template, parameter_values={}, passthrough_metadata=not stackset)
    output = json.loads(json.dumps(output))
    if stackset:
        output = _partition_neutral(output)
        output["Description"] = output.get("Description", "") + " (StackSet edition: plain CloudFormation, no Transform.)"
    return output


def _partition_neutral(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _partition_neutral(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_partition_neutral(item) for item in node]
    if isinstance(node, str) and node.startswith("arn:aws:iam::aws:policy/"):
        return {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + node[len("arn:aws:iam::aws:policy/"):]}
    return node


def dump_yaml(document: dict[str, Any]) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    # Long strings (descriptions, patterns) stay on one line; yaml's default width would fold them.
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, width=10_000, allow_unicode=True)


def main(argv: list[str] | None = None) -> int:
    parser_ = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser_.add_argument("template", help="the SAM template (template.yaml)")
    parser_.add_argument("--stackset", action="store_true", help="plain CloudFormation for StackSets, code location as parameters")
    parser_.add_argument("-o", "--output", help="write here instead of stdout (YAML when it ends in .yaml/.yml, else JSON)")
    args = parser_.parse_args(argv)

    try:
        output = transform(load(args.template), args.stackset)
    except Exception as error:  # noqa: BLE001 - any transform failure is reported the same way
        causes = getattr(error, "causes", None) or [error]
        for cause in causes:
            print(f"sam_transform: {getattr(cause, 'message', cause)}", file=sys.stderr)
        return 1

    as_yaml = bool(args.output) and args.output.endswith((".yaml", ".yml"))
    text = dump_yaml(output) if as_yaml else json.dumps(output, indent=1) + "\n"
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
