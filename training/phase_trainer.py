"""Train a gait-phase model (paper 001) on sessions with per-sample phase labels.

Data (phase_dataset): rows at rate_hz (100 Hz), windows of `window` rows (40) labelled on their
last `hop` rows (10); training windows start every `train_step` rows (denser than the deployed
hop), windows without any labelled row (standing, sitting) are left out, and each epoch draws
`windows_per_epoch` of them at random (all when None). Inputs are scaled to [-1, 1] by the
training range (RangeNormalizer) and clipped to +-input_clip.

Loss: per-row sparse categorical cross-entropy over the phases, rows labelled -1 ignored
(compile_phase_model). Adam; early stopping on the validation loss (best weights restored).

Augmentation: each training window's IMU frame is rotated about a random axis by up to
augment_rotation_deg (acc, gyr, mag together; channels of extra sensors are left alone), as for
the heel-strike model. Splits are by subject; fixed seeds give equal weights.
"""

from __future__ import annotations

import math
import time

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import PHASES, Session
from gaitnode.training.datasets import session_name, subjects_of
from gaitnode.training.heel_strike_trainer import common_value, random_rotations, rotate_windows
from gaitnode.training.phase_dataset import (
    INPUT_CLIP, PHASE_HOP, PHASE_RATE_HZ, PHASE_WINDOW, RANGE_QUANTILE, RangeNormalizer, is_node_channels,
    model_inputs, resolve_phase_channels, session_rows, window_arrays,
)
from gaitnode.training.phase_models import build_phase_model, check_phase_architecture, compile_phase_model
from gaitnode.training.windows import SENSORS

VAL_HOLDOUT_FRACTION = 0.2


def imu_triplets(channels) -> list[tuple[int, int, int]]:
    """Column indices (x, y, z) of every node sensor (acc, gyr, mag) whose three axes are all in `channels`."""
    channels = list(channels)
    return [tuple(channels.index(f"{s}_{a}") for a in "xyz") for s in SENSORS
            if all(f"{s}_{a}" in channels for a in "xyz")]


class PhaseWindows:
    """Windows of prepared sessions, gathered lazily: rows x [N_i, C], labels y [N_i] per session and
    (session, start) pairs. `gather(idx)` -> raw X float32 [n, window, C], Y int64 [n, hop]."""

    def __init__(self, rows: list[tuple[np.ndarray, np.ndarray]], window: int, hop: int, step: int,
                 names: list[str]):
        self.rows, self.window, self.hop = rows, window, hop
        pairs = []
        for i, ((x, y), name) in enumerate(zip(rows, names)):
            if len(x) < window:
                continue
            _, Y, starts = window_arrays(x[:, :0], y, window, hop, name=name, step=step)
            keep = (Y >= 0).any(axis=1)
            pairs.append(np.stack([np.full(int(keep.sum()), i), starts[keep]], axis=1))
        self.index = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)

    def __len__(self) -> int:
        return len(self.index)

    def gather(self, idx) -> tuple[np.ndarray, np.ndarray]:
        sel = self.index[np.asarray(idx)]
        C = self.rows[0][0].shape[1]
        X = np.empty((len(sel), self.window, C), np.float32)
        Y = np.empty((len(sel), self.hop), np.int64)
        j = np.arange(self.window)
        for s in np.unique(sel[:, 0]):
            m = sel[:, 0] == s
            x, y = self.rows[s]
            st = sel[m, 1]
            X[m] = x[st[:, None] + j]
            Y[m] = y[st[:, None] + (self.window - self.hop) + np.arange(self.hop)]
        return X, Y


def _split_tail(rows, names, fraction: float, window: int):
    """Hold out the last `fraction` of each session's rows for validation."""
    train, val = [], []
    for (x, y), name in zip(rows, names):
        cut = int(len(x) * (1 - fraction))
        if cut < window or len(x) - cut < window:
            raise GaitnodeError(f"{name}: {len(x)} rows are too few to hold out the last {fraction:.0%} for "
                                f"validation; give validation sessions")
        train.append((x[:cut], y[:cut]))
        val.append((x[cut:], y[cut:]))
    return train, val


