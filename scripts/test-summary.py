#!/usr/bin/env python3
"""test-summary.py JUNIT [SECONDS]: counts of CTest's JUnit report.

Prints "tests: N passed, N skipped, N failed (of N) in S s" and lists the
skipped and failed tests by name. Exit status 1 when the report is missing,
empty or has failures.
"""
import sys
import xml.etree.ElementTree as ET


def main():
    path = sys.argv[1]
    seconds = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"tests: no report ({e})")
        return 1
    passed, skipped, failed = [], [], []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        status = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None or status == "fail":
            failed.append(name)
        elif case.find("skipped") is not None or status in ("disabled", "notrun"):
            skipped.append(name)
        else:
            passed.append(name)
    total = len(passed) + len(skipped) + len(failed)
    took = f" in {seconds} s" if seconds else ""
    print(f"tests: {len(passed)} passed, {len(skipped)} skipped, {len(failed)} failed (of {total}){took}")
    for name in skipped:
        print(f"  skipped: {name}")
    for name in failed:
        print(f"  FAILED:  {name}")
    return 1 if failed or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
