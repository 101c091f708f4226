"""Run every benchmark in its own process and print one merged JSON document (``make bench``).

Each script prints JSON on stdout; a failing script is reported with its exit code and the tail of its stderr
instead of stopping the others. The fuzz run is included because its counts belong in the same report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "latency.py",
    "throughput.py",
    "imaging_load.py",
    "gui_window_level.py",
    "gui_latency.py",
    "fuzz_imaging.py",
)


def run(script: str) -> object:
    done = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}", "stderr": done.stderr[-2000:]}
    try:
        return json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        return {"error": "no JSON on stdout", "stdout": done.stdout[-2000:]}


def main() -> int:
    report = {}
    for script in SCRIPTS:
        print(f"running {script}…", file=sys.stderr, flush=True)
        report[Path(script).stem] = run(script)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
