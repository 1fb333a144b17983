#!/usr/bin/env python3
"""Reads Stryker.NET's JSON reports and prints one mutation score per folder; fails if any is below MUTATION_MIN.

Usage: mutation-score.py [--survivors] NAME=REPORT.json [NAME=REPORT.json ...]

NAME is the folder under src/AmiRotator (retention, planning, invocation; any case): Stryker compiles the whole
project, so only that folder's files are counted. The score is Stryker's own: (killed + timeout) / (killed + timeout +
survived + no coverage). Not valid mutants, so not in the score: `ignored` (a `// Stryker disable` comment, i.e. a
recorded equivalent), `deduped` (a block removal Stryker skips because the block's statements are mutated already)
and compile errors.
"""
import json
import os
import sys

COUNTED = ("Killed", "Timeout", "Survived", "NoCoverage")


def tally(name, report_path):
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    counts = {status: 0 for status in ("Killed", "Timeout", "Survived", "NoCoverage", "Ignored", "Deduped", "CompileError", "RuntimeError")}
    survivors = []
    folder = f"/src/amirotator/{name.lower()}/"
    for path, entry in sorted(report["files"].items()):
        if folder not in path.replace(os.sep, "/").lower():
            continue
        source = entry.get("source", "").splitlines()
        for mutant in entry["mutants"]:
            status = mutant["status"]
            if status == "Ignored" and mutant.get("statusReason", "").startswith("Removed by block already covered"):
                status = "Deduped"
            counts[status] = counts.get(status, 0) + 1
            if status in ("Survived", "NoCoverage"):
                line = mutant["location"]["start"]["line"]
                code = source[line - 1].strip() if 0 < line <= len(source) else ""
                survivors.append(f"  {status:10} {os.path.relpath(path)}:{line} {mutant['mutatorName']}: "
                                 f"{mutant.get('replacement', '')!r:.90}  | {code:.110}")
    return counts, survivors


def main(argv):
    show_survivors = "--survivors" in argv
    pairs = [a for a in argv if a != "--survivors"]
    if not pairs:
        print(__doc__, file=sys.stderr)
        return 2
    minimum = float(os.environ.get("MUTATION_MIN", "95"))
    failed = []
    print(f"{'folder':<12} {'score':>7} {'tested':>7} {'killed':>7} {'survived':>9} {'timeout':>8} {'no-cov':>7} {'ignored':>8} {'deduped':>8} {'compile-err':>12}")
    for pair in pairs:
        name, _, path = pair.partition("=")
        if not os.path.exists(path):
            print(f"{name:<12} no report at {path}")
            failed.append(name)
            continue
        c, survivors = tally(name, path)
        valid = sum(c[s] for s in COUNTED)
        score = 100.0 * (c["Killed"] + c["Timeout"]) / valid if valid else 100.0
        print(f"{name:<12} {score:6.2f}% {valid:>7} {c['Killed']:>7} {c['Survived']:>9} {c['Timeout']:>8} {c['NoCoverage']:>7} {c['Ignored']:>8} {c['Deduped']:>8} {c['CompileError']:>12}")
        if show_survivors:
            print("\n".join(survivors))
        if score < minimum:
            failed.append(name)
    if failed:
        print(f"below MUTATION_MIN={minimum:g}%: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
