"""The replay result file: what `gaitnode replay` found, as JSON that `gaitnode report` plots.

    {"format": "gaitnode-replay-result", "version": 3,
     "session": {"path": "walk.gns", "given": "data/walk.gns", "sha256": "..."},
     "synthetic": true, "complete": true, "note": "",
     "node": {INFO fields; model sha256 as hex}, "speed": 10.0 (null: max speed),
     "span_s": [first, last] session times of the samples replayed,
     "summary": {ReplaySummary fields}, "passes": [summaries of every pass of --loop],
     "heel_strikes": [{"t_s", "sample_index", "frac", "confidence", "source", "host_latency_ms",
                       "matched_ref_t_s"}],
     "estimates": [{"t_s", "kind", "estimator", "sample_index", "value"}],
     "telemetry": [{"host_s", TELEMETRY fields}], "nacks": [{"seq", "type", "reason", "detail"}],
     "phase_runs": [{"start_s", "end_s", "first_index", "last_index", "phase"}],
     "activities": [{"t_s", "sample_index", "activity", "probs": {class: p}, "reference"}]}

Version 3 added summary.phase / summary.activity (replay_classes.PhaseScore / ActivityScore, null
when the node sent no PHASE / ACTIVITY frames), phase_runs and activities; versions 1 and 2 read
with those empty (an older gaitnode refuses a version 3 file by its version instead of misreading it).

session.path is relative to the result file's folder (absolute when no relative path exists), so
a result and its session can move together; "given" is the path as typed. Times t_s are on the
session's clock (device seconds), like every time inside a session.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.replay_run import DeviceHeelStrike, ReplayOutcome, ReplaySummary
from gaitnode.protocol import messages as m

FORMAT = "gaitnode-replay-result"
VERSION = 3
# version 1 stored one VO2 score instead of one per estimator; version 3 added phase and activity
READABLE_VERSIONS = (1, 2, 3)
SUFFIX = ".result.json"


@dataclass
class ReplayResultFile:
    """A result file read back.

    path: the result file. session_path: the session, resolved against the result's folder.
    session_sha256: hex digest of the session file at replay time. summary: the (last) pass.
    passes: every pass's summary (one entry without --loop). node: INFO as stored (dict).
    heel_strikes: DeviceHeelStrike list. estimates, telemetry, nacks: lists of dicts.
    phase_runs, activities: the node's gait phase runs and activity windows (lists of dicts, empty
    when it sent none or the file predates version 3).
    span_s: (first, last) session times of the samples replayed. raw: the whole JSON document.
    """

    path: Path
    session_path: Path
    session_sha256: str
    synthetic: bool
    complete: bool
    note: str
    node: dict
    speed: float | None
    span_s: tuple[float, float] | None
    summary: ReplaySummary
    passes: list[ReplaySummary]
    heel_strikes: list[DeviceHeelStrike]
    estimates: list[dict] = field(default_factory=list)
    telemetry: list[dict] = field(default_factory=list)
    nacks: list[dict] = field(default_factory=list)
    phase_runs: list[dict] = field(default_factory=list)
    activities: list[dict] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_result_path(session_path) -> Path:
    """SESSION.gns -> SESSION.result.json beside it."""
    return Path(session_path).with_suffix(SUFFIX)


def _plain(x):
    """JSON-ready: enums as ints, bytes as hex, tuples as lists, NaN as null."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).hex()
    if isinstance(x, float):
        return x if math.isfinite(x) else None  # JSON has no NaN
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return int(x)
    return x


def _session_ref(session_path: Path, result_path: Path, session_sha256: str | None) -> dict:
    target = Path(os.path.abspath(session_path))
    try:
        rel = os.path.relpath(target, os.path.abspath(result_path.parent))
    except ValueError:  # another drive (Windows): no relative path
        rel = str(target)
    return {"path": Path(rel).as_posix(), "given": str(session_path),
            "sha256": session_sha256 or file_sha256(session_path)}


