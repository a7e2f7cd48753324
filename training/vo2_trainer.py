"""Train a VO2 model (ml/kg/min per IMU window) on sessions with a VO2 reference.

Loss: the node smooths the per-window outputs u_k with a first-order filter (time constant
train_tau_s, step hop / rate), so training runs the model on runs of `seq_len` consecutive
windows, filters its outputs exactly as the node does (x_k = x_{k-1} + a (u_k - x_{k-1}), the
filter state before a run set to the target there) and minimises the squared error of the
filtered series against the target VO2: relative to the target by default (loss="relative",
MAPE's weighting), or in units of the training targets' standard deviation (loss="mse").
So the per-window output learns the VO2 the current gait leads to (the demand) and the filter
supplies the lag of the VO2 kinetics, without differentiating a noisy target. A small per-window
term (window_loss_weight) keeps single outputs near the target, so they stay in a range that
quantises well. Targets: see vo2_dataset (breath-by-breath "vo2" averaged over 10 s by default).

After training, `smooth_tau_s` (what the node uses) is picked on the validation sessions from a
grid (vo2_estimate.fit_smoothing): the lowest MAPE of the node's smoothed estimates (outputs
averaged per estimate period) against the validation targets.

Augmentation: every training run's sensor frame is rotated about a random axis by up to
augment_rotation_deg (acc, gyr, mag together; one rotation per run: a mounting does not change
within a walk). Splits are by subject. Fixed seeds: the same data and seed give the same weights.
"""

from __future__ import annotations

import math
import time

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name, subjects_of
from gaitnode.training.heel_strike_trainer import common_value, random_rotations, rotate_windows
from gaitnode.training.model_dir import VO2_TARGET
from gaitnode.training.vo2_dataset import (
    BREATH_AVERAGE_S, DEFAULT_SOURCE, TARGET_SOURCES, INPUT_CLIP, SequenceSet, Vo2Prepared, filter_coefficient,
    model_inputs,
    hold_out_tail_windows, prepare_vo2,
)
from gaitnode.training.vo2_estimate import DEFAULT_PERIOD_S, TAU_GRID_S, fit_smoothing
from gaitnode.training.vo2_models import build_vo2_model, check_vo2_architecture
from gaitnode.training.windows import Normalizer, check_window_params, resolve_channels, sensor_triplets

LOSSES = ("relative", "mse")
MIN_TARGET = 1.0  # ml/kg/min: floor of the relative loss's divisor (VO2 is never below ~3 at rest)


def predict_windows(model, prepared: Vo2Prepared, mean, std, batch_size: int = 512,
                    clip: float | None = INPUT_CLIP) -> np.ndarray:
    """The model's output (ml/kg/min) for every window of one prepared session, float64 [n]."""
    j = np.arange(model.input_shape[1])
    out = []
    for b in range(0, len(prepared.starts), batch_size):
        X = prepared.x[prepared.starts[b:b + batch_size, None] + j]
        out.append(np.asarray(model(model_inputs(X, mean, std, clip), training=False)).reshape(-1))
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def sequence_loss(u: np.ndarray, y: np.ndarray, a: float, scale: float, window_weight: float,
                  relative: bool = False) -> tuple[float, int]:
    """(sum of squared errors, count) of one session's outputs u against targets y, filtered from x0 = y[0];
    errors divided by `scale`, or by the target itself when `relative`."""
    x = np.empty_like(u)
    prev = float(y[0])
    for k in range(len(u)):
        prev = prev + a * (u[k] - prev)
        x[k] = prev
    den = np.maximum(y, MIN_TARGET) if relative else scale
    sse = float(np.sum(((x - y) / den) ** 2) + window_weight * np.sum(((u - y) / den) ** 2))
    return sse, len(u)


