"""``carzero-viewer selftest``: check this installation against the bundled fidelity fixture."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "selftest",
        help="reproduce the bundled fidelity fixture (its 8-bit image and a 16-bit PNG); prints pass/fail",
    )
    parser.add_argument("--fixture", type=Path, help="fixture folder (default: the bundled one)")


def run(args: argparse.Namespace) -> int:
    from carzero_viewer.inference.selftest import TOLERANCE, run_selftest

    checks = run_selftest(args.fixture)
    for check in checks:
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.name:<26} deviation {check.deviation:.2e}")
    worst = max(checks, key=lambda c: c.deviation)
    passed = all(c.passed for c in checks)
    verdict = "PASS" if passed else "FAIL"
    print(f"{verdict}: worst deviation {worst.deviation:.2e} ({worst.name}), tolerance {TOLERANCE:.0e}")
    return 0 if passed else 1
