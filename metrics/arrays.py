"""Input checks shared by the metrics: finite 1-D float arrays, or one clear error."""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError


def finite_1d(name: str, values, what: str = "values", *, allow_empty: bool = True) -> np.ndarray:
    """`values` as a finite 1-D float64 array; GaitnodeError naming `name` and the bad index otherwise."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise GaitnodeError(f"{name}: {what} must be numbers ({e})") from None
    if a.ndim != 1:
        raise GaitnodeError(f"{name}: {what} must be a 1-D array, got shape {a.shape}")
    if not allow_empty and len(a) == 0:
        raise GaitnodeError(f"{name}: no {what} to evaluate")
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.argmax(bad))
        raise GaitnodeError(f"{name}: entry at index {i} is {a[i]} ({what} must be finite)")
    return a