def filter_runs(u, x0, dt_s: float, log_tau):
    """The node's smoothing over runs, differentiable (TensorFlow): u [B, L] outputs dt_s apart,
    x0 [B] the filter state before each run, tau = exp(log_tau). Returns [B, L]:
    y = u A^T + x0 d with A[i, j] = a (1 - a)^(i - j) for j <= i, d[i] = (1 - a)^(i + 1), a = 1 - exp(-dt / tau)."""
    tf, _ = tf_env.load()
    L = int(u.shape[1])
    lag = np.arange(L)[:, None] - np.arange(L)[None, :]
    rate = dt_s / tf.exp(log_tau)
    A = tf.constant((lag >= 0).astype(np.float32)) * (1.0 - tf.exp(-rate)) * tf.exp(
        -tf.constant(np.maximum(lag, 0).astype(np.float32)) * rate)
    d = tf.exp(-tf.constant(np.arange(1, L + 1, dtype=np.float32)) * rate)
    return tf.matmul(u, A, transpose_b=True) + x0[:, None] * d[None, :]


TAU_RANGE_S = (5.0, 120.0)  # a learned smoothing time constant stays in here
TAU_LEARNING_RATE = 0.02  # Adam step on log(tau): tau can move by tens of percent within a fine-tuning


def run_sequence_epochs(model, train: SequenceSet, val: list[Vo2Prepared], *, mean, std, dt_s: float, tau_s: float,
                        scale: float, window_weight: float, relative: bool, epochs: int, batch_sequences: int,
                        learning_rate: float, patience: int, rng: np.random.Generator, rotation_deg: float = 0.0,
                        triplets=(), max_train_s: float | None = None, anchor: float = 0.0, learn_tau: bool = False,
                        clip: float | None = INPUT_CLIP, keep_start: bool = False, verbose: int = 0) -> dict:
    """Train `model` (trainable variables as set by the caller) with the filtered-sequence loss: the
    outputs of consecutive windows (dt_s apart) filtered with time constant tau_s.

    learn_tau (fine-tuning): tau is learned too (Adam on log tau, kept in TAU_RANGE_S): the
    subject's own VO2 kinetics, which the first minutes of exercise show.
    keep_start (fine-tuning): the starting weights count as epoch 0 of the early stopping, so a
    run that never beats them on the validation data gives them back unchanged ("best_epoch" 0).

    anchor (fine-tuning): weight of an L2-SP penalty, anchor * mean((w - w_start)^2) over the
    trainable weights, which keeps them near where training started (Li et al., ICML 2018,
    "Explicit inductive bias for transfer learning") so a little data adapts, not overwrites.

    Adam(learning_rate); each epoch covers every training window once (runs of train.length, whole
    batches of batch_sequences runs); early stopping on the validation loss (same loss over whole
    validation sessions) with the best weights restored. max_train_s bounds the run as in the
    heel-strike trainer. Returns {"history": {"loss", "val_loss"}, "epochs_run", "best_epoch",
    "best_val_loss", "stopped", "seconds", "tau_s"}.
    """
    tf, keras = tf_env.load()
    t0 = time.monotonic()
    L = train.length
    log_tau = tf.Variable(math.log(max(float(tau_s), 1e-3)), dtype=tf.float32, name="log_tau")
    lo, hi = math.log(TAU_RANGE_S[0]), math.log(TAU_RANGE_S[1])
    optimizer = keras.optimizers.Adam(learning_rate)
    variables = model.trainable_variables
    if variables:
        optimizer.build(variables)
    tau_optimizer = keras.optimizers.Adam(TAU_LEARNING_RATE)
    if learn_tau:
        tau_optimizer.build([log_tau])
    mean32, std32 = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    B = max(1, batch_sequences)
    start = [tf.constant(v.numpy()) for v in variables]
    n_weights = float(max(1, sum(int(np.prod(v.shape)) for v in variables)))
    W, C = model.input_shape[1], model.input_shape[2]

    @tf.function(input_signature=[tf.TensorSpec([B * L, W, C], tf.float32), tf.TensorSpec([B, L], tf.float32),
                                  tf.TensorSpec([B, L], tf.float32), tf.TensorSpec([B], tf.float32)])
    def step(X, Y, M, x0):
        with tf.GradientTape() as tape:
            u = tf.reshape(model(X, training=True), [B, L])
            yhat = filter_runs(u, x0, dt_s, log_tau) if (tau_s > 0 or learn_tau) else u
            n = tf.maximum(tf.reduce_sum(M), 1.0)
            den = tf.maximum(Y, MIN_TARGET) if relative else scale
            loss = (tf.reduce_sum(M * tf.square((yhat - Y) / den))
                    + window_weight * tf.reduce_sum(M * tf.square((u - Y) / den))) / n
            if anchor > 0 and variables:
                moved = tf.add_n([tf.reduce_sum(tf.square(v - w)) for v, w in zip(variables, start)])
                loss += anchor * moved / n_weights
        grads = tape.gradient(loss, variables + ([log_tau] if learn_tau else []))
        if variables:
            optimizer.apply_gradients(zip(grads[:len(variables)], variables))
        if learn_tau:
            tau_optimizer.apply_gradients([(grads[-1], log_tau)])
            log_tau.assign(tf.clip_by_value(log_tau, lo, hi))
        return loss

    def current_tau() -> float:
        return float(np.exp(log_tau.numpy())) if (tau_s > 0 or learn_tau) else 0.0

    def val_loss() -> float:
        total, count = 0.0, 0
        a = filter_coefficient(dt_s, current_tau())
        for p in val:
            u = predict_windows(model, p, mean32, std32, clip=clip)
            sse, n = sequence_loss(u, p.y.astype(np.float64), a, scale, window_weight, relative)
            total, count = total + sse, count + n
        return total / max(count, 1)

    history = {"loss": [], "val_loss": [], "tau_s": []}
    best, best_epoch, best_weights, wait, stopped = math.inf, 0, model.get_weights(), 0, "epochs"
    best_tau = current_tau()
    start_loss = val_loss() if keep_start else math.inf
    if math.isfinite(start_loss):
        best = start_loss
    longest, out_of_time = 0.0, False
    for epoch in range(1, epochs + 1):
        t_epoch = time.monotonic()
        runs = train.epoch(rng)
        if len(runs) < B:  # too few runs for one batch: repeat them (small fine-tuning sets)
            runs = [runs[k % len(runs)] for k in range(B)]
        total, count = 0.0, 0
        for b in range(0, len(runs) - B + 1, B):
            if max_train_s is not None and count and time.monotonic() - t0 > max_train_s:
                out_of_time = True
                break
            X, Y, M, x0 = train.gather(runs[b:b + B])
            if rotation_deg > 0 and triplets:
                R = np.repeat(random_rotations(rng, B, rotation_deg), L, axis=0)
                X = rotate_windows(X, R, triplets)
            loss = float(step(model_inputs(X, mean32, std32, clip), Y, M, x0))
            total += loss
            count += 1
        v = val_loss()
        history["loss"].append(total / max(count, 1))
        history["val_loss"].append(v)
        history["tau_s"].append(current_tau())
        if verbose:
            print(f"epoch {epoch}/{epochs}: loss {total / max(count, 1):.4f}, val_loss {v:.4f}, "
                  f"tau {current_tau():.1f} s", flush=True)
        if v < best:
            best, best_epoch, best_weights, wait, best_tau = v, epoch, model.get_weights(), 0, current_tau()
        else:
            wait += 1
        if wait >= patience:
            stopped = "patience"
            break
        longest = max(longest, time.monotonic() - t_epoch)
        over = out_of_time or time.monotonic() - t0 + longest > (max_train_s or 0.0)
        if max_train_s is not None and epoch < epochs and over:
            stopped = "time_budget"
            break
    if best_epoch == 0 and not math.isfinite(start_loss):
        raise GaitnodeError(f"VO2 training diverged: the validation loss was never finite ({history['val_loss']}); "
                            f"lower the learning rate")
    model.set_weights(best_weights)
    return {"history": history, "epochs_run": len(history["loss"]), "best_epoch": best_epoch,
            "best_val_loss": best, "stopped": stopped, "seconds": round(time.monotonic() - t0, 3),
            "tau_s": best_tau}


