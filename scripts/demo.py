#!/usr/bin/env python3
"""`make demo`: a real AmiRotator pass, end to end, with no AWS account.

scripts/with-moto has started our patched EC2 emulator (moto) and exported AMIROTATOR_MOTO_URL. This script seeds
instances in two Regions, then runs the real native `bootstrap` twice (one function per Region, each using the
other Region for DR) behind a local stand-in for the Lambda Runtime API, and prints what happened.
"""
import argparse
import os
import sys
import tempfile

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runtime_api_standin import Function  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
SCHEDULED = "2026-11-26T03:00:00Z"
BOLD, DIM, GREEN, RED, RESET = ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m") if sys.stdout.isatty() else ("",) * 5


def ec2(region):
    return boto3.client("ec2", region_name=region, endpoint_url=os.environ["AMIROTATOR_MOTO_URL"],
                        aws_access_key_id="test", aws_secret_access_key="test")


def seed(region, instances):
    client = ec2(region)
    base = client.register_image(Name="golden-base-%s" % region, Description="a hand-made AMI AmiRotator must never touch")["ImageId"]
    ids = {}
    for name, tagged in instances:
        tags = [{"Key": "Name", "Value": name}] + ([{"Key": "Backup", "Value": "true"}] if tagged else [])
        run = client.run_instances(ImageId=base, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                   TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
        ids[name] = run["Instances"][0]["InstanceId"]
    return base, ids


def moto(path, body):
    """Our emulator's knobs: new images start 'pending' as on AWS, and we flip them when EC2 would."""
    import json
    import urllib.request
    request = urllib.request.Request(os.environ["AMIROTATOR_MOTO_URL"] + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


def step(title):
    print("\n%s== %s%s" % (BOLD, title, RESET))


def show_result(label, result):
    body = result["json"] or {}
    if result["kind"] == "error":
        print("  %s%s -> function error %s: %s%s" % (RED, label, result["errorType"], body.get("errorMessage"), RESET))
        return body
    counts = ", ".join("%d %s" % (len(body.get(k, [])), k) for k in ("created", "copied", "retired", "deletedSnapshots", "skipped", "failures"))
    print("  %s -> %s%s" % (label, counts, " (dry run)" if body.get("dryRun") else ""))
    return body


def preflight(function):
    result = function.invoke({"action": "preflight"})
    body = result["json"] or {}
    if result["kind"] == "error":
        print("  %spreflight -> function error %s%s" % (RED, result["errorType"], RESET))
        print("    %s" % body.get("errorMessage"))
        return body
    print("  preflight -> %s" % body.get("message"))
    for row in body.get("permissions", []):
        print("    %-28s %-9s %-9s %s" % (row["permission"], row["region"], row["verdict"], row["subject"]))
    return body


def print_region(region):
    client = ec2(region)
    images = client.describe_images(Owners=["self"])["Images"]
    print("\n  %s%s%s" % (BOLD, region, RESET))
    print("  %-22s %-9s %-46s %s" % ("IMAGE", "STATE", "NAME", "TAGS"))
    for image in sorted(images, key=lambda i: i["Name"]):
        tags = {t["Key"]: t["Value"] for t in image.get("Tags", [])}
        shown = ", ".join("%s=%s" % (k.replace("ami-rotator:", ""), v) for k, v in sorted(tags.items()) if k != "ami-rotator:scheduled-time")
        print("  %-22s %-9s %-46s %s" % (image["ImageId"], image["State"], image["Name"][:46], shown or DIM + "(not managed)" + RESET))
    snapshots = client.describe_snapshots(Filters=[{"Name": "tag:ami-rotator:managed", "Values": ["true"]}, {"Name": "owner-id", "Values": ["123456789012"]}])["Snapshots"]
    used = {bdm["Ebs"]["SnapshotId"] for i in images for bdm in i.get("BlockDeviceMappings", []) if "Ebs" in bdm and bdm["Ebs"].get("SnapshotId")}
    print("  managed snapshots: %d, of which orphaned: %d" % (len(snapshots), len([s for s in snapshots if s["SnapshotId"] not in used])))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    args = parser.parse_args()
    log_path = os.path.join(tempfile.gettempdir(), "amirotator-demo.log")
    open(log_path, "w").close()

    step("Seeding the EC2 emulator")
    _, east = seed(EAST, [("web-1", True), ("web-2", True), ("scratch", False)])
    ec2(EAST).create_tags(Resources=[east["web-2"]], Tags=[{"Key": "ami-rotator:retention", "Value": "keep-last=1"}])
    _, west = seed(WEST, [("db-1", True), ("build-box", False)])
    print("  %s: %s" % (EAST, ", ".join("%s %s%s" % (k, v, {"scratch": " (no Backup tag)", "web-2": " (ami-rotator:retention=keep-last=1)"}.get(k, "")) for k, v in east.items())))
    print("  %s: %s" % (WEST, ", ".join("%s %s%s" % (k, v, "" if k != "build-box" else " (no Backup tag)") for k, v in west.items())))

    common = {"AWS_ENDPOINT_URL": os.environ["AMIROTATOR_MOTO_URL"], "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
              "BACKUP_TAG": "Backup=true", "RETENTION": "keep-daily=7,keep-weekly=4", "NO_REBOOT": "true"}
    functions = {
        EAST: Function(args.bootstrap, dict(common, AWS_REGION=EAST, DR_REGION=WEST), "ami-rotator-east", log_path=log_path),
        WEST: Function(args.bootstrap, dict(common, AWS_REGION=WEST, DR_REGION=EAST), "ami-rotator-west", log_path=log_path),
    }
    scheduled_event = {"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "Scheduled Event",
                       "source": "aws.events", "account": "123456789012", "time": SCHEDULED, "detail": {}}
    failures = 0
    moto("/_amirotator/config", {"newImageState": "pending"})
    try:
        step("Dry run first: {\"action\":\"run\",\"dryRun\":true} in %s" % EAST)
        plan = show_result("dry run", functions[EAST].invoke({"action": "run", "dryRun": True, "scheduledTime": SCHEDULED}))
        for entry in plan.get("created", []):
            print("    would create %s (%s)" % (entry["name"], "; ".join(entry.get("reasons", []))))

        for region, function in functions.items():
            step("Nightly Scheduled Event for %s, delivered three times (EventBridge delivers at least once)" % region)
            created = []
            for attempt in (1, 2, 3):
                body = show_result("delivery %d" % attempt, function.invoke(dict(scheduled_event, region=region)))
                created += body.get("created", [])
                failures += len(body.get("failures", []))
                if attempt == 2:
                    for reason in sorted({s["reason"].split(" (")[0].split(" ami-rotator-")[0] for s in body.get("skipped", [])}):
                        print("    skipped: %s" % reason)
            for entry in created:
                print("    created %s %s (pending)" % (entry["imageId"], entry["name"]))

            step("The new images in %s turn available; EventBridge sends 'EC2 AMI State Change' -> copy to the DR Region" % region)
            for entry in created:
                moto("/_amirotator/images/%s/state" % entry["imageId"], {"state": "available"})
                event = {"version": "0", "id": "ami-event", "detail-type": "EC2 AMI State Change", "source": "aws.ec2",
                         "account": "123456789012", "time": SCHEDULED, "region": region, "resources": [],
                         "detail": {"RequestId": "demo", "ImageId": entry["imageId"], "State": "available", "ErrorMessage": ""}}
                for attempt in (1, 2):
                    body = show_result("%s event %d" % (entry["imageId"], attempt), function.invoke(event))
                    for copy in body.get("copied", []):
                        print("    copied %s -> %s in %s (a redelivered event finds the copy and does nothing)" % (copy["sourceImageId"], copy["imageId"], copy["region"]))
                        moto("/_amirotator/images/%s/state" % copy["imageId"], {"state": "available"})

        step("The next night in %s (images turn available at once now): back up, copy, then prune for real" % EAST)
        moto("/_amirotator/config", {"newImageState": "available"})
        body = show_result("2026-11-27 schedule", functions[EAST].invoke(dict(scheduled_event, region=EAST, time="2026-11-27T03:00:00Z")))
        failures += len(body.get("failures", []))
        body = show_result("copy sweep", functions[EAST].invoke({"action": "copy"}))
        failures += len(body.get("failures", []))
        body = show_result("prune", functions[EAST].invoke({"action": "prune"}))
        failures += len(body.get("failures", []))
        for entry in body.get("retired", []):
            print("    retired %s in %s (%s): %s" % (entry["imageId"], entry["region"], entry["instanceId"], ", ".join(entry["reasons"])))
        for entry in body.get("deletedSnapshots", []):
            print("    deleted snapshot %s in %s: %s" % (entry["snapshotId"], entry["region"], entry["reason"]))

        step("Prune dry run in %s: every decision with its reasons" % EAST)
        body = show_result("prune dry run", functions[EAST].invoke({"action": "prune", "dryRun": True}))
        for entry in body.get("kept", []):
            print("    keep   %s %-9s %s" % (entry["imageId"], entry["region"], ", ".join(entry["reasons"])))
        for entry in body.get("retired", []):
            print("    retire %s %-9s %s" % (entry["imageId"], entry["region"], ", ".join(entry["reasons"])))

        step("Recovery-point report for %s" % EAST)
        body = show_result("report", functions[EAST].invoke({"action": "report"}))
        for point in body.get("recoveryPoints", []):
            print("    %s %-9s newest %s age %sh -> %s" % (point["instanceId"], point["region"], point.get("newestImageId"), point.get("ageHours"), point["status"]))

        step("Preflight in %s: every mutating request sent with DryRun=true, nothing changed" % EAST)
        body = preflight(functions[EAST])
        moto("/_amirotator/config", {"deny": ["%s:CopyImage" % WEST]})
        step("Preflight again, with IAM denying CopyImage in %s (the emulator's knob)" % WEST)
        denied = preflight(functions[EAST])
        moto("/_amirotator/config", {"deny": []})
        if body.get("failures") or not denied.get("errorMessage"):
            failures += 1

        step("Bad input is refused before any EC2 call")
        show_result("{\"action\":\"explode\"}", functions[EAST].invoke({"action": "explode"}))
    finally:
        for function in functions.values():
            function.close()

    step("What EC2 holds now")
    print_region(EAST)
    print_region(WEST)
    print("\n%sThe function's JSON log lines are in %s%s" % (DIM, log_path, RESET))
    if failures:
        print("%s%d failures%s" % (RED, failures, RESET))
        return 1
    print("%sDemo finished: one AMI per tagged instance and scheduled time, one DR copy per AMI, web-2 pruned to keep-last=1 in both Regions, no orphaned snapshot, nothing untagged or hand-made touched.%s" % (GREEN, RESET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
