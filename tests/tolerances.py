"""The suite's one numeric tolerance policy: ``max |ours - reference| <= rel * max(1, max |reference|)``.

Why this form: float32 results computed in another summation order (AVX2 vs AVX-512/AMX oneDNN kernels,
another thread count, a batch instead of one item) differ by a few ulps of the *largest* values involved, so
an absolute bound that holds on one CPU fails on the next (1.67e-6 against 1e-6 on an AVX-512 Xeon), while a
bound scaled to the magnitude (never below ``rel`` itself, so values near zero are not held to ulps of zero)
holds on any of them. ``RELATIVE = 1e-5`` is the fidelity fixture's policy: about 100x the float32 noise seen
on every machine so far (<= 2e-6 relative), and still 100x below the 1e-3 that a real bug (a wrong constant,
a missing mask, the wrong decode) produces. Checks that use another ``rel`` say why next to the call.
Exact results (integers, uint8 images, the same computation twice in one process) are compared exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RELATIVE = 1e-5
# 8-bit renderings compared with a float formula: a value landing at an exact .5 may round either way
# (float32 vs float64, a LUT index vs the formula, fixed-point luma), so one grey level is the honest bound.
GREY_LEVEL = 1


def bound(reference: Any, rel: float = RELATIVE) -> float:
    """The allowed max deviation from ``reference``: ``rel * max(1, max |reference|)``."""
    values = np.asarray(reference, dtype=np.float64)
    return rel * max(1.0, float(np.abs(values).max(initial=0.0)))


def deviation(ours: Any, reference: Any) -> float:
    """``max |ours - reference|`` (0 for empty arrays); the shapes must match."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    return float(np.abs(a - b).max(initial=0.0))


def assert_close(ours: Any, reference: Any, name: str = "values", rel: float = RELATIVE) -> None:
    """Fail unless ``ours`` equals ``reference`` within :func:`bound` (NaNs must sit at the same places)."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    assert a.shape == b.shape, f"{name}: shape {a.shape} != {b.shape}"
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    assert np.array_equal(nan_a, nan_b), f"{name}: NaNs at different places"
    worst = deviation(np.where(nan_a, 0.0, a), np.where(nan_b, 0.0, b))
    allowed = bound(np.where(nan_b, 0.0, b), rel)
    assert worst <= allowed, f"{name}: max deviation {worst:.3g} > {allowed:.3g}"


def assert_differs(ours: Any, reference: Any, name: str = "values", rel: float = RELATIVE) -> None:
    """Fail unless ``ours`` differs from ``reference`` by clearly more than the tolerance (10x :func:`bound`).

    The counterpart of :func:`assert_close` for "this setting must change the result" checks, so the positive
    check beside it is known to be able to fail.
    """
    worst = deviation(ours, reference)
    allowed = 10 * bound(reference, rel)
    assert worst > allowed, f"{name}: max deviation {worst:.3g} is not above {allowed:.3g}"