def smoothing_inputs(model, prepared: list[Vo2Prepared], mean, std):
    """fit_smoothing's per-session tuples for prepared validation sessions (targets as the reference)."""
    out = []
    for p in prepared:
        u = predict_windows(model, p, mean, std)
        ref_t, ref_y = p.t_end.astype(np.float64), p.y.astype(np.float64)
        out.append((p.t_end, u, p.t0, lambda t, rt=ref_t, ry=ref_y: np.interp(t, rt, ry, left=np.nan, right=np.nan)))
    return out


def check_positive_int(**values) -> None:
    for name, v in values.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")


class Vo2Trainer:
    """Train a VO2 model (see the module docstring for targets, loss, smoothing and augmentation).

    Parameters
    ----------
    architecture : "cnn_lstm" | "cnn_lstm_paper" | "lstm_only" (vo2_models).
    channels : "acc+gyr" (6 channels) | "acc+gyr+mag" (9) | a list of channel names.
    window, hop : samples at the sessions' rate (one inference every hop samples on the node).
    target_source : "vo2" (breath by breath, averaged over breath_average_s) | "vo2_true" (simulator).
    train_tau_s : smoothing time constant inside the training loss (s).
    seq_len : windows per training run; batch_sequences : runs per batch.
    window_loss_weight : weight of the per-window error term.
    loss : "relative" (errors / target: MAPE's weighting, rest counts as much as running) |
        "mse" (errors / the training targets' standard deviation, the paper's MSE).
    epochs, learning_rate (Adam), patience (epochs without a better validation loss).
    augment_rotation_deg : largest random sensor-frame rotation per run (0: off).
    estimate_period_s : the node's estimate period for the smoothing fit (s).
    seed : seeds weights, shuffling, dropout and augmentation.
    max_train_s : time budget in seconds (None: no limit). verbose : 1 prints one line per epoch.

    Results (after `fit`)
    ---------------------
    model_ : the trained tf_keras model (best validation epoch), output ml/kg/min per window.
    meta_ : the model.json dict of the contract (task "vo2"), with a "training" record.
    history_ : {"loss": [...], "val_loss": [...]} per epoch.
    normalizer_ : the fitted Normalizer. smoothing_ : {"tau_s": chosen, "grid_mape_pct": {tau: MAPE}}.
    """

    def __init__(self, architecture: str = "cnn_lstm", channels="acc+gyr", window: int = 128, hop: int = 100,
                 target_source: str = DEFAULT_SOURCE, breath_average_s: float = BREATH_AVERAGE_S,
                 train_tau_s: float = 30.0, seq_len: int = 64, batch_sequences: int = 4,
                 window_loss_weight: float = 0.1, loss: str = "relative", epochs: int = 20,
                 learning_rate: float = 1e-3, patience: int = 5, augment_rotation_deg: float = 15.0,
                 estimate_period_s: float = DEFAULT_PERIOD_S, seed: int = 0, max_train_s: float | None = None,
                 verbose: int = 0):
        self.architecture = architecture
        self.channels = channels
        self.window = window
        self.hop = hop
        self.target_source = target_source
        self.breath_average_s = breath_average_s
        self.train_tau_s = train_tau_s
        self.seq_len = seq_len
        self.batch_sequences = batch_sequences
        self.window_loss_weight = window_loss_weight
        self.loss = loss
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.patience = patience
        self.augment_rotation_deg = augment_rotation_deg
        self.estimate_period_s = estimate_period_s
        self.seed = seed
        self.max_train_s = max_train_s
        self.verbose = verbose

    def _check_params(self) -> tuple[str, ...]:
        check_vo2_architecture(self.architecture, self.window)
        check_window_params(self.window, self.hop, 0)
        check_positive_int(epochs=self.epochs, patience=self.patience, seq_len=self.seq_len,
                           batch_sequences=self.batch_sequences)
        if self.loss not in LOSSES:
            raise GaitnodeError(f"loss {self.loss!r} is not one of {', '.join(LOSSES)}")
        if self.target_source not in TARGET_SOURCES:
            raise GaitnodeError(f"target source {self.target_source!r} is not one of {', '.join(TARGET_SOURCES)}")
        for name in ("learning_rate", "estimate_period_s"):
            if not getattr(self, name) > 0:
                raise GaitnodeError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("train_tau_s", "window_loss_weight", "breath_average_s"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise GaitnodeError(f"{name} must be a number >= 0, got {v!r}")
        if not 0 <= self.augment_rotation_deg <= 180:
            raise GaitnodeError(f"augment_rotation_deg must be 0-180 degrees, got {self.augment_rotation_deg!r}")
        return resolve_channels(self.channels)

    def fit(self, train_sessions: list[Session], val_sessions: list[Session] | None = None) -> "Vo2Trainer":
        """Train on `train_sessions`, early-stop and fit the smoothing on `val_sessions` (None: the
        last 20 % of each training session's windows). All sessions must share one rate and one
        placement and carry the VO2 series and the subject's mass. Returns self."""
        channels = self._check_params()
        train_sessions, val_sessions = list(train_sessions or []), list(val_sessions or [])
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
        args = dict(rate_hz=rate, window=self.window, hop=self.hop, source=self.target_source,
                    average_s=self.breath_average_s)
        train_p = prepare_vo2(train_sessions, channels, what="training", **args)
        if val_sessions:
            val_p = prepare_vo2(val_sessions, channels, what="validation", **args)
            validation = "sessions"
        else:
            train_p, val_p = hold_out_tail_windows(train_p)
            validation = "last 20% of each training session's windows"
        norm = Normalizer().fit([p.x for p in train_p])
        y_all = np.concatenate([p.y for p in train_p]).astype(np.float64)
        target_mean, target_std = float(y_all.mean()), float(max(y_all.std(), 1.0))

        model = build_vo2_model(self.architecture, self.window, len(channels), target_mean=target_mean,
                                target_std=target_std, seed=self.seed)
        train_set = SequenceSet(train_p, self.window, self.seq_len)
        run = run_sequence_epochs(
            model, train_set, val_p, mean=norm.mean_, std=norm.std_, dt_s=self.hop / rate,
            tau_s=float(self.train_tau_s), scale=target_std,
            relative=self.loss == "relative",
            window_weight=float(self.window_loss_weight), epochs=self.epochs, batch_sequences=self.batch_sequences,
            learning_rate=self.learning_rate, patience=self.patience, rng=np.random.default_rng(self.seed),
            rotation_deg=self.augment_rotation_deg, triplets=sensor_triplets(channels), max_train_s=self.max_train_s,
            verbose=self.verbose)
        tau, grid = fit_smoothing(smoothing_inputs(model, val_p, norm.mean_, norm.std_),
                                  period_s=self.estimate_period_s, grid=TAU_GRID_S)

        self.model_ = model
        self.normalizer_ = norm
        self.history_ = run["history"]
        self.smoothing_ = {"tau_s": tau, "grid_mape_pct": grid}
        self.meta_ = {
            "format": "gaitnode-model", "version": 1, "task": "vo2", "architecture": self.architecture,
            "placement": placement, "rate_hz": rate, "channels": list(channels), "window": self.window,
            "hop": self.hop, "norm_mean": [float(v) for v in norm.mean_], "norm_std": [float(v) for v in norm.std_],
            "input_clip": INPUT_CLIP,
            "target": VO2_TARGET, "smooth_tau_s": float(tau), "seed": int(self.seed),
            "synthetic_training_data": all(bool(s.meta.synthetic) for s in everything),
            "training": {
                "sessions": {"train": [session_name(s) for s in train_sessions],
                             "val": [session_name(s) for s in val_sessions]},
                "subjects": {"train": subjects_of(train_sessions), "val": subjects_of(val_sessions)},
                "validation": validation,
                "n_windows": {"train": train_set.n_windows(), "val": int(sum(len(p.y) for p in val_p))},
                "target_source": self.target_source, "breath_average_s": self.breath_average_s,
                "target_mean": target_mean, "target_std": target_std,
                "train_tau_s": self.train_tau_s, "seq_len": self.seq_len, "batch_sequences": self.batch_sequences,
                "window_loss_weight": self.window_loss_weight, "loss_kind": self.loss,
                "smoothing_fit": {"estimate_period_s": self.estimate_period_s,
                                  "grid_mape_pct": {str(k): v for k, v in grid.items()},
                                  "criterion": "MAPE of the smoothed estimates vs the validation targets"},
                "epochs": self.epochs, "epochs_run": run["epochs_run"], "best_epoch": run["best_epoch"],
                "best_val_loss": run["best_val_loss"], "stopped": run["stopped"], "history": run["history"],
                "learning_rate": self.learning_rate, "patience": self.patience,
                "augment_rotation_deg": self.augment_rotation_deg, "max_train_s": self.max_train_s,
                "train_seconds": round(time.monotonic() - t0, 3), "params": int(model.count_params()),
                "loss": ("squared relative error" if self.loss == "relative" else "squared error in target "
                         "standard deviations") + " of the first-order filtered window outputs vs the target "
                        "(+ per-window term)",
                "tensorflow": tf.__version__,
            },
        }
        return self
