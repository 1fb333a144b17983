#!/usr/bin/env python3
"""Prints the plain closing line CI reads ('N passed, N failed, N skipped') from the TRX files of a test run."""
import glob
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/*.trx")
for path in files:
    counters = ET.parse(path).getroot().find(NS + "ResultSummary/" + NS + "Counters")
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
if not files:
    print("tests: no result files in %s" % sys.argv[1])
    sys.exit(1)
print("tests: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 else 0)
