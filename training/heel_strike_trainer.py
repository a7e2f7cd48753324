"""Train a heel-strike model on sessions with reference heel strikes.

Targets and loss: per-sample labels (`labels.heel_strike_labels`), windowed with the output
delay of the contract, binary cross-entropy per output sample. Heel strikes are ~15 % of samples,
so by default each target is weighted "balanced" (positives 0.5 / f, negatives 0.5 / (1 - f),
f = positive fraction of the training targets) through a per-sample weight; targets that fall
before a recording's first sample get weight 0.

Training windows start every `train_hop` samples (denser than the deployed `hop`) and are
reshuffled every epoch. Augmentation: each training window's sensor frame is rotated about a
random axis (uniform on the sphere) by an angle uniform in +-augment_rotation_deg, the same
rotation for acc, gyr and mag, before normalisation. The simulator already turns the sensor
freely about the limb's long axis; the default 15 deg adds tilt beyond its mounting draws, so
the model does not learn that distribution. Validation windows use the deployed `hop` and are
never augmented. Early stopping watches the validation loss; the best epoch's weights are
restored at the end however training stops (patience, epochs or the time budget).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name, subjects_of
from gaitnode.training.heel_strike_models import build_model, check_architecture, per_sample_bce
from gaitnode.training.labels import DEFAULT_HALF_WIDTH, heel_strike_labels
from gaitnode.training.windows import (
    Normalizer, at_rate, check_window_params, normalise, resolve_channels, sensor_triplets,
    session_matrix, window_starts,
)

VAL_HOLDOUT_FRACTION = 0.2  # last part of each session (in time) used for validation when none is given


@dataclass
class Prepared:
    """One session as model input: raw x float32 [N, C] (physical units), labels y float32 [N]."""

    name: str
    x: np.ndarray
    y: np.ndarray


def prepare(sessions, channels, rate_hz: float, half_width: int, window: int, *, what: str) -> list[Prepared]:
    """Matrices and labels of `sessions` at `rate_hz` (resampled if needed).

    Raises GaitnodeError for no sessions, a session without HS references, missing channels or a
    session shorter than one window."""
    sessions = list(sessions or [])
    if not sessions:
        raise GaitnodeError(f"no {what} sessions")
    out = []
    for s in sessions:
        s = at_rate(s, rate_hz)
        name = session_name(s)
        y = heel_strike_labels(s, half_width)
        x = session_matrix(s, channels)
        window_starts(len(x), window, 1, name=name)  # too short: error naming the session and lengths
        out.append(Prepared(name, x, y))
    return out


def hold_out_tail(prepared: list[Prepared], window: int,
                  fraction: float = VAL_HOLDOUT_FRACTION) -> tuple[list[Prepared], list[Prepared]]:
    """Split every session in time: the first 1 - fraction for training, the rest for validation.

    Raises GaitnodeError when a part would be shorter than one window."""
    train, val = [], []
    for p in prepared:
        cut = int(round(len(p.x) * (1.0 - fraction)))
        if cut < window or len(p.x) - cut < window:
            raise GaitnodeError(f"{p.name}: {len(p.x)} samples is too short to hold out its last "
                                f"{fraction:.0%} for validation (each part needs {window} samples); "
                                f"give validation sessions")
        train.append(Prepared(p.name, p.x[:cut], p.y[:cut]))
        val.append(Prepared(p.name + " (held-out tail)", p.x[cut:], p.y[cut:]))
    return train, val


class WindowSet:
    """All windows of some sessions, gathered on demand from the concatenated recordings.

    Window i covers raw samples x[start : start + W] of its session; its targets are
    y[start + j - output_delay] and its weights mark targets before the session start with 0.
    """

    def __init__(self, prepared: list[Prepared], window: int, hop: int, output_delay: int):
        check_window_params(window, hop, output_delay)
        self.window, self.output_delay = window, output_delay
        pad = np.zeros(output_delay, np.float32)
        xs, ys, valid, x_off, y_off = [], [], [], [], []
        nx = ny = 0
        for p in prepared:
            starts = window_starts(len(p.x), window, hop, name=p.name)
            x_off.append(nx + starts)
            y_off.append(ny + starts)  # padded labels: index start + j is y[start + j - d]
            xs.append(p.x)
            ys.append(np.concatenate([pad, p.y]))
            valid.append(np.concatenate([pad, np.ones(len(p.y), np.float32)]))
            nx += len(p.x)
            ny += len(p.y) + output_delay
        self.x = np.concatenate(xs)
        self.y = np.concatenate(ys)
        self.valid = np.concatenate(valid)
        self.x_start = np.concatenate(x_off)
        self.y_start = np.concatenate(y_off)

    def __len__(self) -> int:
        return len(self.x_start)

    def positive_fraction(self) -> float:
        """Fraction of 1 among the (valid) targets of all windows."""
        idx = self.y_start[:, None] + np.arange(self.window)
        w = self.valid[idx]
        return float((self.y[idx] * w).sum() / max(w.sum(), 1.0))

    def gather(self, rows: np.ndarray):
        """Raw X [n, W, C], targets Y [n, W] and validity [n, W] of windows `rows`."""
        j = np.arange(self.window)
        return (self.x[self.x_start[rows, None] + j], self.y[self.y_start[rows, None] + j],
                self.valid[self.y_start[rows, None] + j])


def class_weights(spec, positive_fraction: float) -> tuple[float, float]:
    """(positive weight, negative weight) for class_weight "balanced", None (1, 1) or a number (w, 1)."""
    if spec is None:
        return 1.0, 1.0
    if spec == "balanced":
        f = positive_fraction
        if not 0.0 < f < 1.0:
            raise GaitnodeError(f"training targets are {f:.0%} heel strike; balanced class weights need both classes")
        return 0.5 / f, 0.5 / (1.0 - f)
    if isinstance(spec, (int, float)) and spec > 0:
        return float(spec), 1.0
    raise GaitnodeError(f"class_weight must be 'balanced', None or a positive number, got {spec!r}")


def random_rotations(rng: np.random.Generator, n: int, max_deg: float) -> np.ndarray:
    """n rotation matrices [n, 3, 3] about random axes by angles uniform in +-max_deg."""
    axis = rng.standard_normal((n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = np.radians(rng.uniform(-max_deg, max_deg, n))
    return Rotation.from_rotvec(axis * angle[:, None]).as_matrix().astype(np.float32)


def rotate_windows(X: np.ndarray, R: np.ndarray, triplets) -> np.ndarray:
    """X [n, W, C] with every sensor triplet (column indices) rotated by R[n] (a copy)."""
    X = X.copy()
    for cols in triplets:
        cols = list(cols)
        X[..., cols] = np.einsum("nab,nwb->nwa", R, X[..., cols])
    return X


def run_epochs(model, train: WindowSet, val: WindowSet, *, mean, std, epochs: int, batch_size: int,
               patience: int, pos_weight: float, neg_weight: float, rng: np.random.Generator,
               rotation_deg: float = 0.0, triplets=(), max_train_s: float | None = None,
               verbose: int = 0) -> dict:
    """Train a compiled model epoch by epoch with early stopping on the validation loss.

    Each epoch reshuffles the training windows and runs len(train) // batch_size whole batches.
    max_train_s (s) bounds the whole run: no epoch starts that would not finish within it (by
    the longest epoch so far), and an epoch that reaches it stops early and is validated.
    Restores the weights of the best epoch before returning. Returns {"history": {"loss",
    "val_loss"}, "epochs_run", "best_epoch" (1-based), "best_val_loss", "stopped" ("patience" |
    "epochs" | "time_budget"), "seconds"}.
    """
    t0 = time.monotonic()
    Xv, Yv, Vv = val.gather(np.arange(len(val)))
    Xv = normalise(Xv, mean, std)
    Wv = Vv * np.where(Yv > 0.5, pos_weight, neg_weight).astype(np.float32)
    history = {"loss": [], "val_loss": []}
    best, best_epoch, best_weights, wait, stopped = math.inf, 0, model.get_weights(), 0, "epochs"
    # Whole batches only (the windows left over differ every epoch): one batch shape, one graph trace.
    batch = min(batch_size, len(train))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "build"):
        optimizer.build(model.trainable_variables)  # slots made up front: the train step traces once
    longest_epoch, out_of_time = 0.0, False
    for epoch in range(1, epochs + 1):
        t_epoch = time.monotonic()
        order = rng.permutation(len(train))
        total, count = 0.0, 0
        for b in range(0, len(order) - batch + 1, batch):
            # The budget is a promise: an epoch that would overrun it is cut short (then validated).
            if max_train_s is not None and count and time.monotonic() - t0 > max_train_s:
                out_of_time = True
                break
            rows = order[b:b + batch]
            X, Y, V = train.gather(rows)
            if rotation_deg > 0 and triplets:
                X = rotate_windows(X, random_rotations(rng, len(rows), rotation_deg), triplets)
            W = V * np.where(Y > 0.5, pos_weight, neg_weight).astype(np.float32)
            loss = model.train_on_batch(normalise(X, mean, std), Y, sample_weight=W)
            total += float(loss) * len(rows)
            count += len(rows)
        val_loss = float(model.evaluate(Xv, Yv, sample_weight=Wv, batch_size=max(batch_size, 256), verbose=0))
        history["loss"].append(total / count)
        history["val_loss"].append(val_loss)
        if verbose:
            print(f"epoch {epoch}/{epochs}: loss {total / count:.4f}, val_loss {val_loss:.4f}", flush=True)
        if val_loss < best:
            best, best_epoch, best_weights, wait = val_loss, epoch, model.get_weights(), 0
        else:
            wait += 1
        if wait >= patience:
            stopped = "patience"
            break
        longest_epoch = max(longest_epoch, time.monotonic() - t_epoch)
        # No new epoch when it would not fit in the budget (epochs take about equally long).
        if max_train_s is not None and epoch < epochs and (
                out_of_time or time.monotonic() - t0 + longest_epoch > max_train_s):
            stopped = "time_budget"
            break
    if best_epoch == 0:
        raise GaitnodeError(f"training diverged: the validation loss was never finite ({history['val_loss']}); "
                            f"lower the learning rate")
    model.set_weights(best_weights)
    return {"history": history, "epochs_run": len(history["loss"]), "best_epoch": best_epoch,
            "best_val_loss": best, "stopped": stopped, "seconds": round(time.monotonic() - t0, 3)}


def common_value(sessions, get, what: str, hint: str) -> object:
    """The single value of `get(session)` over sessions; GaitnodeError listing them when mixed."""
    values = {}
    for s in sessions:
        values.setdefault(get(s), session_name(s))
    if len(values) > 1:
        found = "; ".join(f"{v} (e.g. {n})" for v, n in values.items())
        raise GaitnodeError(f"sessions have mixed {what}: {found}; {hint}")
    return next(iter(values))


class HeelStrikeTrainer:
    """Train a heel-strike model (see the module docstring for targets, weights, augmentation).

    Parameters
    ----------
    architecture : "cnn_lstm" | "cnn_lstm_paper" | "lstm_only" (heel_strike_models).
    channels : "acc+gyr" (6 channels) | "acc+gyr+mag" (9) | a list of channel names.
    window, hop, output_delay : samples (model-dir contract); train_hop: training window spacing.
    label_half_width : samples each side of a heel strike labelled 1.
    epochs, batch_size, learning_rate (Adam), patience (epochs without a better val loss).
    class_weight : "balanced" | None | positive weight (number).
    augment_rotation_deg : largest random sensor-frame rotation per training window (0: off).
    threshold, min_interval_s : detection settings written to model.json (event picking).
    seed : seeds weights, shuffling, dropout and augmentation; equal data and seed give equal weights.
    max_train_s : time budget in seconds; no new epoch starts once exceeded (None: no limit).
    verbose : 1 prints one line per epoch.

    Results (after `fit`)
    ---------------------
    model_ : the trained tf_keras model (best validation epoch).
    meta_ : the model.json dict of the contract, with a "training" record.
    history_ : {"loss": [...], "val_loss": [...]} per epoch (weighted per-sample BCE).
    normalizer_ : the fitted Normalizer (mean_, std_ in channel units).
    """

    def __init__(self, architecture: str = "cnn_lstm", channels="acc+gyr", window: int = 128, hop: int = 32,
                 output_delay: int = 8, label_half_width: int = DEFAULT_HALF_WIDTH, epochs: int = 30, batch_size: int = 64,
                 learning_rate: float = 2e-3, patience: int = 4, train_hop: int = 16, class_weight="balanced",
                 augment_rotation_deg: float = 15.0, threshold: float = 0.5, min_interval_s: float = 0.35,
                 seed: int = 0, max_train_s: float | None = None, verbose: int = 0):
        self.architecture = architecture
        self.channels = channels
        self.window = window
        self.hop = hop
        self.output_delay = output_delay
        self.label_half_width = label_half_width
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.train_hop = train_hop
        self.class_weight = class_weight
        self.augment_rotation_deg = augment_rotation_deg
        self.threshold = threshold
        self.min_interval_s = min_interval_s
        self.seed = seed
        self.max_train_s = max_train_s
        self.verbose = verbose

    def _check_params(self) -> tuple[str, ...]:
        check_architecture(self.architecture, self.window)
        check_window_params(self.window, self.hop, self.output_delay)
        check_window_params(self.window, self.train_hop, 0)
        for name in ("epochs", "batch_size", "patience"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
        if not self.learning_rate > 0:
            raise GaitnodeError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if not 0 <= self.augment_rotation_deg <= 180:
            raise GaitnodeError(f"augment_rotation_deg must be 0-180 degrees, got {self.augment_rotation_deg!r}")
        return resolve_channels(self.channels)

    def fit(self, train_sessions: list[Session], val_sessions: list[Session] | None = None) -> "HeelStrikeTrainer":
        """Train on `train_sessions`, early-stop on `val_sessions` (None: the last 20 % in time of
        each training session). All sessions must share one rate and one placement and carry
        own-side HS references. Raises GaitnodeError for bad input. Returns self."""
        channels = self._check_params()
        train_sessions = list(train_sessions or [])
        val_sessions = list(val_sessions or [])
        if not train_sessions:
            raise GaitnodeError("no training sessions")
        everything = train_sessions + val_sessions
        rate = common_value(everything, lambda s: float(s.meta.rate_hz), "sample rates",
                            "train on sessions of one rate (resample them on import)")
        placement = common_value(everything, lambda s: s.meta.placement, "placements",
                                 "train one model per placement (filter the sessions by placement)")
        tf, keras = tf_env.load()
        tf_env.set_seed(self.seed)
        t0 = time.monotonic()

        train_p = prepare(train_sessions, channels, rate, self.label_half_width, self.window, what="training")
        if val_sessions:
            val_p = prepare(val_sessions, channels, rate, self.label_half_width, self.window, what="validation")
            validation = "sessions"
        else:
            train_p, val_p = hold_out_tail(train_p, self.window)
            validation = f"last {VAL_HOLDOUT_FRACTION:.0%} of each training session in time"
        norm = Normalizer().fit([p.x for p in train_p])
        train_set = WindowSet(train_p, self.window, self.train_hop, self.output_delay)
        val_set = WindowSet(val_p, self.window, self.hop, self.output_delay)
        fraction = train_set.positive_fraction()
        pos_w, neg_w = class_weights(self.class_weight, fraction)

        model = build_model(self.architecture, self.window, len(channels), seed=self.seed)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=per_sample_bce)
        run = run_epochs(model, train_set, val_set, mean=norm.mean_, std=norm.std_, epochs=self.epochs,
                         batch_size=self.batch_size, patience=self.patience, pos_weight=pos_w, neg_weight=neg_w,
                         rng=np.random.default_rng(self.seed), rotation_deg=self.augment_rotation_deg,
                         triplets=sensor_triplets(channels), max_train_s=self.max_train_s, verbose=self.verbose)

        self.model_ = model
        self.normalizer_ = norm
        self.history_ = run["history"]
        self.meta_ = {
            "format": "gaitnode-model", "version": 1, "task": "heel_strike", "architecture": self.architecture,
            "placement": placement, "rate_hz": rate, "channels": list(channels), "window": self.window,
            "hop": self.hop, "output_delay": self.output_delay, "label_half_width": self.label_half_width,
            "norm_mean": [float(v) for v in norm.mean_], "norm_std": [float(v) for v in norm.std_],
            "threshold": float(self.threshold), "min_interval_s": float(self.min_interval_s), "seed": int(self.seed),
            "synthetic_training_data": all(bool(s.meta.synthetic) for s in everything),
            "training": {
                "sessions": {"train": [session_name(s) for s in train_sessions],
                             "val": [session_name(s) for s in val_sessions]},
                "subjects": {"train": subjects_of(train_sessions), "val": subjects_of(val_sessions)},
                "validation": validation,
                "n_windows": {"train": len(train_set), "val": len(val_set)},
                "label_fraction": round(fraction, 5),
                "class_weight": {"spec": self.class_weight, "positive": round(pos_w, 5), "negative": round(neg_w, 5)},
                "epochs": self.epochs, "epochs_run": run["epochs_run"], "best_epoch": run["best_epoch"],
                "best_val_loss": run["best_val_loss"], "stopped": run["stopped"],
                "history": run["history"],
                "batch_size": self.batch_size, "learning_rate": self.learning_rate, "patience": self.patience,
                "train_hop": self.train_hop, "augment_rotation_deg": self.augment_rotation_deg,
                "max_train_s": self.max_train_s, "train_seconds": round(time.monotonic() - t0, 3),
                "params": int(model.count_params()),
                "loss": "per-sample binary cross-entropy, class-weighted",
                "tensorflow": tf.__version__,
            },
        }
        return self
