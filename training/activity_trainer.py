"""Train an activity-recognition model (paper 003's CNN-LSTM) on sessions with activity labels.

Data (activity_dataset): 100 Hz sessions are averaged into 50 Hz rows as the node does, cut into
128-row windows and labelled per window (label_rule "majority" by default); windows without a
label among the classes (running, unknown) are left out. Training windows start every
`train_hop` rows (denser than the deployed `hop`, reshuffled every epoch); validation windows use
the deployed hop.

Loss: sparse categorical cross-entropy (the paper's categorical cross-entropy on integer
labels), Adam, batch 32 (paper 003). class_weight "balanced" weights each window by
1 / (n_classes * class fraction) of the training windows; None (default) weights all alike, as
the paper does, so the model fits the accuracy it is judged by.

Augmentation: each training window's sensor frame is rotated about a random axis by an angle
uniform in +-augment_rotation_deg (acc and gyr together), before normalisation; the simulator
already turns the sensor about the limb's long axis. Early stopping on the validation loss, the
best epoch's weights restored. Fixed seeds: the same data and seed give the same weights.
"""

from __future__ import annotations

import math
import time

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.activity_dataset import (
    ACTIVITY_CLASSES, ACTIVITY_HOP, ACTIVITY_RATE_HZ, ACTIVITY_WINDOW, DEFAULT_LABEL_RULE, INPUT_CLIP, LABEL_RULES,
    ActivityPrepared, check_classes, prepare_activity,
)
from gaitnode.training.activity_models import (
    build_activity_model, check_activity_architecture, compile_activity_model,
)
from gaitnode.training.datasets import session_name, subjects_of
from gaitnode.training.heel_strike_trainer import common_value, random_rotations, rotate_windows
from gaitnode.training.vo2_dataset import model_inputs
from gaitnode.training.windows import Normalizer, check_window_params, resolve_channels, sensor_triplets

VAL_HOLDOUT_FRACTION = 0.2