class PhaseTrainer:
    """Train a gait-phase classifier (see the module docstring).

    Parameters
    ----------
    architecture : "resnet_lstm" | "resnet_lstm_tpa" | "lstm_only" | "resnet_lstm_paper" (phase_models).
    channels : "acc+gyr" | "acc+gyr+mag" | a list of names: IMU9 channels and extra channels (series).
    window, hop : rows at rate_hz (model.json); train_step : training window spacing (rows).
    rate_hz : the model's row rate (sessions at integer multiples are decimated by averaging).
    classes : the phases the model outputs (a subset/ordering of PHASES).
    windows_per_epoch : training windows drawn per epoch (None: all).
    max_val_windows : validate on a fixed random subset of this many windows (None: all; big models).
    epochs, batch_size, learning_rate (Adam), patience (epochs without a better validation loss).
    augment_rotation_deg : largest random IMU-frame rotation per window (0: off).
    range_quantile : normalisation range quantile (0: the paper's min/max); input_clip : clip of the
        normalised input.
    seed : seeds weights, sampling, dropout and augmentation. max_train_s : time budget (None: none).
    verbose : 1 prints one line per epoch.

    Results (after `fit`)
    ---------------------
    model_ : the trained, compiled tf_keras model (best validation epoch), [b, window, C] -> [b, hop, K].
    meta_ : the model.json dict (task "gait_phase", output "last_hop"), with a "training" record.
    history_ : {"loss": [...], "val_loss": [...]}; normalizer_ : the fitted RangeNormalizer.
    """

    def __init__(self, architecture: str = "resnet_lstm", channels="acc+gyr", window: int = PHASE_WINDOW,
                 hop: int = PHASE_HOP, train_step: int = 5, rate_hz: float = PHASE_RATE_HZ, classes=PHASES,
                 windows_per_epoch: int | None = 20000, epochs: int = 20, batch_size: int = 64,
                 learning_rate: float = 2e-3, patience: int = 4, augment_rotation_deg: float = 15.0,
                 range_quantile: float = RANGE_QUANTILE, input_clip: float = INPUT_CLIP,
                 max_val_windows: int | None = None, seed: int = 0, max_train_s: float | None = None,
                 verbose: int = 0):
        self.architecture = architecture
        self.channels = channels
        self.window = window
        self.hop = hop
        self.train_step = train_step
        self.rate_hz = rate_hz
        self.classes = classes
        self.windows_per_epoch = windows_per_epoch
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.augment_rotation_deg = augment_rotation_deg
        self.range_quantile = range_quantile
        self.input_clip = input_clip
        self.max_val_windows = max_val_windows
        self.seed = seed
        self.max_train_s = max_train_s
        self.verbose = verbose

    def _check_params(self) -> tuple[str, ...]:
        check_phase_architecture(self.architecture, self.window, self.hop)
        for name in ("epochs", "batch_size", "patience", "train_step"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
        for name in ("windows_per_epoch", "max_val_windows"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise GaitnodeError(f"{name} must be a positive integer or None, got {v!r}")
        classes = list(self.classes)
        if len(classes) < 2 or len(set(classes)) != len(classes) or any(c not in PHASES for c in classes):
            raise GaitnodeError(f"classes {classes} must be 2-4 distinct phases of {', '.join(PHASES)}")
        for name in ("learning_rate", "rate_hz", "input_clip"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise GaitnodeError(f"{name} must be a positive number, got {v!r}")
        if not 0 <= self.augment_rotation_deg <= 180:
            raise GaitnodeError(f"augment_rotation_deg must be 0-180 degrees, got {self.augment_rotation_deg!r}")
        return resolve_phase_channels(self.channels)

    def fit(self, train_sessions: list[Session], val_sessions: list[Session] | None = None) -> "PhaseTrainer":
        """Train on `train_sessions`, early-stop on `val_sessions` (None: the last 20 % of each training
        session). All sessions must share one placement and carry phase labels. Returns self."""
        channels = self._check_params()
        train_sessions, val_sessions = list(train_sessions or []), list(val_sessions or [])
        if not train_sessions:
            raise GaitnodeError("no training sessions")
        everything = train_sessions + val_sessions
        placement = common_value(everything, lambda s: s.meta.placement, "placements",
                                 "train one phase model per placement (filter the sessions by placement)")
        tf, keras = tf_env.load()
        tf_env.set_seed(self.seed)
        t0 = time.monotonic()
        meta_rows = {"channels": list(channels), "classes": list(self.classes), "rate_hz": float(self.rate_hz)}
        train_rows = [session_rows(s, meta_rows)[:2] for s in train_sessions]
        train_names = [session_name(s) for s in train_sessions]
        if val_sessions:
            val_rows = [session_rows(s, meta_rows)[:2] for s in val_sessions]
            val_names, validation = [session_name(s) for s in val_sessions], "sessions"
        else:
            train_rows, val_rows = _split_tail(train_rows, train_names, VAL_HOLDOUT_FRACTION, self.window)
            val_names, validation = [n + " (held-out tail)" for n in train_names], "last 20% of each training session"
        norm = RangeNormalizer(self.range_quantile).fit([x for x, _ in train_rows])
        train = PhaseWindows(train_rows, self.window, self.hop, self.train_step, train_names)
        val = PhaseWindows(val_rows, self.window, self.hop, self.hop, val_names)
        if not len(train) or not len(val):
            raise GaitnodeError(f"no labelled {'training' if not len(train) else 'validation'} window: the sessions "
                                f"hold no gait (every phase label is -1) or are shorter than one window")

        model = compile_phase_model(build_phase_model(self.architecture, self.window, len(channels),
                                                      len(self.classes), self.hop, seed=self.seed),
                                    self.learning_rate)
        run = self._run(model, train, val, norm, imu_triplets(channels))
        self.model_, self.normalizer_, self.history_ = model, norm, run["history"]
        self.meta_ = {
            "format": "gaitnode-model", "version": 1, "task": "gait_phase", "architecture": self.architecture,
            "placement": placement, "rate_hz": float(self.rate_hz), "channels": list(channels),
            "window": self.window, "hop": self.hop,
            "norm_mean": [float(v) for v in norm.mean_], "norm_std": [float(v) for v in norm.std_],
            "input_clip": float(self.input_clip), "classes": list(self.classes), "output": "last_hop",
            "seed": int(self.seed), "synthetic_training_data": all(bool(s.meta.synthetic) for s in everything),
            "training": {
                "sessions": {"train": train_names, "val": [session_name(s) for s in val_sessions]},
                "subjects": {"train": subjects_of(train_sessions), "val": subjects_of(val_sessions)},
                "validation": validation, "node_channels": is_node_channels(channels),
                "n_windows": {"train": len(train), "val": len(val)}, "train_step": self.train_step,
                "max_val_windows": self.max_val_windows,
                "windows_per_epoch": self.windows_per_epoch, "normalisation": {
                    "kind": "range [-1, 1] (paper 001 eq. 1)", "quantile": self.range_quantile},
                "epochs": self.epochs, "epochs_run": run["epochs_run"], "best_epoch": run["best_epoch"],
                "best_val_loss": run["best_val_loss"], "stopped": run["stopped"], "history": run["history"],
                "batch_size": self.batch_size, "learning_rate": self.learning_rate, "patience": self.patience,
                "augment_rotation_deg": self.augment_rotation_deg, "max_train_s": self.max_train_s,
                "train_seconds": round(time.monotonic() - t0, 3), "params": int(model.count_params()),
                "loss": "per-row sparse categorical cross-entropy, rows labelled -1 ignored",
                "tensorflow": tf.__version__,
            },
        }
        return self

    def _run(self, model, train: PhaseWindows, val: PhaseWindows, norm, triplets) -> dict:
        t0 = time.monotonic()
        rng = np.random.default_rng(self.seed)
        val_idx = np.arange(len(val))
        if self.max_val_windows is not None and len(val) > self.max_val_windows:  # a fixed, seeded subset
            pick = np.random.default_rng(self.seed + 1).choice(len(val), self.max_val_windows, replace=False)
            val_idx = np.sort(pick)
        Xv, Yv = val.gather(val_idx)
        Xv = model_inputs(Xv, norm.mean_, norm.std_, self.input_clip)
        n_epoch = len(train) if self.windows_per_epoch is None else min(self.windows_per_epoch, len(train))
        batch = min(self.batch_size, n_epoch)
        model.optimizer.build(model.trainable_variables)
        history = {"loss": [], "val_loss": [], "val_accuracy": []}
        best, best_epoch, best_weights, wait, stopped = math.inf, 0, model.get_weights(), 0, "epochs"
        longest, out_of_time = 0.0, False
        for epoch in range(1, self.epochs + 1):
            t_epoch = time.monotonic()
            order = rng.permutation(len(train))[:n_epoch]
            total, count = 0.0, 0
            for b in range(0, n_epoch - batch + 1, batch):
                if self.max_train_s is not None and count and time.monotonic() - t0 > self.max_train_s:
                    out_of_time = True
                    break
                X, Y = train.gather(order[b:b + batch])
                if self.augment_rotation_deg > 0 and triplets:
                    X = rotate_windows(X, random_rotations(rng, len(X), self.augment_rotation_deg), triplets)
                total += float(model.train_on_batch(model_inputs(X, norm.mean_, norm.std_, self.input_clip), Y))
                count += 1
            P = model.predict(Xv, batch_size=1024, verbose=0)
            labelled = Yv >= 0
            p = np.clip(P[labelled, np.maximum(Yv, 0)[labelled]], 1e-7, 1.0)
            val_loss = float(-np.log(p).mean())
            val_acc = float((P.argmax(-1)[labelled] == Yv[labelled]).mean())
            history["loss"].append(total / max(count, 1))
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_acc)
            if self.verbose:
                print(f"epoch {epoch}/{self.epochs}: loss {total / max(count, 1):.4f}, val_loss {val_loss:.4f}, "
                      f"val_accuracy {val_acc:.4f} ({time.monotonic() - t0:.0f} s)", flush=True)
            if val_loss < best:
                best, best_epoch, best_weights, wait = val_loss, epoch, model.get_weights(), 0
            else:
                wait += 1
            if wait >= self.patience:
                stopped = "patience"
                break
            longest = max(longest, time.monotonic() - t_epoch)
            if self.max_train_s is not None and epoch < self.epochs and (
                    out_of_time or time.monotonic() - t0 + longest > self.max_train_s):
                stopped = "time_budget"
                break
        if best_epoch == 0:
            raise GaitnodeError(f"phase training diverged: the validation loss was never finite "
                                f"({history['val_loss']}); lower the learning rate")
        model.set_weights(best_weights)
        return {"history": history, "epochs_run": len(history["loss"]), "best_epoch": best_epoch,
                "best_val_loss": best, "stopped": stopped, "seconds": round(time.monotonic() - t0, 3)}
