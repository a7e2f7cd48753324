"""UCI HAR Dataset importer: windowed smartphone recordings back into continuous sessions.

Layout read (the standard `UCI HAR Dataset/` folder; `root` may be it or its parent):

  {split}/Inertial Signals/total_acc_{x,y,z}_{split}.txt   acceleration, g
  {split}/Inertial Signals/body_gyro_{x,y,z}_{split}.txt   angular rate, rad/s
  {split}/y_{split}.txt                                    activity label 1..6 per window
  {split}/subject_{split}.txt                              subject number per window

Every signal file has one window per line: 128 whitespace-separated samples at 50 Hz,
consecutive windows overlapping by 50 %. `load_uci_har` rebuilds continuous recordings:
window i continues the recording of window i-1 when both belong to the same subject and
its first 64 samples equal window i-1's last 64 on all six channels; otherwise it starts
a new session. Samples first contributed by window i get window i's activity label.

The phones were worn on the waist (belt), so placement is "lower_back", the nearest of
model.PLACEMENTS; meta.extra["placement_note"] says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gaitnode.errors import InputFileError
from gaitnode.sessions.importers.units import G0
from gaitnode.sessions.model import Imu, Session, SessionMeta, Subject
from gaitnode.sessions.resample import Resampler

WINDOW, HOP, RATE_HZ = 128, 64, 50.0
CHANNELS = ("total_acc_x", "total_acc_y", "total_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z")
SPLITS = ("train", "test")
PLACEMENT_NOTE = "UCI HAR: smartphone worn on the waist (belt); stored as lower_back, the nearest placement"


def dataset_root(root) -> Path:
    """The `UCI HAR Dataset` folder: `root` itself or its child of that name."""
    root = Path(root)
    if (root / "UCI HAR Dataset").is_dir():
        root = root / "UCI HAR Dataset"
    if not root.is_dir():
        raise InputFileError(f"{root}: no such directory (expected the 'UCI HAR Dataset' folder)")
    return root


def _read_matrix(path: Path, n_cols: int) -> np.ndarray:
    """Whitespace-separated numbers, n_cols per line, as float64 [lines, n_cols]."""
    if not path.is_file():
        raise InputFileError(f"{path}: missing (expected the UCI HAR Dataset layout, see docs/import.md)")
    try:
        df = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64, engine="c")
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the file is empty") from None
    except (ValueError, pd.errors.ParserError):
        df = None  # a non-number or a ragged line: found and named below
    if df is not None and df.shape[1] == n_cols and np.isfinite(df.to_numpy()).all():
        return df.to_numpy()
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if len(fields) != n_cols:
                raise InputFileError(f"{path}: line {line_no} has {len(fields)} values, expected {n_cols}")
            for col_no, text in enumerate(fields, start=1):
                try:
                    ok = np.isfinite(float(text))
                except ValueError:
                    ok = False
                if not ok:
                    raise InputFileError(f"{path}: line {line_no}, column {col_no}: {text!r} is not a finite number")
    raise InputFileError(f"{path}: could not be read as {n_cols} numbers per line")


def _read_split(root: Path, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw windows [n, 128, 6] (g, rad/s), labels 1..6 [n], subjects [n]."""
    base = root / split
    files = [base / "Inertial Signals" / f"{c}_{split}.txt" for c in CHANNELS]
    chans = [_read_matrix(p, WINDOW) for p in files]
    y_path, s_path = base / f"y_{split}.txt", base / f"subject_{split}.txt"
    y = _read_matrix(y_path, 1)[:, 0]
    subj = _read_matrix(s_path, 1)[:, 0]
    n = len(y)
    for p, arr in [*zip(files, chans), (s_path, subj)]:
        if len(arr) != n:
            raise InputFileError(f"{p}: {len(arr)} lines, but {y_path.name} has {n}; the files must match line by line")
    for p, arr, lo, hi in ((y_path, y, 1, 6), (s_path, subj, 1, 10**6)):
        bad = (arr != np.round(arr)) | (arr < lo) | (arr > hi)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputFileError(f"{p}: line {i + 1}: {arr[i]:g} is not an integer in {lo}..{hi}")
    return np.stack(chans, axis=2), y.astype(np.int64), subj.astype(np.int64)


