"""Train an HR dynamics model (neural ODE or neural Kalman) on sessions with HR and a drive.

Training sequences are random crops of crop_s seconds (shorter sessions are padded and masked),
batch_size per step. Each crop is given one of three conditions, drawn with `mode_mix`:

  standard    HR known at the crop's first second and then every window_s seconds
  generative  HR known at the first second only
  gaps        HR known at the first second and observed every second except in random dropouts of
              GAP_RANGE_S seconds (how the gap filler uses the model)

Loss (paper 002, appendix B.3): masked MAE (bpm) over the seconds whose HR the model was not given,
plus lambda_moments x the L1 error of each window's HR mean and standard deviation. Drive
augmentation: per crop, speed, grade and cadence are each removed (value 0, flag 0) with probability
drop_channel (never all three), and age with probability drop_channel, so one model serves nodes with
cadence only and watches with pace only; with the same probability cadence reads 0 in random stretches
while the other channels go on (a wrist or pod cadence losing the step signal). Adam with gradient-norm clipping at 1.0; the learning rate
halves after 4 epochs without a better validation loss; early stopping after `patience` such epochs
restores the best weights. Validation loss: the mean of standard-mode and generative-mode MAE over
whole validation sequences.
"""

from __future__ import annotations

import math
import time

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_data import (
    AGE_CENTER, AGE_SCALE, DRIVE_CHANNELS, DRIVE_SCALE, HR_BOUNDS_BPM, HR_CENTER, HR_SCALE, N_FEATURES, HrSequence,
)
from gaitnode.training.hr_model_dir import ARCHITECTURES, make_model
from gaitnode.training.hr_predict import DEFAULT_WINDOW_S, anchor_mask, run_many

TRAIN_MODES = ("standard", "generative", "gaps")
GAP_RANGE_S = (5, 90)  # training dropouts
OBSERVED_RANGE_S = (10, 120)  # observed stretches between them


def feature_layout() -> dict:
    """The input layout written to model.json (what hr_data.features builds)."""
    return {"drive_channels": list(DRIVE_CHANNELS), "drive_scale": DRIVE_SCALE,
            "flags": [f"{c}_known" for c in DRIVE_CHANNELS],
            "subject": ["age_scaled", "age_known", "first_hr_scaled"], "age_center": AGE_CENTER,
            "age_scale": AGE_SCALE, "hr_center": HR_CENTER, "hr_scale": HR_SCALE, "rate_hz": 1.0,
            "n_features": N_FEATURES}


def gap_observe_mask(n: int, rng: np.random.Generator) -> np.ndarray:
    """float32 [n]: 1 where HR is observed, 0 in random dropouts (never the first second)."""
    obs = np.ones(n, np.float32)
    t = int(rng.integers(*OBSERVED_RANGE_S))
    while t < n:
        g = int(rng.integers(GAP_RANGE_S[0], GAP_RANGE_S[1] + 1))
        obs[t:t + g] = 0.0
        t += g + int(rng.integers(*OBSERVED_RANGE_S))
    return obs


def training_masks(hr: np.ndarray, mode: str, rng: np.random.Generator, window_s: int):
    """(anchor, observe) float32 [n] for one crop; seconds without HR are never known."""
    n = len(hr)
    finite = np.isfinite(hr)
    observe = np.zeros(n, np.float32)
    if mode == "standard":
        anchor = anchor_mask(hr, "generative")
        idx = np.arange(int(rng.integers(1, window_s + 1)), n, window_s)  # window phase varies
        anchor[idx[finite[idx]]] = 1.0
    else:
        anchor = anchor_mask(hr, "generative")
        if mode == "gaps":
            observe = gap_observe_mask(n, rng) * finite
            observe[anchor > 0] = 0.0
    return anchor.astype(np.float32), observe


