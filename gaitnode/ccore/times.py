"""Sample times <-> the C core's sample indices: gap flags in, event times out."""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError

GAP_FACTOR = 1.5  # a time step above 1.5 sample periods means samples are missing


def gaps_from_times(t_s: np.ndarray, rate_hz: float, what: str) -> np.ndarray:
    """uint8 [N]: 1 before each sample whose time step exceeds GAP_FACTOR sample periods.

    t_s: sample times in s, strictly increasing and finite (else GaitnodeError naming `what`).
    """
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise GaitnodeError(f"{what}: t_s must be one-dimensional, got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise GaitnodeError(f"{what}: t_s has a non-finite value at index {int(np.argmin(np.isfinite(t)))}")
    dt = np.diff(t)
    if np.any(dt <= 0):
        i = int(np.argmax(dt <= 0))
        raise GaitnodeError(f"{what}: t_s is not strictly increasing at index {i + 1} "
                            f"({t[i]:.6f} s then {t[i + 1]:.6f} s)")
    gap = np.zeros(len(t), dtype=np.uint8)
    gap[1:] = dt > GAP_FACTOR / rate_hz
    return gap


def event_times(idx: np.ndarray, frac: np.ndarray, rate_hz: float, t_s: np.ndarray | None) -> np.ndarray:
    """Event times in s: t_s[idx] + frac / rate_hz (t_s None: idx / rate_hz)."""
    base = idx / rate_hz if t_s is None else np.asarray(t_s, dtype=np.float64)[idx]
    return base + frac / rate_hz
