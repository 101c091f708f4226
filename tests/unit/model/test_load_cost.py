"""Loading a model stays cheap: nothing on the load path may drag in transformers or torch's compiler stack.

Both were measured to dominate the start-up time (transformers ~2.5 s to import; ``torch._dynamo`` ~2.9 s,
pulled in by a random initialisation on the meta device), so a regression shows up here, not only in a
benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from pathlib import Path
from carzero_viewer.model.loader import load_model
from carzero_viewer.paths import resolve_weights_folder
load_model(resolve_weights_folder(Path(sys.argv[1])))
print(json.dumps(sorted(m for m in ("transformers", "torch._dynamo", "sympy") if m in sys.modules)))
"""


def test_loading_imports_neither_transformers_nor_dynamo(fixture_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(fixture_dir)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
