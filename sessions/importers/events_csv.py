"""Reference gait events from a CSV file (for evaluating detectors).

Columns (header required, names case-insensitive, any order, other columns ignored):

  t_s    event time, seconds on the session's device clock
  event  HS, FF, HO, TO; synonyms heel_strike / IC / initial_contact (HS),
         foot_flat (FF), heel_off (HO), toe_off / FO / foot_off (TO)
  side   left / right / L / R

Rows need not be sorted; the returned Events are sorted by time (stable).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gaitnode.errors import InputFileError
from gaitnode.sessions.importers.csv_table import parse_table, read_text
from gaitnode.sessions.model import EVENT_KINDS, SIDES, Events

EVENT_SYNONYMS = {
    "hs": "HS", "heel_strike": "HS", "heelstrike": "HS", "ic": "HS", "initial_contact": "HS",
    "ff": "FF", "foot_flat": "FF",
    "ho": "HO", "heel_off": "HO",
    "to": "TO", "toe_off": "TO", "fo": "TO", "foot_off": "TO",
}
SIDE_SYNONYMS = {"left": "left", "l": "left", "right": "right", "r": "right"}


def _codes(path: Path, col: pd.Series, name: str, synonyms: dict[str, str], targets: tuple[str, ...]) -> np.ndarray:
    text = col.fillna("").astype(str).str.strip().str.lower()
    codes = text.map({k: targets.index(v) for k, v in synonyms.items()})
    if codes.isna().any():
        i = int(np.argmax(codes.isna().to_numpy()))
        raise InputFileError(f"{path}: line {i + 2}, column {name}: {col.iloc[i]!r} is not a known {name} "
                             f"(accepted: {', '.join(synonyms)})")
    return codes.to_numpy(dtype=np.int8)


def read_events_csv(path) -> Events:
    """Read reference gait events (times in s) into model.Events, sorted by time.

    Raises InputFileError naming file, line and column for malformed input.
    """
    path = Path(path)
    df = parse_table(path, read_text(path, what="a header t_s,event,side"), dtype=str, keep_default_na=False)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("t_s", "event", "side") if c not in df.columns]
    if missing:
        raise InputFileError(f"{path}: line 1: required column(s) {', '.join(missing)} missing "
                             f"(expected t_s,event,side)")
    t = pd.to_numeric(df["t_s"].str.strip(), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(t)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputFileError(f"{path}: line {i + 2}, column t_s: {df['t_s'].iloc[i]!r} is not a finite time in s")
    kind = _codes(path, df["event"], "event", EVENT_SYNONYMS, EVENT_KINDS)
    side = _codes(path, df["side"], "side", SIDE_SYNONYMS, SIDES)
    order = np.argsort(t, kind="stable")
    return Events(t[order], kind[order], side[order])
