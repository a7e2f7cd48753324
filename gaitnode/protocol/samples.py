"""Physical IMU units <-> the raw int16 counts SAMPLES frames carry.

The node sends and takes raw sensor counts; full scale (32768 counts) is the board's range, which
INFO reports (acc +-g, gyr +-deg/s, mag +-uT). The host converts sessions to counts for replay and
counts back to units when recording. (The node's own conversion is gn_input_physical in C.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode.sessions.model import STANDARD_GRAVITY

FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Ranges:
    """Full-scale ranges of the node's IMU: acc +-g, gyr +-deg/s, mag +-uT."""

    acc_g: float
    gyr_dps: float
    mag_ut: float

    def per_count(self) -> np.ndarray:
        """Units per count for the 9 axes (m/s^2, deg/s, uT)."""
        return np.repeat([self.acc_g * STANDARD_GRAVITY / FULL_SCALE, self.gyr_dps / FULL_SCALE,
                          self.mag_ut / FULL_SCALE], 3).astype(np.float64)


def to_counts(acc, gyr, mag, ranges: Ranges) -> tuple[np.ndarray, int]:
    """int16 [n, 9] counts of acc (m/s^2), gyr (deg/s), mag (uT; NaN -> 0) and the number of values
    that were outside the range and clipped (the sensor would saturate the same way)."""
    x = np.concatenate([np.asarray(acc, np.float64), np.asarray(gyr, np.float64),
                        np.nan_to_num(np.asarray(mag, np.float64), nan=0.0)], axis=1)
    c = np.rint(x / ranges.per_count())
    clipped = int(np.count_nonzero((c < -32768) | (c > 32767)))
    return np.clip(c, -32768, 32767).astype(np.int16), clipped


def from_counts(raw, ranges: Ranges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(acc m/s^2, gyr deg/s, mag uT), float32 [n, 3] each, from int16 [n, 9] counts."""
    x = (np.asarray(raw, np.float64).reshape(-1, 9) * ranges.per_count()).astype(np.float32)
    return x[:, 0:3], x[:, 3:6], x[:, 6:9]