class WindowIndex:
    """The labelled windows of prepared sessions as (session, start row) pairs, gathered lazily."""

    def __init__(self, prepared: list[ActivityPrepared]):
        self.prepared = list(prepared)
        which, starts, y = [], [], []
        for i, p in enumerate(self.prepared):
            keep = p.y >= 0
            which.append(np.full(int(keep.sum()), i, np.int64))
            starts.append(p.starts[keep])
            y.append(p.y[keep])
        self.which = np.concatenate(which) if which else np.zeros(0, np.int64)
        self.starts = np.concatenate(starts) if starts else np.zeros(0, np.int64)
        self.y = np.concatenate(y).astype(np.int64) if y else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.y)

    def gather(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """Raw windows float32 [n, W, C] and labels int64 [n] of the windows at positions `rows`."""
        rows = np.asarray(rows)
        W = self.prepared[0].window
        X = np.empty((len(rows), W, self.prepared[0].x.shape[1]), np.float32)
        j = np.arange(W)
        for i in np.unique(self.which[rows]):
            sel = np.flatnonzero(self.which[rows] == i)
            X[sel] = self.prepared[i].x[self.starts[rows[sel]][:, None] + j]
        return X, self.y[rows]


def hold_out_tail(prepared: list[ActivityPrepared], fraction: float = VAL_HOLDOUT_FRACTION):
    """(train, val): the first 1 - fraction of every session's windows, and the windows after them
    that share no row with a training window."""
    train, val = [], []
    for p in prepared:
        cut = int(round(len(p.starts) * (1.0 - fraction)))
        if cut < 1 or cut >= len(p.starts):
            raise GaitnodeError(f"{p.name}: {len(p.starts)} windows are too few to hold out the last "
                                f"{fraction:.0%} for validation; give validation sessions")
        first_free = np.searchsorted(p.starts, p.starts[cut - 1] + p.window)
        pick = lambda a, b: ActivityPrepared(p.name, p.subject, p.protocol, p.x, p.starts[a:b], p.y[a:b],  # noqa: E731
                                             p.purity[a:b], p.end_sample[a:b], p.window)
        train.append(pick(0, cut))
        if first_free < len(p.starts):
            val.append(pick(first_free, len(p.starts)))
    if not val:
        raise GaitnodeError("the sessions are too short to hold out validation windows; give validation sessions")
    return train, val


def balanced_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-class weights 1 / (n_classes * fraction) over the labels y (0 for an absent class)."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return np.where(counts > 0, len(y) / np.maximum(n_classes * counts, 1.0), 0.0).astype(np.float32)


def fit_windows(model, train: WindowIndex, val: WindowIndex, *, mean, std, clip: float | None, epochs: int,
                batch_size: int, patience: int, class_weights: np.ndarray | None, rng: np.random.Generator,
                rotation_deg: float = 0.0, triplets=(), max_train_s: float | None = None, verbose: int = 0) -> dict:
    """Epochs of train_on_batch over shuffled whole batches, early stopping on the validation loss
    (best weights restored). max_train_s bounds the run as heel_strike_trainer.run_epochs does.
    Returns {"history": {"loss", "val_loss", "val_accuracy"}, "epochs_run", "best_epoch",
    "best_val_loss", "stopped", "seconds"}."""
    t0 = time.monotonic()
    Xv, Yv = val.gather(np.arange(len(val)))
    Xv = model_inputs(Xv, mean, std, clip)
    history = {"loss": [], "val_loss": [], "val_accuracy": []}
    best, best_epoch, best_weights, wait, stopped = math.inf, 0, model.get_weights(), 0, "epochs"
    batch = min(batch_size, len(train))
    if hasattr(model.optimizer, "build"):
        model.optimizer.build(model.trainable_variables)
    longest, out_of_time = 0.0, False
    for epoch in range(1, epochs + 1):
        t_epoch = time.monotonic()
        order = rng.permutation(len(train))
        total, count = 0.0, 0
        for b in range(0, len(order) - batch + 1, batch):
            if max_train_s is not None and count and time.monotonic() - t0 > max_train_s:
                out_of_time = True
                break
            rows = order[b:b + batch]
            X, Y = train.gather(rows)
            if rotation_deg > 0 and triplets:
                X = rotate_windows(X, random_rotations(rng, len(rows), rotation_deg), triplets)
            w = None if class_weights is None else class_weights[Y]
            out = model.train_on_batch(model_inputs(X, mean, std, clip), Y, sample_weight=w)
            total += float(np.ravel(out)[0]) * len(rows)
            count += len(rows)
        probs = model.predict(Xv, batch_size=256, verbose=0)
        p_true = np.clip(probs[np.arange(len(Yv)), Yv], 1e-7, 1.0)
        val_loss = float(-np.mean(np.log(p_true)))
        val_acc = float(np.mean(np.argmax(probs, axis=1) == Yv))
        history["loss"].append(total / max(count, 1))
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_acc)
        if verbose:
            print(f"epoch {epoch}/{epochs}: loss {total / max(count, 1):.4f}, val_loss {val_loss:.4f}, "
                  f"val_accuracy {val_acc:.4f}", flush=True)
        if val_loss < best:
            best, best_epoch, best_weights, wait = val_loss, epoch, model.get_weights(), 0
        else:
            wait += 1
        if wait >= patience:
            stopped = "patience"
            break
        longest = max(longest, time.monotonic() - t_epoch)
        if max_train_s is not None and epoch < epochs and (
                out_of_time or time.monotonic() - t0 + longest > max_train_s):
            stopped = "time_budget"
            break
    if best_epoch == 0:
        raise GaitnodeError(f"activity training diverged: the validation loss was never finite "
                            f"({history['val_loss']}); lower the learning rate")
    model.set_weights(best_weights)
    return {"history": history, "epochs_run": len(history["loss"]), "best_epoch": best_epoch,
            "best_val_loss": best, "stopped": stopped, "seconds": round(time.monotonic() - t0, 3)}