def result_document(outcome: ReplayOutcome, path, *, passes: list[ReplaySummary] | None = None,
                    speed: float | None = None, session_sha256: str | None = None) -> dict:
    """The JSON document for `outcome` written at `path` (see the module docstring)."""
    if outcome.session_path is None:
        raise GaitnodeError("a replay result needs the session's file: run the replay with its session path")
    res = outcome.result
    s = outcome.summary
    telemetry = [{"host_s": float(r.host_s), **_plain(dataclasses.asdict(r.msg))} for r in res.of_type(m.Telemetry)]
    return {
        "format": FORMAT,
        "version": VERSION,
        "session": _session_ref(outcome.session_path, Path(path), session_sha256),
        "synthetic": s.synthetic,
        "complete": s.complete,
        "note": s.note,
        "node": _plain(dataclasses.asdict(outcome.info)),
        "speed": speed if speed is not None else (s.speed_x or None),
        "span_s": list(outcome.span_s) if outcome.span_s is not None else None,
        "summary": _plain(s.to_dict()),
        "passes": [_plain(p.to_dict()) for p in (passes if passes is not None else [s])],
        "heel_strikes": [_plain(dataclasses.asdict(e)) for e in outcome.heel_strikes],
        "estimates": _plain(list(outcome.estimates)),
        "telemetry": telemetry,
        "nacks": [_plain(dataclasses.asdict(n)) for n in res.nacks],
        "phase_runs": _plain(list(outcome.phase_runs)),
        "activities": _plain(list(outcome.activities)),
    }


def write_result(outcome: ReplayOutcome, path, *, overwrite: bool = False, passes: list[ReplaySummary] | None = None,
                 speed: float | None = None, session_sha256: str | None = None) -> Path:
    """Write the result file atomically (a temporary file beside it, then a rename): a reader sees
    the old file or the new one, never half of one. Refuses an existing file unless overwrite.

    passes: summaries of every pass (--loop); default the outcome's own. session_sha256: the
    session file's digest when already known (saves reading it again for every pass).
    """
    path = Path(path)
    refuse_existing([path], overwrite=overwrite)
    if not path.parent.is_dir():
        raise GaitnodeError(f"cannot write {path}: folder {path.parent} does not exist")
    doc = result_document(outcome, path, passes=passes, speed=speed, session_sha256=session_sha256)
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise GaitnodeError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def is_result_file(path) -> bool:
    """Whether `path` looks like JSON (starts with '{' after whitespace) rather than a session."""
    try:
        with open(path, "rb") as f:
            head = f.read(64).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def read_result(path) -> ReplayResultFile:
    """Read a result file; GaitnodeError naming the problem for a file that is missing, not JSON,
    not a replay result, of another version, or without its session."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GaitnodeError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise GaitnodeError(f"{path}: cannot read it as a replay result: {getattr(e, 'strerror', None) or e}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise GaitnodeError(f"{path}: not a replay result (invalid JSON at line {e.lineno}, "
                            f"column {e.colno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GaitnodeError(f"{path}: not a replay result (no \"format\": \"{FORMAT}\")")
    if doc.get("version") not in READABLE_VERSIONS:
        raise GaitnodeError(f"{path}: replay result version {doc.get('version')!r}; this gaitnode reads "
                            f"versions {', '.join(map(str, READABLE_VERSIONS))}")
    sess = doc.get("session")
    if not isinstance(sess, dict) or not isinstance(sess.get("path"), str) or not sess["path"]:
        raise GaitnodeError(f"{path}: the replay result names no session file (\"session\": {{\"path\": ...}})")
    try:
        summary = ReplaySummary.from_dict(doc["summary"])
        passes = [ReplaySummary.from_dict(p) for p in doc.get("passes") or [doc["summary"]]]
        events = [DeviceHeelStrike(**e) for e in doc.get("heel_strikes", [])]
        span = doc.get("span_s")
        stored = Path(sess["path"])
        return ReplayResultFile(
            path=path, session_path=stored if stored.is_absolute() else path.parent / stored,
            session_sha256=str(sess.get("sha256", "")), synthetic=bool(doc["synthetic"]),
            complete=bool(doc.get("complete", True)), note=str(doc.get("note", "")), node=dict(doc["node"]),
            speed=doc.get("speed"), span_s=(float(span[0]), float(span[1])) if span else None,
            summary=summary, passes=passes, heel_strikes=events, estimates=list(doc.get("estimates", [])),
            telemetry=list(doc.get("telemetry", [])), nacks=list(doc.get("nacks", [])),
            phase_runs=list(doc.get("phase_runs") or []), activities=list(doc.get("activities") or []), raw=doc)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise GaitnodeError(f"{path}: damaged replay result ({type(e).__name__}: {e})") from None


def load_result_session(result: ReplayResultFile):
    """The session a result was made from, read from its stored path; GaitnodeError when the file is
    gone or has changed since the replay (the plot would not show what was replayed)."""
    from gaitnode.sessions.store import read_session

    p = result.session_path
    if not p.is_file():
        raise GaitnodeError(f"{result.path}: its session {result.raw['session'].get('given', p)} is gone "
                            f"(looked for {p})")
    if result.session_sha256 and file_sha256(p) != result.session_sha256:
        raise GaitnodeError(f"{result.path}: its session {p} has changed since the replay (sha256 differs); "
                            "replay it again")
    return read_session(p)
