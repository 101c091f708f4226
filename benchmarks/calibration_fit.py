"""Time one finding's calibration (Platt fit, cross-validation, operating points, AUROC, 1000 resamples each).

``python benchmarks/calibration_fit.py [--sizes 1000 10000 100000] [--bootstrap 1000]`` prints one line per
size: cases, positives and seconds for :func:`~carzero_viewer.calibration.calibrate_finding` and for
:func:`~carzero_viewer.metrics.bootstrap_ci` alone. Synthetic scores (prevalence about 13 %, like the rarer
ChestX-ray14 labels); NumPy only, so the numbers are the fitting's cost without the model's.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from carzero_viewer.calibration import calibrate_finding
from carzero_viewer.calibration.fitting import sigmoid
from carzero_viewer.metrics import bootstrap_ci


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    for n in args.sizes:
        rng = np.random.default_rng(0)
        scores = rng.normal(0.0, 2.0, n)
        labels = rng.random(n) < sigmoid(scores - 3.0)
        started = time.perf_counter()
        calibrate_finding("finding", ("phrasing",), scores, labels, n_boot=args.bootstrap)
        fit = time.perf_counter() - started
        started = time.perf_counter()
        bootstrap_ci(labels, scores, n=args.bootstrap)
        auroc = time.perf_counter() - started
        print(
            f"n={n} positives={int(labels.sum())}: calibrate_finding {fit:.2f} s, bootstrap_ci {auroc:.2f} s"
        )


if __name__ == "__main__":
    main()