class ActivityTrainer:
    """Train an activity classifier (see the module docstring).

    Parameters
    ----------
    architecture : "cnn_lstm" (node-sized) | "cnn_lstm_paper" (paper 003's sizes) (activity_models).
    channels : "acc+gyr" (6, default; UCI HAR has no magnetometer) | "acc+gyr+mag" | a list of names.
    rate_hz : model row rate (50 Hz; sessions must be at a whole multiple of it).
    window, hop : rows at rate_hz (128, 64: UCI HAR's windows); train_hop : rows between training windows.
    classes : activity names (default the UCI HAR six, in ACTIVITIES order).
    label_rule : "majority" | "last" (activity_dataset).
    epochs, batch_size (32, the paper's), learning_rate (Adam), patience (epochs without a better
        validation loss).
    class_weight : None (all windows alike) | "balanced".
    augment_rotation_deg : largest random sensor-frame rotation per window (0: off).
    seed : weights, shuffling, dropout and augmentation. max_train_s : time budget (None: none).
    verbose : 1 prints one line per epoch.

    Results (after `fit`)
    ---------------------
    model_ : the trained tf_keras model (best validation epoch), softmax [batch, n_classes], compiled.
    meta_ : the model.json dict (task "activity", output "window"), with a "training" record.
    history_ : {"loss", "val_loss", "val_accuracy"} per epoch. normalizer_ : the fitted Normalizer.
    """

    def __init__(self, architecture: str = "cnn_lstm", channels="acc+gyr", rate_hz: float = ACTIVITY_RATE_HZ,
                 window: int = ACTIVITY_WINDOW, hop: int = ACTIVITY_HOP, train_hop: int = 16,
                 classes=ACTIVITY_CLASSES, label_rule: str = DEFAULT_LABEL_RULE, epochs: int = 30,
                 batch_size: int = 32, learning_rate: float = 1e-3, patience: int = 5, class_weight=None,
                 augment_rotation_deg: float = 10.0, seed: int = 0, max_train_s: float | None = None,
                 verbose: int = 0):
        self.architecture = architecture
        self.channels = channels
        self.rate_hz = rate_hz
        self.window = window
        self.hop = hop
        self.train_hop = train_hop
        self.classes = classes
        self.label_rule = label_rule
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.class_weight = class_weight
        self.augment_rotation_deg = augment_rotation_deg
        self.seed = seed
        self.max_train_s = max_train_s
        self.verbose = verbose

    def _check_params(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        check_activity_architecture(self.architecture, self.window)
        check_window_params(self.window, self.hop, 0)
        check_window_params(self.window, self.train_hop, 0)
        for name in ("epochs", "batch_size", "patience"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
        if self.label_rule not in LABEL_RULES:
            raise GaitnodeError(f"label rule {self.label_rule!r} is not one of {', '.join(LABEL_RULES)}")
        if self.class_weight not in (None, "balanced"):
            raise GaitnodeError(f"class_weight must be None or 'balanced', got {self.class_weight!r}")
        for name in ("learning_rate", "rate_hz"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise GaitnodeError(f"{name} must be positive, got {v!r}")
        if not 0 <= self.augment_rotation_deg <= 180:
            raise GaitnodeError(f"augment_rotation_deg must be 0-180 degrees, got {self.augment_rotation_deg!r}")
        return resolve_channels(self.channels), check_classes(self.classes)

    def fit(self, train_sessions: list[Session], val_sessions: list[Session] | None = None) -> "ActivityTrainer":
        """Train on `train_sessions`, early-stop on `val_sessions` (None: the last 20 % of each training
        session's windows). All sessions must share one placement and a rate that is a whole multiple
        of rate_hz. Returns self."""
        channels, classes = self._check_params()
        train_sessions, val_sessions = list(train_sessions or []), list(val_sessions or [])
        if not train_sessions:
            raise GaitnodeError("no training sessions")
        everything = train_sessions + val_sessions
        placement = common_value(everything, lambda s: s.meta.placement, "placements",
                                 "train one model per placement (filter the sessions by placement)")
        tf, keras = tf_env.load()
        tf_env.set_seed(self.seed)
        t0 = time.monotonic()
        args = dict(rate_hz=float(self.rate_hz), window=self.window, classes=classes, label_rule=self.label_rule)
        train_p = prepare_activity(train_sessions, channels, hop=self.train_hop, what="training", **args)
        if val_sessions:
            val_p = prepare_activity(val_sessions, channels, hop=self.hop, what="validation", **args)
            validation = "sessions"
        else:
            train_p, val_p = hold_out_tail(train_p)
            validation = "last 20% of each training session's windows"
        train_set, val_set = WindowIndex(train_p), WindowIndex(val_p)
        for what, s in (("training", train_set), ("validation", val_set)):
            if len(s) == 0:
                raise GaitnodeError(f"no labelled {what} window (classes {', '.join(classes)})")
        norm = Normalizer().fit([p.x for p in train_p])
        counts = np.bincount(train_set.y, minlength=len(classes))
        weights = balanced_weights(train_set.y, len(classes)) if self.class_weight == "balanced" else None

        model = compile_activity_model(build_activity_model(self.architecture, self.window, len(channels),
                                                            len(classes), seed=self.seed), self.learning_rate)
        run = fit_windows(model, train_set, val_set, mean=norm.mean_, std=norm.std_, clip=INPUT_CLIP,
                          epochs=self.epochs, batch_size=self.batch_size, patience=self.patience,
                          class_weights=weights, rng=np.random.default_rng(self.seed),
                          rotation_deg=self.augment_rotation_deg, triplets=sensor_triplets(channels),
                          max_train_s=self.max_train_s, verbose=self.verbose)
        self.model_ = model
        self.normalizer_ = norm
        self.history_ = run["history"]
        self.meta_ = {
            "format": "gaitnode-model", "version": 1, "task": "activity", "architecture": self.architecture,
            "placement": placement, "rate_hz": float(self.rate_hz), "channels": list(channels),
            "window": int(self.window), "hop": int(self.hop),
            "norm_mean": [float(v) for v in norm.mean_], "norm_std": [float(v) for v in norm.std_],
            "input_clip": INPUT_CLIP, "classes": list(classes), "output": "window", "seed": int(self.seed),
            "synthetic_training_data": all(bool(s.meta.synthetic) for s in everything),
            "training": {
                "sessions": {"train": [session_name(s) for s in train_sessions],
                             "val": [session_name(s) for s in val_sessions]},
                "subjects": {"train": subjects_of(train_sessions), "val": subjects_of(val_sessions)},
                "validation": validation, "label_rule": self.label_rule, "train_hop": int(self.train_hop),
                "decimation": "mean of session_rate / rate_hz consecutive samples per row (as the node)",
                "n_windows": {"train": len(train_set), "val": len(val_set)},
                "train_class_counts": {c: int(n) for c, n in zip(classes, counts)},
                "class_weight": self.class_weight,
                "epochs": self.epochs, "epochs_run": run["epochs_run"], "best_epoch": run["best_epoch"],
                "best_val_loss": run["best_val_loss"],
                "best_val_accuracy": run["history"]["val_accuracy"][run["best_epoch"] - 1],
                "stopped": run["stopped"], "history": run["history"],
                "batch_size": self.batch_size, "learning_rate": self.learning_rate, "patience": self.patience,
                "augment_rotation_deg": self.augment_rotation_deg, "max_train_s": self.max_train_s,
                "loss": "sparse categorical cross-entropy (Adam)",
                "train_seconds": round(time.monotonic() - t0, 3), "params": int(model.count_params()),
                "tensorflow": tf.__version__,
            },
        }
        return self
