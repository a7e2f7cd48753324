"""Unit tables and the `--units` / `--axes` option parsers shared by the importers.

Every quantity has one canonical unit (the data model's): acc m/s^2, gyr deg/s, mag uT,
hr bpm, vo2 ml/min, speed m/s, grade %, cadence steps/min. Each table maps a unit
name (normalised by `normalise_unit`) to the factor that converts it to the canonical unit.
"""

from __future__ import annotations

import math
import re

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import STANDARD_GRAVITY as G0

UNITS: dict[str, dict[str, float]] = {
    "acc": {"m/s2": 1.0, "g": G0, "mg": G0 * 1e-3},
    "gyr": {"deg/s": 1.0, "dps": 1.0, "rad/s": 180.0 / math.pi, "mdps": 1e-3},
    "mag": {"ut": 1.0, "gauss": 100.0, "gs": 100.0, "mt": 1000.0, "nt": 1e-3},
    "hr": {"bpm": 1.0, "1/min": 1.0},
    "vo2": {"ml/min": 1.0, "l/min": 1000.0},
    "speed": {"m/s": 1.0, "km/h": 1 / 3.6},
    "grade": {"%": 1.0},
    "cadence": {"steps/min": 1.0, "spm": 1.0},
}
CANONICAL = {q: next(iter(t)) for q, t in UNITS.items()}


def normalise_unit(unit: str) -> str:
    """Spelling-tolerant unit key: 'm/s^2', 'm/s²' -> 'm/s2'; 'µT' -> 'ut'; '°/s' -> 'deg/s'."""
    u = unit.strip().replace("µ", "u").replace("μ", "u").replace("°", "deg").replace("²", "2")
    u = u.replace("**2", "2").replace("^2", "2").replace(" ", "")
    return u.lower()


def unit_factor(quantity: str, unit: str, where: str) -> float:
    """Factor converting `unit` to the canonical unit of `quantity`; `where` prefixes the error."""
    table = UNITS[quantity]
    key = normalise_unit(unit)
    if key not in table:
        raise GaitnodeError(f"{where}: unit {unit!r} is not a known {quantity} unit "
                            f"(known: {', '.join(table)})")
    return table[key]


def parse_units_spec(spec: str | None) -> dict[str, str]:
    """Parse `acc=g,gyr=rad/s,mag=gauss` into {quantity: unit}, checking every name."""
    out: dict[str, str] = {}
    if not spec:
        return out
    for item in spec.split(","):
        if not item.strip():
            continue
        q, sep, unit = item.partition("=")
        q = q.strip().lower()
        if not sep or not unit.strip():
            raise GaitnodeError(f"--units {spec!r}: item {item.strip()!r} is not quantity=unit (e.g. acc=g)")
        if q not in UNITS:
            raise GaitnodeError(f"--units {spec!r}: unknown quantity {q!r} (known: {', '.join(UNITS)})")
        unit_factor(q, unit, f"--units {spec!r}")
        out[q] = unit.strip()
    return out


_AXIS_RE = re.compile(r"^([+-]?)([xyz])$")


def parse_axes_spec(spec: str | None) -> np.ndarray | None:
    """Parse `x=-y,y=x,z=z` into a 3x3 signed permutation R with new = R @ old.

    Each of x, y, z must be assigned once, and each source axis used once; the same
    remap applies to acc, gyr and mag. Returns None for an empty spec.
    """
    if not spec:
        return None
    r = np.zeros((3, 3))
    seen_new: set[str] = set()
    for item in spec.split(","):
        new, sep, old = (s.strip().lower() for s in item.partition("="))
        m = _AXIS_RE.match(old)
        if not sep or new not in ("x", "y", "z") or not m:
            raise GaitnodeError(f"--axes {spec!r}: item {item.strip()!r} is not axis=[-]axis (e.g. x=-y)")
        if new in seen_new:
            raise GaitnodeError(f"--axes {spec!r}: axis {new} is assigned twice")
        seen_new.add(new)
        r["xyz".index(new), "xyz".index(m.group(2))] = -1.0 if m.group(1) == "-" else 1.0
    if seen_new != {"x", "y", "z"}:
        raise GaitnodeError(f"--axes {spec!r}: every axis x, y, z must be assigned once "
                            f"(missing {', '.join(sorted({'x', 'y', 'z'} - seen_new))})")
    if not np.all(np.abs(r).sum(axis=0) == 1):
        raise GaitnodeError(f"--axes {spec!r}: each source axis must be used exactly once "
                            f"(a signed permutation of x, y, z)")
    return r
