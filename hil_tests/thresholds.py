"""Sessions the HIL suite replays and the pass thresholds stored beside each one.

Every `<stem>.gns` may have a `<stem>.json` beside it:

    {"f1_min": {"nn": 0.85, "classical": 0.9}, "vo2_mape_max": {"acsm": 30.0, "cnn_lstm": 15.0},
     "phase_accuracy_min": 0.8, "activity_accuracy_min": 0.9,
     "tolerance_s": 0.05, "note": "why these numbers"}

f1_min: the least heel-strike F1 per detector (matching within ±tolerance_s of the reference);
"nn" applies only to a node that runs a heel-strike model. vo2_mape_max: per VO2 estimator of the
node ("acsm": the ACSM equations every node runs once CONFIG gives the subject's height;
"cnn_lstm": the VO2 model, on nodes that carry one), the largest mean absolute percentage error (%)
of its estimates against the session's VO2 reference; null for an estimator (or for the whole
field): not checked on this session, e.g. no VO2 reference. phase_accuracy_min: the least per-sample
accuracy of the node's gait phases (PHASE frames) against the session's `phase` labels, over the
labelled samples the node covered (nodes with a phase model); activity_accuracy_min: the least
accuracy of its ACTIVITY windows against the session's `activity` label at each window's last
sample, unknown labels and classes the model lacks left out (nodes with an activity model); null:
not checked on this session, e.g. no such labels. A session without a thresholds file
gets DEFAULT; a file may give only some fields, the rest are DEFAULT's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from gaitnode.errors import GaitnodeError

COMMITTED_DIR = Path(__file__).resolve().parent / "sessions"
DETECTORS = ("nn", "classical")
VO2_ESTIMATORS = ("acsm", "cnn_lstm")

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "f1_min": {"type": "object", "additionalProperties": False,
                   "properties": {d: {"type": "number", "minimum": 0, "maximum": 1} for d in DETECTORS}},
        "vo2_mape_max": {"type": ["object", "null"], "additionalProperties": False,
                         "properties": {e: {"type": ["number", "null"], "exclusiveMinimum": 0}
                                        for e in VO2_ESTIMATORS}},
        "phase_accuracy_min": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "activity_accuracy_min": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "tolerance_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.5},
        "note": {"type": "string"},
    },
}


@dataclass(frozen=True)
class Thresholds:
    f1_min: dict[str, float] = field(default_factory=lambda: {"nn": 0.8, "classical": 0.8})
    vo2_mape_max: dict[str, float | None] = field(default_factory=lambda: {"acsm": 30.0, "cnn_lstm": 15.0})
    phase_accuracy_min: float | None = 0.8
    activity_accuracy_min: float | None = 0.8
    tolerance_s: float = 0.05
    note: str = "defaults (no thresholds file beside the session)"


DEFAULT = Thresholds()


def load_thresholds(path: Path) -> Thresholds:
    """The thresholds in `path`; DEFAULT when it does not exist; GaitnodeError naming the file and the
    field for anything else that is wrong."""
    path = Path(path)
    if not path.exists():
        return DEFAULT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise GaitnodeError(f"{path}: cannot read the thresholds file ({e})") from None
    except json.JSONDecodeError as e:
        raise GaitnodeError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
    if error is not None:
        where = ".".join(map(str, error.absolute_path)) or "the file"
        raise GaitnodeError(f"{path}: {where}: {error.message}")
    return Thresholds(f1_min={**DEFAULT.f1_min, **data.get("f1_min", {})},
                      vo2_mape_max=_vo2_limits(data),
                      phase_accuracy_min=_limit(data, "phase_accuracy_min"),
                      activity_accuracy_min=_limit(data, "activity_accuracy_min"),
                      tolerance_s=float(data.get("tolerance_s", DEFAULT.tolerance_s)),
                      note=str(data.get("note", "")))


def _limit(data: dict, key: str) -> float | None:
    """The file's value (null: None), DEFAULT's when the file leaves the field out."""
    if key not in data:
        return getattr(DEFAULT, key)
    return None if data[key] is None else float(data[key])


def _vo2_limits(data: dict) -> dict[str, float | None]:
    """Per estimator: the file's value, DEFAULT's for an estimator it leaves out; all None for null."""
    if "vo2_mape_max" in data and data["vo2_mape_max"] is None:
        return {e: None for e in VO2_ESTIMATORS}
    given = data.get("vo2_mape_max", {})
    return {e: (None if given[e] is None else float(given[e])) if e in given else DEFAULT.vo2_mape_max[e]
            for e in VO2_ESTIMATORS}


@dataclass(frozen=True)
class SessionCase:
    """One session to replay: the .gns file, its thresholds file (may be absent), where it came from
    ("committed" or "rig": a --sessions directory)."""

    path: Path
    origin: str

    @property
    def thresholds_path(self) -> Path:
        return self.path.with_suffix(".json")

    @property
    def id(self) -> str:
        return f"{self.origin}:{self.path.stem}"

    def thresholds(self) -> Thresholds:
        return load_thresholds(self.thresholds_path)


def session_cases(extra_dir=None) -> list[SessionCase]:
    """The committed sessions, then every *.gns in extra_dir (a rig owner's --sessions DIR).
    GaitnodeError when extra_dir is not a directory or holds no session."""
    cases = [SessionCase(p, "committed") for p in sorted(COMMITTED_DIR.glob("*.gns"))]
    if extra_dir is not None:
        d = Path(extra_dir)
        if not d.is_dir():
            raise GaitnodeError(f"--sessions {d}: not a directory")
        extra = sorted(d.glob("*.gns"))
        if not extra:
            raise GaitnodeError(f"--sessions {d}: no *.gns session files there")
        cases += [SessionCase(p, "rig") for p in extra]
    return cases