def drop_channels(x: np.ndarray, rng: np.random.Generator, p: float) -> np.ndarray:
    """A copy of one crop's input with drive channels (and age) removed at random, and with probability p
    cadence reading 0 in random stretches (GAP_RANGE_S long, flag kept)."""
    x = x.copy()
    nc = len(DRIVE_CHANNELS)
    present = [k for k in range(nc) if x[:, nc + k].any()]
    drop = [k for k in present if rng.random() < p]
    if len(drop) == len(present):
        drop = drop[:-1]
    for k in drop:
        x[:, k] = 0.0
        x[:, nc + k] = 0.0
    if rng.random() < p:
        x[:, 2 * nc] = 0.0
        x[:, 2 * nc + 1] = 0.0
    k = DRIVE_CHANNELS.index("cadence")
    if x[:, nc + k].any() and rng.random() < p:
        # wrist and pod cadence drops to 0 for stretches while the runner moves on: teach the model so
        t = int(rng.integers(*OBSERVED_RANGE_S))
        while t < len(x):
            g = int(rng.integers(*GAP_RANGE_S))
            x[t:t + g, k] = 0.0
            t += g + int(rng.integers(*OBSERVED_RANGE_S))
    return x


def crop_batch(seqs: list[HrSequence], rng: np.random.Generator, batch: int, crop: int, mode_p: np.ndarray,
               window_s: int, drop_p: float):
    """x [B, L, F], y [B, L] (0 where unknown), valid, anchor, observe [B, L] float32."""
    X = np.zeros((batch, crop, N_FEATURES), np.float32)
    Y, V, A, O = (np.zeros((batch, crop), np.float32) for _ in range(4))
    for b in range(batch):
        s = seqs[int(rng.integers(len(seqs)))]
        n = min(crop, len(s))
        start = int(rng.integers(len(s) - n + 1))
        hr = s.hr[start:start + n]
        # the crop must start on a known HR second
        first = int(np.argmax(np.isfinite(hr)))
        hr = hr[first:]
        n = len(hr)
        mode = TRAIN_MODES[int(rng.choice(len(TRAIN_MODES), p=mode_p))]
        a, o = training_masks(hr, mode, rng, window_s)
        X[b, :n] = drop_channels(s.x[start + first:start + first + n], rng, drop_p)
        Y[b, :n] = np.nan_to_num(hr)
        V[b, :n] = np.isfinite(hr)
        A[b, :n], O[b, :n] = a, o
    return X, Y, V, A, O


