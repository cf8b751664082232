"""Fail CI when the real-data tests did not run: none collected, or any skipped."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(path: str) -> int:
    root = ET.parse(path).getroot()
    ran = skipped = 0
    for case in root.iter("testcase"):
        if ".realdata." not in case.get("classname", "") + ".":
            continue
        if case.find("skipped") is not None:
            skipped += 1
        else:
            ran += 1
    print(f"real-data tests: {ran} ran, {skipped} skipped")
    if ran == 0 or skipped:
        print("FAIL: the real-data tests must all run in CI", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
