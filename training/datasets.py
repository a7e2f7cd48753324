"""Sessions for training: load them from files, directories and cohorts; split them by subject.

Inputs to `load_sessions`:
* a `.gns` file;
* a directory: every `*.gns` below it (recursive, sorted by path);
* a cohort (a directory holding `cohort.json`, or that file itself, as written by
  `gaitnode.simulate.cohort.make_cohort`): its listed files, optionally one split only.

Every loaded session gets `meta.extra["loaded_from"]` (the file path) so that error messages
and training records can name it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import PLACEMENTS, Session
from gaitnode.sessions.store import SUFFIX, read_session

COHORT_MANIFEST = "cohort.json"
SPLITS = ("train", "val", "test")


def session_name(session: Session) -> str:
    """A short name for messages: the file it was loaded from, else subject/protocol/placement."""
    src = session.meta.extra.get("loaded_from")
    if src:
        return str(src)
    m = session.meta
    parts = [m.subject.id, m.protocol or "session", m.placement] + ([m.side] if m.side else [])
    return "session " + "/".join(str(p) for p in parts)


def cohort_manifest(path) -> Path | None:
    """The cohort.json of `path` (the file itself or a directory holding one), else None."""
    p = Path(path)
    if p.is_file() and p.name == COHORT_MANIFEST:
        return p
    if p.is_dir() and (p / COHORT_MANIFEST).is_file():
        return p / COHORT_MANIFEST
    return None


def _cohort_files(manifest_path: Path, split: str | None, placement: str | None) -> list[Path]:
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        rows = [(f["path"], f["split"], f.get("placement")) for f in files]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise GaitnodeError(f"{manifest_path}: not a readable cohort manifest ({type(e).__name__}: {e}); "
                            f"expected make_cohort's JSON with a 'files' list of {{path, split, placement}}") from None
    out = []
    for rel, sp, pl in rows:
        if (split is None or sp == split) and (placement is None or pl is None or pl == placement):
            f = manifest_path.parent / rel
            if not f.is_file():
                raise GaitnodeError(f"{manifest_path}: lists {rel}, which does not exist under {manifest_path.parent}")
            out.append(f)
    return out


def _files_of(path: Path, split: str | None, placement: str | None) -> list[Path]:
    manifest = cohort_manifest(path)
    if manifest is not None:
        return _cohort_files(manifest, split, placement)
    if split is not None:
        raise GaitnodeError(f"{path}: asked for the {split!r} split, but this is not a cohort (no {COHORT_MANIFEST}); "
                            f"give a cohort directory or split the sessions by subject")
    if path.is_dir():
        files = sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file())
        if not files:
            raise GaitnodeError(f"{path}: directory holds no {SUFFIX} session files")
        return files
    if path.is_file():
        if path.suffix != SUFFIX:
            raise GaitnodeError(f"{path}: not a session file (expected {SUFFIX}, a directory or a cohort)")
        return [path]
    raise GaitnodeError(f"{path}: no such file or directory")


def load_sessions(paths, *, placement: str | None = None, split: str | None = None) -> list[Session]:
    """Load every session named by `paths` (one path or a list; see the module docstring).

    placement: keep only sessions of this placement ("shank", "foot", ...; None keeps all).
    split: "train" | "val" | "test" takes that split of each cohort (every input must be a
    cohort); None takes all files. A file named twice is loaded once.
    Raises GaitnodeError for missing or unreadable inputs, or when no session is left.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise GaitnodeError("no session inputs given (files, directories or a cohort)")
    if split is not None and split not in SPLITS:
        raise GaitnodeError(f"split {split!r} is not one of {', '.join(SPLITS)}")
    if placement is not None and placement not in PLACEMENTS:
        raise GaitnodeError(f"placement {placement!r} is not one of {', '.join(PLACEMENTS)}")
    files: list[Path] = []
    seen = set()
    for p in paths:
        for f in _files_of(p, split, placement):
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    sessions = []
    for f in files:
        s = read_session(f)
        s.meta.extra["loaded_from"] = str(f)
        sessions.append(s)
    return filter_placement(sessions, placement, where=", ".join(map(str, paths)))


def filter_placement(sessions: list[Session], placement: str | None, *, where: str = "the sessions") -> list[Session]:
    """The sessions whose meta.placement is `placement` (None: all); GaitnodeError when none is left."""
    sessions = list(sessions)
    if not sessions:
        raise GaitnodeError(f"{where}: no sessions")
    if placement is None:
        return sessions
    kept = [s for s in sessions if s.meta.placement == placement]
    if not kept:
        found = sorted({s.meta.placement for s in sessions})
        raise GaitnodeError(f"{where}: no {placement} sessions (placements found: {', '.join(found)})")
    return kept


def subjects_of(sessions: list[Session]) -> list[str]:
    """Sorted unique subject ids (meta.subject.id)."""
    return sorted({s.meta.subject.id for s in sessions})


def split_by_subject(sessions: list[Session], val_fraction: float = 0.2,
                     seed: int = 0) -> tuple[list[Session], list[Session]]:
    """Split sessions into (train, val) so that no subject (meta.subject.id) is in both.

    round(val_fraction * n_subjects) subjects (at least 1) go to val, drawn by a seeded
    permutation of the sorted ids; session order is kept inside each split.
    Raises GaitnodeError for no sessions, a fraction outside (0, 1) or fewer than 2 subjects.
    """
    sessions = list(sessions)
    if not sessions:
        raise GaitnodeError("split by subject: no sessions")
    if not 0.0 < val_fraction < 1.0:
        raise GaitnodeError(f"validation fraction must be between 0 and 1 (exclusive), got {val_fraction!r}")
    ids = subjects_of(sessions)
    if len(ids) < 2:
        raise GaitnodeError(f"split by subject: all {len(sessions)} sessions are of subject {ids[0]!r}; a split "
                            f"needs at least 2 subjects (give validation sessions of another subject)")
    n_val = min(len(ids) - 1, max(1, int(np.floor(val_fraction * len(ids) + 0.5))))
    order = np.random.default_rng(seed).permutation(len(ids))
    val_ids = {ids[i] for i in order[:n_val]}
    train = [s for s in sessions if s.meta.subject.id not in val_ids]
    val = [s for s in sessions if s.meta.subject.id in val_ids]
    return train, val


def train_val_sessions(paths, *, placement: str | None = None, val_fraction: float = 0.2,
                       seed: int = 0) -> tuple[list[Session], list[Session]]:
    """(train, val) sessions from `paths`: a cohort's own train/val splits when every input is a
    cohort, otherwise all sessions split by subject (`split_by_subject`)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if paths and all(cohort_manifest(p) is not None for p in paths):
        return (load_sessions(paths, placement=placement, split="train"),
                load_sessions(paths, placement=placement, split="val"))
    return split_by_subject(load_sessions(paths, placement=placement), val_fraction, seed)