def load_uci_har_windows(root, split: str = "train") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The windowed form for activity models.

    Returns X float32 [n, 128, 6] (acc x,y,z in m/s^2, gyr x,y,z in deg/s, 50 Hz),
    y int8 [n] (index into model.ACTIVITIES, i.e. UCI label - 1) and subject int64 [n].
    """
    if split not in SPLITS:
        raise InputFileError(f"UCI HAR split {split!r} is not one of {', '.join(SPLITS)}")
    raw, y, subj = _read_split(dataset_root(root), split)
    x = np.concatenate([raw[..., :3] * G0, np.rad2deg(raw[..., 3:])], axis=2).astype(np.float32)
    return x, (y - 1).astype(np.int8), subj


def _runs(raw: np.ndarray, subj: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) window index ranges that form one continuous recording each."""
    cont = (subj[1:] == subj[:-1]) & np.all(raw[1:, :HOP] == raw[:-1, HOP:], axis=(1, 2))
    starts = np.concatenate([[0], np.flatnonzero(~cont) + 1])
    stops = np.concatenate([starts[1:], [len(subj)]])
    return list(zip(starts.tolist(), stops.tolist()))


def load_uci_har(root, splits=SPLITS, *, rate_hz: float | None = None) -> list[Session]:
    """Rebuild continuous per-subject sessions from the UCI HAR windows.

    Sessions are at 50 Hz (or `rate_hz`, resampled with gaitnode.sessions.resample),
    acc in m/s^2, gyr in deg/s, no magnetometer, activity label per sample, subject id
    `uci-<n>`, placement lower_back. Order: split, then file order.
    Raises InputFileError naming the file and line for missing or malformed files.
    """
    root = dataset_root(root)
    sessions = []
    for split in splits:
        if split not in SPLITS:
            raise InputFileError(f"UCI HAR split {split!r} is not one of {', '.join(SPLITS)}")
        raw, y, subj = _read_split(root, split)
        for a, b in _runs(raw, subj):
            # The first window whole, then the new second half of each following window.
            samples = np.concatenate([raw[a], *raw[a + 1:b, HOP:]], axis=0)
            labels = np.concatenate([np.full(WINDOW, y[a]), *(np.full(HOP, y[i]) for i in range(a + 1, b))]) - 1
            sessions.append(_session(samples, labels, int(subj[a]), split, a, b, rate_hz))
    return sessions


def _session(samples, labels, subject: int, split: str, first: int, stop: int, rate_hz) -> Session:
    acc, gyr = samples[:, :3] * G0, np.rad2deg(samples[:, 3:])
    t_s = np.arange(len(samples)) / RATE_HZ
    rate, method = RATE_HZ, "none"
    if rate_hz is not None and float(rate_hz) != RATE_HZ:
        cols = {f"c{i}": v for i, v in enumerate(np.concatenate([acc, gyr], axis=1).T)}
        rs = Resampler(rate_hz, source=f"UCI HAR {split} windows {first}..{stop - 1}").resample(
            t_s, cols, {"activity": labels})
        stacked = np.stack([rs.signals_[f"c{i}"] for i in range(6)], axis=1)
        acc, gyr, labels, t_s, rate, method = stacked[:, :3], stacked[:, 3:], rs.labels_["activity"], rs.t_s_, \
            rs.rate_hz_, rs.method_
    meta = SessionMeta(subject=Subject(id=f"uci-{subject}"), rate_hz=rate, placement="lower_back",
                       source="uci-har", has_mag=False,
                       extra={"placement_note": PLACEMENT_NOTE, "uci_split": split, "uci_windows": [first, stop],
                              "source_rate_hz": RATE_HZ, "resample_method": method})
    imu = Imu(np.round(t_s * 1e6).astype(np.int64), acc, gyr, None)
    return Session(meta=meta, imu=imu, activity=labels).validate()