class HrDynamicsTrainer:
    """Train a neural ODE or neural Kalman HR model (see the module docstring).

    Parameters
    ----------
    architecture : "neural_ode" | "neural_kalman".
    hidden : width of the encoder, GRU and MLP heads.
    crop_s, batch_size : training crop length (s) and crops per step.
    window_s : standard-mode window (s), also the moment-loss window.
    mode_mix : probabilities of the standard / generative / gaps training conditions.
    steps_per_epoch, epochs, patience : steps between validations; most epochs; epochs without a
        better validation loss before stopping.
    learning_rate, lambda_moments, drop_channel : Adam rate; moment-loss weight; drive dropout.
    seed : weights, crops, masks and augmentation; equal data and seed give equal weights.
    max_train_s : time budget (s); no epoch starts that would not end within it.
    verbose : 1 prints one line per epoch.

    Results (after `fit`)
    ---------------------
    model_ : the trained model (best validation epoch); meta_ : the model.json dict;
    history_ : {"loss": [...], "val_loss": [...], "val_standard_mae": [...], "val_generative_mae": [...]}.
    """

    def __init__(self, architecture: str = "neural_ode", hidden: int = 32, crop_s: int = 600, batch_size: int = 64,
                 window_s: int = DEFAULT_WINDOW_S, mode_mix=(0.5, 0.3, 0.2), steps_per_epoch: int = 10,
                 epochs: int = 40, patience: int = 8, learning_rate: float = 3e-3, lambda_moments: float = 0.1,
                 drop_channel: float = 0.25, seed: int = 0, max_train_s: float | None = None, verbose: int = 0):
        self.architecture = architecture
        self.hidden = hidden
        self.crop_s = crop_s
        self.batch_size = batch_size
        self.window_s = window_s
        self.mode_mix = mode_mix
        self.steps_per_epoch = steps_per_epoch
        self.epochs = epochs
        self.patience = patience
        self.learning_rate = learning_rate
        self.lambda_moments = lambda_moments
        self.drop_channel = drop_channel
        self.seed = seed
        self.max_train_s = max_train_s
        self.verbose = verbose

    def _check_params(self) -> np.ndarray:
        if self.architecture not in ARCHITECTURES:
            raise GaitnodeError(f"architecture {self.architecture!r} is not one of {', '.join(ARCHITECTURES)}")
        for name in ("hidden", "crop_s", "batch_size", "window_s", "steps_per_epoch", "epochs", "patience"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
        if self.crop_s < self.window_s:
            raise GaitnodeError(f"crop_s ({self.crop_s}) must be at least window_s ({self.window_s})")
        p = np.asarray(self.mode_mix, dtype=np.float64)
        if p.shape != (3,) or np.any(p < 0) or not p.sum() > 0:
            raise GaitnodeError(f"mode_mix must be 3 non-negative weights (standard, generative, gaps), got "
                                f"{self.mode_mix!r}")
        if not self.learning_rate > 0 or not 0 <= self.drop_channel < 1 or not self.lambda_moments >= 0:
            raise GaitnodeError("learning_rate must be > 0, drop_channel in [0, 1), lambda_moments >= 0")
        return p / p.sum()

    def _val_loss(self, model, val: list[HrSequence]) -> tuple[float, float]:
        """Pooled MAE (bpm) over the unknown seconds in standard and generative mode."""
        out = []
        for mode in ("standard", "generative"):
            anchors = [anchor_mask(s.hr, mode, self.window_s) for s in val]
            preds = run_many(model, [s.x for s in val], [s.hr for s in val], anchors)
            err, n = 0.0, 0
            for s, a, p in zip(val, anchors, preds):
                m = np.isfinite(s.hr) & (a == 0)
                err += float(np.abs(p[m] - s.hr[m]).sum())
                n += int(m.sum())
            out.append(err / max(n, 1))
        return out[0], out[1]

    def fit(self, train: list[HrSequence], val: list[HrSequence]) -> "HrDynamicsTrainer":
        """Train on `train`, validate on `val` (HrSequence lists, hr_data.sequences). Returns self."""
        mode_p = self._check_params()
        if not train:
            raise GaitnodeError("no training sessions with heart rate")
        if not val:
            raise GaitnodeError("no validation sessions with heart rate")
        tf, keras = tf_env.load()
        tf_env.set_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        t0 = time.monotonic()
        model = make_model(self.architecture, {"hidden": int(self.hidden), "seed": int(self.seed)})
        variables = model.variables_
        opt = keras.optimizers.Adam(self.learning_rate, global_clipnorm=1.0)
        opt.build(variables)
        lam, w = float(self.lambda_moments), int(self.window_s)

        @tf.function(reduce_retracing=True)
        def train_step(x, y, v, a, o):
            with tf.GradientTape() as tape:
                p = model(x, y, a, o, training=True)
                m = v * (1.0 - a) * (1.0 - o)
                mae = tf.reduce_sum(tf.abs(p - y) * m) / tf.maximum(tf.reduce_sum(m), 1.0)
                # window moments (paper's coarse-scale regulariser)
                shape = [tf.shape(y)[0], -1, w]
                pw, yw, vw = tf.reshape(p, shape), tf.reshape(y, shape), tf.reshape(v, shape)
                cnt = tf.maximum(tf.reduce_sum(vw, -1), 1.0)
                mp, my = tf.reduce_sum(pw * vw, -1) / cnt, tf.reduce_sum(yw * vw, -1) / cnt
                sp = tf.sqrt(tf.reduce_sum(tf.square(pw - mp[..., None]) * vw, -1) / cnt + 1e-6)
                sy = tf.sqrt(tf.reduce_sum(tf.square(yw - my[..., None]) * vw, -1) / cnt + 1e-6)
                full = tf.cast(tf.reduce_sum(vw, -1) > 1.0, tf.float32)
                mom = tf.reduce_sum((tf.abs(mp - my) + tf.abs(sp - sy)) * full) / tf.maximum(tf.reduce_sum(full), 1.0)
                loss = mae + lam * mom
            grads = tape.gradient(loss, variables)
            opt.apply_gradients(zip(grads, variables))
            return mae

        crop = int(math.ceil(self.crop_s / w) * w)
        history = {"loss": [], "val_loss": [], "val_standard_mae": [], "val_generative_mae": []}
        best, best_epoch, best_w, wait, stopped = math.inf, 0, [v.numpy() for v in variables], 0, "epochs"
        longest, lr_wait = 0.0, 0
        for epoch in range(1, self.epochs + 1):
            te = time.monotonic()
            losses = []
            for _ in range(self.steps_per_epoch):
                batch = crop_batch(train, rng, self.batch_size, crop, mode_p, w, self.drop_channel)
                losses.append(float(train_step(*(tf.constant(b) for b in batch))))
            vs, vg = self._val_loss(model, val)
            vl = 0.5 * (vs + vg)
            for k, val_ in (("loss", float(np.mean(losses))), ("val_loss", vl), ("val_standard_mae", vs),
                            ("val_generative_mae", vg)):
                history[k].append(round(val_, 4))
            if self.verbose:
                print(f"epoch {epoch}/{self.epochs}: loss {np.mean(losses):.3f} bpm, val standard {vs:.3f}, "
                      f"generative {vg:.3f} bpm ({time.monotonic() - te:.0f} s)", flush=True)
            if not math.isfinite(vl):
                raise GaitnodeError(f"training diverged at epoch {epoch} (validation loss {vl}); lower the learning rate")
            if vl < best:
                best, best_epoch, best_w, wait, lr_wait = vl, epoch, [v.numpy() for v in variables], 0, 0
            else:
                wait += 1
                lr_wait += 1
                if lr_wait >= 4:
                    opt.learning_rate.assign(opt.learning_rate * 0.5)
                    lr_wait = 0
            if wait >= self.patience:
                stopped = "patience"
                break
            longest = max(longest, time.monotonic() - te)
            if self.max_train_s is not None and epoch < self.epochs and time.monotonic() - t0 + longest > self.max_train_s:
                stopped = "time_budget"
                break
        for v, b in zip(variables, best_w):
            v.assign(b)
        self.model_ = model
        self.history_ = history
        everything = list(train) + list(val)
        self.meta_ = {
            "format": "gaitnode-model", "version": 1, "task": "hr_dynamics", "architecture": self.architecture,
            "config": dict(model.config), "features": feature_layout(), "hr_bounds_bpm": list(HR_BOUNDS_BPM),
            "window_s": w, "seed": int(self.seed),
            "synthetic_training_data": all(s.synthetic for s in everything),
            "training": {
                "sessions": {"train": [s.name for s in train], "val": [s.name for s in val]},
                "seconds": {"train": int(sum(len(s) for s in train)), "val": int(sum(len(s) for s in val))},
                "crop_s": crop, "batch_size": self.batch_size, "steps_per_epoch": self.steps_per_epoch,
                "mode_mix": dict(zip(TRAIN_MODES, [float(v) for v in mode_p])),
                "epochs": self.epochs, "epochs_run": len(history["loss"]), "best_epoch": best_epoch,
                "best_val_loss": best, "stopped": stopped, "history": history,
                "learning_rate": self.learning_rate, "lambda_moments": self.lambda_moments,
                "drop_channel": self.drop_channel, "patience": self.patience, "max_train_s": self.max_train_s,
                "train_seconds": round(time.monotonic() - t0, 3),
                "params": int(sum(int(np.prod(v.shape)) for v in variables)),
                "loss": "masked MAE (bpm) + lambda x window mean/std L1", "tensorflow": tf.__version__,
            },
        }
        return self
