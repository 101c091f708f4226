"""The suite's tolerance policy itself: loose enough for any CPU's float noise, tight enough for a real bug."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tolerances import assert_close, assert_differs, bound


def test_cpu_noise_passes_at_every_magnitude() -> None:
    for scale in (1e-3, 1.0, 2.0, 300.0):
        reference = np.linspace(-scale, scale, 11)
        assert_close(reference + 1.67e-6 * max(1.0, scale), reference)  # the AVX-512 BERT deviation, scaled


@pytest.mark.parametrize("scale", [1e-3, 1.0, 2.0, 300.0])
def test_a_real_error_fails_at_every_magnitude(scale: float) -> None:
    reference = np.linspace(-scale, scale, 11)
    wrong = reference.copy()
    wrong[3] += 1e-3 * max(1.0, scale)
    with pytest.raises(AssertionError, match="max deviation"):
        assert_close(wrong, reference)
    assert_differs(wrong, reference)


def test_nans_must_sit_at_the_same_places_and_shapes_must_match() -> None:
    assert_close([np.nan, 1.0], [np.nan, 1.0])
    with pytest.raises(AssertionError, match="NaN"):
        assert_close([np.nan, 1.0], [0.0, 1.0])
    with pytest.raises(AssertionError, match="shape"):
        assert_close([1.0, 1.0], [1.0])
    assert bound(np.zeros(0)) == pytest.approx(1e-5)
