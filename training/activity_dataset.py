"""Activity-recognition data: sessions -> 50 Hz rows -> 128-row windows with one activity label each.

Rows. The model runs at ACTIVITY_RATE_HZ (50 Hz, UCI HAR's rate). A session recorded at a multiple
of it (the simulator's and the boards' 100 Hz) is turned into rows as the node does: every
k = session rate / 50 consecutive samples are averaged in physical units into one row (a 2-sample
mean at 100 Hz), not interpolated. A session already at 50 Hz (UCI HAR) is used as it is. Any
other rate is an error (resample the session on import). A row's label is the label of its last
sample.

Window labels (`label_rule`):
* "majority" (default): the activity most rows of the window hold; a tie goes to the activity of
  the newer rows (so a UCI HAR window, half old and half new, keeps the dataset's own label);
* "last": the label of the window's last row (what the node is doing when it reports).
A window whose label is not one of the model's classes ("running", or -1 unknown) gets -1 (no
label): training and evaluation leave it out. Windows across a change of activity keep their
majority label; `ActivityPrepared.purity` (fraction of rows that hold the window's label) lets
the evaluation report accuracy on steady windows (purity 1) beside all windows.

Inputs are normalised per channel with the training mean and std and clipped to +-INPUT_CLIP
(vo2_dataset.model_inputs), as model.json norm_mean / norm_std / input_clip say.

UCI HAR. sessions/importers/uci_har.load_uci_har gives continuous 50 Hz sessions with the same
units as ours (total acceleration in m/s^2 including gravity, gyro in deg/s) and a per-sample
activity label, so they go through the same functions. Their frame is the phone's on the waist
(placement lower_back), not the shank's: train a UCI HAR model on UCI HAR only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, Session
from gaitnode.training.datasets import session_name
from gaitnode.training.vo2_dataset import model_inputs
from gaitnode.training.windows import resolve_channels, session_matrix, window_starts

ACTIVITY_CLASSES = ACTIVITIES[:6]  # the UCI HAR six; "running" is not one of them
ACTIVITY_RATE_HZ = 50.0
ACTIVITY_WINDOW = 128  # rows (2.56 s at 50 Hz), UCI HAR's window
ACTIVITY_HOP = 64  # rows (1.28 s): UCI HAR's 50 % overlap, one activity report per 1.28 s on the node
LABEL_RULES = ("majority", "last")
DEFAULT_LABEL_RULE = "majority"
INPUT_CLIP = 6.0  # normalised inputs clipped to +-6 std (the int8 input range covers that)


def decimation(session_rate_hz: float, rate_hz: float = ACTIVITY_RATE_HZ, *, name: str = "session") -> int:
    """Samples per row: the integer session_rate / rate_hz; GaitnodeError when it is not one."""
    k = float(session_rate_hz) / float(rate_hz)
    if k < 1 - 1e-9 or abs(k - round(k)) > 1e-6:
        raise GaitnodeError(f"{name}: recorded at {float(session_rate_hz):g} Hz, but the activity model runs at "
                            f"{float(rate_hz):g} Hz rows, each the mean of a whole number of samples; give sessions "
                            f"at a multiple of {float(rate_hz):g} Hz (resample on import with --rate)")
    return int(round(k))


def average_rows(x: np.ndarray, k: int) -> np.ndarray:
    """Means of k consecutive samples of x [N, C] -> float32 [N // k, C] (the node's decimation);
    the last N % k samples are dropped."""
    x = np.asarray(x, np.float32)
    n = len(x) // k
    if k == 1:
        return x[:n].copy()
    return x[:n * k].reshape(n, k, x.shape[1]).mean(axis=1, dtype=np.float64).astype(np.float32)


def row_labels(session: Session, k: int) -> np.ndarray:
    """int64 [N // k] activity index (into ACTIVITIES) of each row: its last sample's label; -1 when
    the session has no activity labels."""
    n = len(session.imu) // k
    if session.activity is None:
        return np.full(n, -1, np.int64)
    return np.asarray(session.activity, np.int64)[k - 1:n * k:k]


def check_classes(classes) -> tuple[str, ...]:
    names = tuple(classes)
    bad = [c for c in names if c not in ACTIVITIES]
    if len(names) < 2 or bad or len(set(names)) != len(names):
        raise GaitnodeError(f"activity classes {list(names)} must be at least 2 distinct names from "
                            f"{', '.join(ACTIVITIES)}")
    return names


def window_labels(labels: np.ndarray, starts: np.ndarray, window: int, classes=ACTIVITY_CLASSES,
                  rule: str = DEFAULT_LABEL_RULE) -> tuple[np.ndarray, np.ndarray]:
    """(y int64 [n] index into `classes` or -1, purity float32 [n]) of the windows starting at `starts`
    over per-row ACTIVITIES indices `labels` (see the module docstring for the rules)."""
    if rule not in LABEL_RULES:
        raise GaitnodeError(f"label rule {rule!r} is not one of {', '.join(LABEL_RULES)}")
    classes = check_classes(classes)
    to_class = np.full(len(ACTIVITIES) + 1, -1, np.int64)  # ACTIVITIES index (or -1 -> last slot) -> class
    for i, c in enumerate(classes):
        to_class[ACTIVITIES.index(c)] = i
    rows = np.asarray(labels, np.int64)[np.asarray(starts)[:, None] + np.arange(window)[None, :]]  # [n, W]
    codes = np.where(rows < 0, len(ACTIVITIES), rows)  # -1 -> its own code
    if rule == "last":
        win = codes[:, -1]
    else:
        counts = np.zeros((len(rows), len(ACTIVITIES) + 1), np.int64)
        np.add.at(counts, (np.arange(len(rows))[:, None], codes), 1)
        # ties go to the newer rows: among the most frequent codes, the one whose last row is latest
        latest = np.full_like(counts, -1)
        np.maximum.at(latest, (np.arange(len(rows))[:, None], codes), np.broadcast_to(np.arange(window), rows.shape))
        top = counts == counts.max(axis=1, keepdims=True)
        win = np.argmax(np.where(top, latest, -2), axis=1)
    purity = (codes == win[:, None]).mean(axis=1).astype(np.float32)
    return to_class[win], purity


@dataclass
class ActivityPrepared:
    """One session as activity data: rows x float32 [M, C] (physical units, model rate), window
    starts [n] (rows), labels y int64 [n] (index into the classes, -1 none), purity [n], and
    window end sample index [n] (the session's last sample the window covers)."""

    name: str
    subject: str
    protocol: str
    x: np.ndarray
    starts: np.ndarray
    y: np.ndarray
    purity: np.ndarray
    end_sample: np.ndarray
    window: int

    def windows(self, idx=None) -> np.ndarray:
        """Raw windows float32 [n, W, C] (all, or those at positions idx)."""
        starts = self.starts if idx is None else self.starts[idx]
        return self.x[starts[:, None] + np.arange(self.window)[None, :]]


def prepare_session(session: Session, channels, *, rate_hz: float = ACTIVITY_RATE_HZ, window: int = ACTIVITY_WINDOW,
                    hop: int = ACTIVITY_HOP, classes=ACTIVITY_CLASSES,
                    label_rule: str = DEFAULT_LABEL_RULE) -> ActivityPrepared:
    """Rows, windows every `hop` rows and their labels of one session (module docstring).
    GaitnodeError for a rate that is not a multiple of rate_hz or a session shorter than one window."""
    name = session_name(session)
    k = decimation(session.meta.rate_hz, rate_hz, name=name)
    x = average_rows(session_matrix(session, resolve_channels(channels)), k)
    labels = row_labels(session, k)
    starts = window_starts(len(x), window, hop, name=f"{name} ({len(x)} rows at {float(rate_hz):g} Hz)")
    y, purity = window_labels(labels, starts, window, classes, label_rule)
    return ActivityPrepared(name, str(session.meta.subject.id), session.meta.protocol or "unknown", x, starts, y,
                            purity, (starts + window) * k - 1, int(window))


def prepare_activity(sessions, channels, *, rate_hz: float = ACTIVITY_RATE_HZ, window: int = ACTIVITY_WINDOW,
                     hop: int = ACTIVITY_HOP, classes=ACTIVITY_CLASSES, label_rule: str = DEFAULT_LABEL_RULE,
                     what: str = "training") -> list[ActivityPrepared]:
    """prepare_session of every session. GaitnodeError for no sessions, or none with a labelled window."""
    sessions = list(sessions or [])
    if not sessions:
        raise GaitnodeError(f"no {what} sessions")
    out = [prepare_session(s, channels, rate_hz=rate_hz, window=window, hop=hop, classes=classes,
                           label_rule=label_rule) for s in sessions]
    if not any((p.y >= 0).any() for p in out):
        raise GaitnodeError(f"the {len(out)} {what} sessions hold no window labelled with one of "
                            f"{', '.join(check_classes(classes))} (sessions need per-sample activity labels: "
                            f"simulated daily_living / stairs / free_walk, or UCI HAR)")
    return out


def meta_label_rule(meta: dict) -> str:
    """The label rule a model was trained with (model.json training.label_rule; default majority)."""
    return str((meta.get("training") or {}).get("label_rule", DEFAULT_LABEL_RULE))


def prepare_for_model(sessions, meta: dict, *, what: str = "evaluation") -> list[ActivityPrepared]:
    """prepare_activity with every parameter from model.json `meta`."""
    return prepare_activity(sessions, meta["channels"], rate_hz=float(meta["rate_hz"]), window=int(meta["window"]),
                            hop=int(meta["hop"]), classes=meta["classes"], label_rule=meta_label_rule(meta),
                            what=what)


def activity_arrays(sessions, meta: dict) -> tuple[np.ndarray, np.ndarray]:
    """(X float32 [n, window, C] model input (normalised and clipped as model.json says),
    Y int64 [n] index into meta["classes"], -1 = no label) of `sessions` at the model's hop."""
    prepared = prepare_for_model(sessions, meta)
    clip = meta.get("input_clip")
    X = np.concatenate([p.windows() for p in prepared])
    X = model_inputs(X, meta["norm_mean"], meta["norm_std"], None if clip is None else float(clip))
    Y = np.concatenate([p.y for p in prepared]).astype(np.int64)
    return X.astype(np.float32, copy=False), Y
