"""Train the VO2-from-HR model (`vo2_hr_model`) on `Vo2Sequence`s; predict whole recordings.

Training examples are crops of `seq_len` seconds. Each epoch takes about oversample x len / seq_len
crops per recording at random starts (the first always at second 0, the condition evaluation runs in), each
calibrated at its own first second: v0 = the Savitzky-Golay-filtered reference there, HR-rise
features relative to the HR there. Targets are the filtered reference (paper 002 filters its VO2 the
same way, 15 s, cubic); seconds without a reference are masked. Features are standardised with the
training recordings' mean and standard deviation.

Optimisation follows paper 002 (appendix B.5): AdamW (learning rate 4e-3, weight decay 1e-5), cosine
annealing with warm restarts per epoch (T0 10, Tmult 2, floor 1e-6), gradient norm clipped to
1 + 4 exp(-e/10), loss weights by the curriculum of `vo2_hr_model.curriculum`; e counts epochs over a
warm start too (`fit(..., init_from=...)` continues at the base's epoch). With validation recordings,
the epoch with the lowest validation MAE (whole recordings from their first second) is kept; without,
the last epoch.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.training.vo2_hr_data import (
    Vo2Sequence, check_anthropometrics, check_target, feature_names, features, fill_hr_gaps, resting_vo2_ml_min,
    smooth_vo2, target_values, to_ml_min,
)
from gaitnode.training.vo2_hr_model import ARCHITECTURES, build_model, curriculum, custom_objects, paper_loss

MODEL_FILE, META_FILE = "model.keras", "model.json"
CALIBRATIONS = ("first_second", "resting")


class Prepared:
    """One recording ready for the model: filled HR, filtered target (internal unit), validity mask."""

    def __init__(self, seq: Vo2Sequence, target: str, use_cadence: bool, *, need_target: bool = True):
        check_anthropometrics(seq)
        self.seq = seq
        self.scale = check_target(target)
        self.target = target
        self.use_cadence = use_cadence
        self.hr = fill_hr_gaps(seq.hr_bpm, name=seq.name)
        if use_cadence and seq.cadence_spm is None:
            raise GaitnodeError(f"{seq.name}: the model uses cadence, but the recording has none (no heel strikes "
                                f"of the node's own leg)")
        if need_target:
            y = smooth_vo2(target_values(seq, target)) / self.scale
            self.mask = np.isfinite(y)
            if not self.mask.any():
                raise GaitnodeError(f"{seq.name}: the VO2 reference covers none of the heart-rate seconds")
            if not self.mask[0]:
                raise GaitnodeError(f"{seq.name}: no VO2 reference at the first second (calibration needs it)")
            self.y = np.where(self.mask, y, 0.0).astype(np.float32)
        else:
            self.y = self.mask = None

    def __len__(self) -> int:
        return len(self.seq)

    def calibration(self, how, start: int = 0) -> float:
        """v0 in the internal unit: "first_second" (the filtered reference at `start`), "resting" (ACSM
        3.5 ml/kg/min x mass) or a number (ml/min)."""
        if how == "first_second":
            if self.y is None:
                raise GaitnodeError(f"{self.seq.name}: calibration 'first_second' needs the VO2 of the first "
                                    f"second; give a VO2 reference or use calibration 'resting' or a value")
            return float(self.y[start])
        if how == "resting":
            ml_min = resting_vo2_ml_min(self.seq)
        else:
            try:
                ml_min = float(how)
            except (TypeError, ValueError):
                raise GaitnodeError(f"calibration {how!r} is not one of {', '.join(CALIBRATIONS)} or a VO2 in "
                                    f"ml/min") from None
            if not 50.0 <= ml_min <= 8000.0:
                raise GaitnodeError(f"calibration VO2 {ml_min:g} ml/min is outside physiology (50-8000 ml/min)")
        per_unit = ml_min / self.seq.mass_kg if self.target == "vo2_ml_kg_min" else ml_min
        return per_unit / self.scale

    def window(self, start: int, stop: int, v0: float) -> np.ndarray:
        return features(self.seq, v0 * self.scale, use_cadence=self.use_cadence, start=start, stop=stop,
                        hr_filled=self.hr)


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    """a [t, ...] extended to n rows by repeating its last row."""
    if len(a) >= n:
        return a[:n]
    return np.concatenate([a, np.repeat(a[-1:], n - len(a), axis=0)])


def batch_inputs(prepared: list[Prepared], calibration="first_second", *, length: int | None = None):
    """Whole recordings from their first second: (x [B, T, F] raw features, v0 [B, 1], lengths).
    calibration: one for all recordings, or a list with one per recording."""
    length = max(len(p) for p in prepared) if length is None else length
    cals = calibration if isinstance(calibration, (list, tuple)) else [calibration] * len(prepared)
    v0 = np.array([[p.calibration(c)] for p, c in zip(prepared, cals)], np.float32)
    x = np.stack([_pad(p.window(0, len(p), float(v[0])), length) for p, v in zip(prepared, v0)])
    return x, v0, [len(p) for p in prepared]


def sgdr_lr(epoch: int, base: float, t0: int = 10, t_mult: int = 2, floor: float = 1e-6) -> float:
    """Cosine annealing with warm restarts (Loshchilov & Hutter) at (0-based) epoch `epoch`."""
    e, period = epoch, t0
    while e >= period:
        e -= period
        period *= t_mult
    return floor + 0.5 * (base - floor) * (1.0 + math.cos(math.pi * e / period))


def continued_lr(epochs_done: int, base: float, t0: int = 10, t_mult: int = 2, floor: float = 1e-6) -> float:
    """The learning rate one epoch after `epochs_done` epochs of `sgdr_lr`, without a warm restart: the cosine
    of the period the last epoch was in, one step on (its floor when that period has ended)."""
    if epochs_done < 1:
        return base
    e, period = epochs_done - 1, t0
    while e >= period:
        e -= period
        period *= t_mult
    x = min(e + 1, period) / period
    return floor + 0.5 * (base - floor) * (1.0 + math.cos(math.pi * x))


@dataclass
class WarmStart:
    """A fitted model's state for warm starts: weights, feature standardisation, epochs done."""

    weights: list
    norm_mean: np.ndarray
    norm_std: np.ndarray
    epochs_done: int
    features: list
    target: str


class TrainLoop:
    """One model, its AdamW optimiser and compiled training step, reusable across fits of equal sizes."""

    def __init__(self, architecture: str, n_features: int, enc_units: int, gru_units: int, seed: int):
        tf, keras = tf_env.load()
        self.key = (architecture, n_features, enc_units, gru_units)
        self.model = build_model(architecture, n_features, enc_units=enc_units, gru_units=gru_units, seed=seed)
        self._initial = self.model.get_weights()
        self.opt = keras.optimizers.AdamW(learning_rate=1e-3)
        self.opt.build(self.model.trainable_variables)
        self._w = [tf.Variable(0.0, trainable=False) for _ in range(3)]
        self._clip = tf.Variable(1.0, trainable=False)
        self._ab = [tf.Variable(1.0, trainable=False) for _ in range(2)]
        model, opt, w, clip, ab = self.model, self.opt, self._w, self._clip, self._ab

        @tf.function(reduce_retracing=True)
        def step(x, v0, y, m):
            with tf.GradientTape() as tape:
                pred = model({"x": x, "v0": v0}, training=True)
                loss, parts = paper_loss(y, pred, m, w, alpha=ab[0], beta=ab[1])
            grads = tape.gradient(loss, model.trainable_variables)
            grads, _ = tf.clip_by_global_norm(grads, clip)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss, parts["mae"], parts["derivative"], parts["moments"]

        self._step = step

    def reset(self, weights, learning_rate: float, weight_decay: float) -> None:
        """Weights (None: the initial ones) and a fresh optimiser state."""
        self.model.set_weights(self._initial if weights is None else weights)
        for v in self.opt.variables:
            v.assign(np.zeros(v.shape, v.dtype.as_numpy_dtype))
        self.opt.learning_rate.assign(learning_rate)
        self.opt.weight_decay = weight_decay

    def epoch(self, X, V0, Y, M, batch_size: int, *, lr: float, weights, clip: float, alpha: float,
              beta: float) -> dict:
        """Whole batches of the given crops; mean loss parts."""
        self.opt.learning_rate.assign(lr)
        for var, v in zip(self._w, weights):
            var.assign(v)
        self._clip.assign(clip)
        self._ab[0].assign(alpha)
        self._ab[1].assign(beta)
        b = min(batch_size, len(X))
        sums, nb = np.zeros(4), 0
        for s in range(0, len(X) - b + 1, b):
            sums += [float(o) for o in self._step(X[s:s + b], V0[s:s + b], Y[s:s + b], M[s:s + b])]
            nb += 1
        sums /= max(nb, 1)
        return dict(zip(("loss", "mae", "derivative", "moments"), (float(v) for v in sums)))


class Vo2HrTrainer:
    """Train the neural-Kalman (or GRU-only) VO2-from-HR model (see the module docstring).

    Parameters
    ----------
    architecture : "kalman" (paper 002) | "gru" (baseline).
    target : "vo2_ml_min" | "vo2_ml_kg_min" (the latter divides by the subject's mass).
    use_cadence : add the cadence feature (sessions with heel strikes; not on CPET).
    enc_units, gru_units : encoder and GRU sizes.
    seq_len : training crop length, seconds. batch_size : crops per step.
    epochs : epochs of this fit. learning_rate, weight_decay : AdamW.
    alpha, beta : weights of the first and second derivative terms (the paper leaves them open).
    oversample : crops per recording and epoch = max(1, round(oversample x length / seq_len)).
    steps_per_epoch : at most this many batches per epoch (None: all crops; a short continuation uses few).
    lr_schedule : "sgdr" (the paper's cosine annealing with warm restarts) or "constant" (learning_rate
        throughout: a short continuation at the base's final rate, which no restart interrupts).
    seed : seeds weights, crops and shuffling. max_train_s : time budget (no epoch starts after it).
    verbose : 1 prints one line per epoch.

    Results (after `fit`)
    ---------------------
    model_ : the trained tf_keras model (inputs {"x", "v0"}, output [B, T] in target / scale).
    meta_ : the model.json dict (features, normalisation, sizes, training record).
    history_ : {"loss", "mae", "derivative", "moments", "val_mae", "lr"} per epoch (internal unit).
    norm_mean_, norm_std_ : feature standardisation.
    epochs_done_ : epochs in total (a warm start's included).
    loop_ : the `TrainLoop` used (pass it to further fits of equal sizes).
    """

    def __init__(self, architecture: str = "kalman", target: str = "vo2_ml_min", use_cadence: bool = False,
                 enc_units: int = 16, gru_units: int = 32, seq_len: int = 240, batch_size: int = 16,
                 epochs: int = 15, learning_rate: float = 4e-3, weight_decay: float = 1e-5, alpha: float = 10.0,
                 beta: float = 10.0, oversample: float = 3.0, steps_per_epoch: int | None = None,
                 lr_schedule: str = "sgdr", seed: int = 0,
                 max_train_s: float | None = None, verbose: int = 0):
        self.architecture = architecture
        self.target = target
        self.use_cadence = use_cadence
        self.enc_units = enc_units
        self.gru_units = gru_units
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.alpha = alpha
        self.beta = beta
        self.oversample = oversample
        self.steps_per_epoch = steps_per_epoch
        self.lr_schedule = lr_schedule
        self.seed = seed
        self.max_train_s = max_train_s
        self.verbose = verbose

    def _check(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise GaitnodeError(f"architecture {self.architecture!r} is not one of {', '.join(ARCHITECTURES)}")
        check_target(self.target)
        for name in ("enc_units", "gru_units", "seq_len", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
        if self.steps_per_epoch is not None and (not isinstance(self.steps_per_epoch, int) or self.steps_per_epoch < 1):
            raise GaitnodeError(f"steps_per_epoch must be a positive integer or None, got {self.steps_per_epoch!r}")
        if not isinstance(self.epochs, int) or self.epochs < 0:
            raise GaitnodeError(f"epochs must be a non-negative integer, got {self.epochs!r}")
        if self.seq_len < 20:
            raise GaitnodeError(f"seq_len {self.seq_len} s is too short to learn VO2 kinetics (at least 20 s)")
        if not (isinstance(self.oversample, (int, float)) and 0 < self.oversample <= 100):
            raise GaitnodeError(f"oversample must be a number in (0, 100], got {self.oversample!r}")
        if self.lr_schedule not in ("sgdr", "constant"):
            raise GaitnodeError(f"lr_schedule {self.lr_schedule!r} is not one of sgdr, constant")
        if not self.learning_rate > 0:
            raise GaitnodeError(f"learning_rate must be positive, got {self.learning_rate!r}")

    def prepare(self, seqs, *, what: str) -> list[Prepared]:
        seqs = list(seqs or [])
        if not seqs:
            raise GaitnodeError(f"no {what} recordings")
        return [Prepared(s, self.target, self.use_cadence) for s in seqs]

    def fit(self, train, val=None, *, init_from: "WarmStart | Vo2HrTrainer | None" = None,
            loop: "TrainLoop | None" = None) -> "Vo2HrTrainer":
        """Train on the `Vo2Sequence`s `train` (early stopping on `val` when given).

        init_from: a fitted trainer or its `snapshot()` to warm-start from (its weights, normalisation and
        epoch count; same sizes and features). loop: a `TrainLoop` of the same sizes to reuse (its model
        and compiled step; saves rebuilding and retracing when many models are trained in a row; the
        loop's model becomes this trainer's model_). Returns self."""
        self._check()
        tf, _ = tf_env.load()
        tf_env.set_seed(self.seed)
        t0 = time.monotonic()
        train_p = self.prepare(train, what="training")
        val_p = self.prepare(val, what="validation") if val else []
        names = feature_names(self.use_cadence)
        if isinstance(init_from, Vo2HrTrainer):
            init_from = init_from.snapshot()
        if init_from is not None:
            if init_from.features != list(names) or init_from.target != self.target:
                raise GaitnodeError("warm start: the base model has other features or another target")
            mean, std, epoch0 = init_from.norm_mean, init_from.norm_std, init_from.epochs_done
        else:
            allx = np.concatenate([p.window(0, len(p), p.calibration("first_second")) for p in train_p])
            mean, std = allx.mean(axis=0).astype(np.float32), allx.std(axis=0)
            std = np.where(std > 1e-6, std, 1.0).astype(np.float32)
            epoch0 = 0
        if loop is None:
            loop = TrainLoop(self.architecture, len(names), self.enc_units, self.gru_units, self.seed)
        elif loop.key != (self.architecture, len(names), self.enc_units, self.gru_units):
            raise GaitnodeError(f"the training loop is for {loop.key}, not for this trainer's model")
        loop.reset(None if init_from is None else init_from.weights, self.learning_rate, self.weight_decay)
        model = loop.model

        val_data = None
        if val_p:
            vx, vv0, _ = batch_inputs(val_p)
            n = vx.shape[1]
            val_data = ({"x": (vx - mean) / std, "v0": vv0}, np.stack([_pad(p.y, n) for p in val_p]),
                        np.stack([_pad(p.mask, n) & (np.arange(n) < len(p)) for p in val_p]))

        rng = np.random.default_rng(self.seed + 7919 * epoch0)
        hist = {k: [] for k in ("loss", "mae", "derivative", "moments", "val_mae", "lr")}
        best, best_w, best_epoch, stopped = math.inf, None, 0, "epochs"
        for k in range(self.epochs):
            e = epoch0 + k
            if self.max_train_s is not None and k and time.monotonic() - t0 > self.max_train_s:
                stopped = "time_budget"
                break
            lr = sgdr_lr(e, self.learning_rate) if self.lr_schedule == "sgdr" else self.learning_rate
            X, V0, Y, M = self._crops(train_p, rng, mean, std)
            if self.steps_per_epoch is not None:
                n = self.steps_per_epoch * self.batch_size
                X, V0, Y, M = X[:n], V0[:n], Y[:n], M[:n]
            parts = loop.epoch(X, V0, Y, M, self.batch_size, lr=lr, weights=curriculum(e),
                               clip=1.0 + 4.0 * math.exp(-e / 10.0), alpha=self.alpha, beta=self.beta)
            for key, v in parts.items():
                hist[key].append(v)
            hist["lr"].append(lr)
            if val_data is not None:
                pred = np.asarray(model.predict_on_batch(val_data[0]))
                hist["val_mae"].append(float(np.abs(pred - val_data[1])[val_data[2]].mean()))
                if hist["val_mae"][-1] < best:
                    best, best_w, best_epoch = hist["val_mae"][-1], model.get_weights(), k + 1
            if self.verbose:
                extra = f", val MAE {hist['val_mae'][-1]:.4f}" if val_data is not None else ""
                print(f"epoch {e + 1}: loss {parts['loss']:.4f}, MAE {parts['mae']:.4f}{extra}", flush=True)
        if best_w is not None:
            model.set_weights(best_w)
        epochs_run = len(hist["loss"])
        self.model_ = model
        self.loop_ = loop
        self.norm_mean_, self.norm_std_ = mean, std
        self.history_ = hist
        self.epochs_done_ = epoch0 + (best_epoch if best_w is not None else epochs_run)
        everything = [p.seq for p in train_p + val_p]
        self.meta_ = {
            "format": "gaitnode-model", "version": 1, "task": "vo2_hr", "architecture": self.architecture,
            "target": self.target, "target_scale": check_target(self.target), "rate_hz": 1.0,
            "features": list(names), "norm_mean": [float(v) for v in mean], "norm_std": [float(v) for v in std],
            "enc_units": self.enc_units, "gru_units": self.gru_units, "calibration": "first_second",
            "seed": int(self.seed), "synthetic_training_data": all(s.synthetic for s in everything),
            "training": {
                "recordings": {"train": [p.seq.name for p in train_p], "val": [p.seq.name for p in val_p]},
                "subjects": {"train": sorted({p.seq.group for p in train_p}),
                             "val": sorted({p.seq.group for p in val_p})},
                "seconds": {"train": int(sum(len(p) for p in train_p)), "val": int(sum(len(p) for p in val_p))},
                "warm_start_epochs": epoch0, "epochs": self.epochs, "epochs_run": epochs_run,
                "best_epoch": best_epoch or None, "stopped": stopped, "history": hist,
                "seq_len": self.seq_len, "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "weight_decay": self.weight_decay, "alpha": self.alpha, "beta": self.beta,
                "oversample": self.oversample, "steps_per_epoch": self.steps_per_epoch,
                "lr_schedule": self.lr_schedule,
                "max_train_s": self.max_train_s, "params": int(model.count_params()),
                "train_seconds": round(time.monotonic() - t0, 3),
                "loss": "paper 002: MAE + derivative (alpha, beta) + moments, curriculum weights",
                "tensorflow": tf.__version__,
            },
        }
        return self

    def snapshot(self) -> "WarmStart":
        """The fitted state to warm-start other fits from (a copy: later fits on a shared loop leave it be)."""
        return WarmStart(weights=[w.copy() for w in self.model_.get_weights()], norm_mean=self.norm_mean_.copy(),
                         norm_std=self.norm_std_.copy(), epochs_done=self.epochs_done_,
                         features=list(self.meta_["features"]), target=self.target)

    def _crops(self, prepared: list[Prepared], rng: np.random.Generator, mean, std):
        """One epoch of shuffled, normalised crops: X [N, L, F], v0 [N, 1], Y [N, L], M [N, L]."""
        L = self.seq_len
        xs, v0s, ys, ms = [], [], [], []
        for p in prepared:
            n = len(p)
            k = max(1, int(round(self.oversample * n / L)))
            starts = [0] + list(rng.integers(0, max(1, n - L // 2), size=k - 1))
            for s in starts:
                s = int(s)
                if not p.mask[s]:  # calibrate on a second with a reference
                    later = np.flatnonzero(p.mask[s:])
                    if not len(later):
                        continue
                    s += int(later[0])
                stop = min(n, s + L)
                v0 = p.calibration("first_second", s)
                xs.append(_pad(p.window(s, stop, v0), L))
                v0s.append([v0])
                ys.append(_pad(p.y[s:stop], L))
                ms.append(np.arange(L) < stop - s)
                ms[-1] &= _pad(p.mask[s:stop], L)
        order = rng.permutation(len(xs))
        X = (np.stack(xs)[order] - mean) / std
        return (X.astype(np.float32), np.asarray(v0s, np.float32)[order], np.stack(ys)[order].astype(np.float32),
                np.stack(ms)[order].astype(np.float32))


def predict_recordings(model, meta: dict, seqs, calibration="first_second", *, batch: int = 64,
                       length: int | None = None) -> list[np.ndarray]:
    """VO2 (ml/min) per second of each `Vo2Sequence`, the model run from the first second.

    calibration: "first_second" (needs the reference), "resting" (ACSM 3.5 ml/kg/min x mass) or a VO2 in
    ml/min; one for all, or a list with one per recording. Recordings are batched, padded to the
    longest or to `length` (one length for many calls keeps one traced graph); padding after a
    recording does not change its causal outputs."""
    seqs = list(seqs)
    cals = list(calibration) if isinstance(calibration, (list, tuple)) else [calibration] * len(seqs)
    if len(cals) != len(seqs):
        raise GaitnodeError(f"{len(cals)} calibrations for {len(seqs)} recordings")
    prepared = [Prepared(s, meta["target"], "cadence" in meta["features"], need_target=c == "first_second")
                for s, c in zip(seqs, cals)]
    mean, std = np.asarray(meta["norm_mean"], np.float32), np.asarray(meta["norm_std"], np.float32)
    out = []
    for i in range(0, len(prepared), batch):
        chunk = prepared[i:i + batch]
        x, v0, lengths = batch_inputs(chunk, cals[i:i + batch],
                                      length=None if length is None else max(length, max(len(p) for p in chunk)))
        pred = np.asarray(model.predict_on_batch({"x": (x - mean) / std, "v0": v0}), np.float64)
        for p, row, n in zip(chunk, pred, lengths):
            out.append(to_ml_min(p.seq, meta["target"], row[:n] * meta["target_scale"]))
    return out


def save_model_dir(path, trainer: Vo2HrTrainer, *, overwrite: bool = False) -> Path:
    """model.keras + model.json of a fitted trainer into directory `path`."""
    d = Path(path)
    refuse_existing([d / MODEL_FILE, d / META_FILE], overwrite=overwrite)
    if d.exists() and not d.is_dir():
        raise GaitnodeError(f"{d}: exists and is not a directory")
    d.mkdir(parents=True, exist_ok=True)
    tmp_model = d / f".{MODEL_FILE}.{os.getpid()}.tmp.keras"
    tmp_meta = d / f".{META_FILE}.{os.getpid()}.tmp"
    try:
        trainer.model_.save(tmp_model)
        tmp_meta.write_text(json.dumps(trainer.meta_, sort_keys=True, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_model, d / MODEL_FILE)
        os.replace(tmp_meta, d / META_FILE)
    finally:
        tmp_model.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)
    return d


META_KEYS = ("format", "version", "task", "architecture", "target", "target_scale", "features", "norm_mean",
             "norm_std", "enc_units", "gru_units", "seed", "synthetic_training_data", "training")


def load_model_dir(path):
    """(model, meta) of a VO2-from-HR model directory; GaitnodeError for a missing or invalid one."""
    d = Path(path)
    f = d / META_FILE
    if not f.is_file():
        raise GaitnodeError(f"{f}: no such file; {d} is not a VO2-from-HR model directory "
                            f"(`gaitnode train vo2-hr` writes one)")
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GaitnodeError(f"{f}: not readable JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("task") != "vo2_hr":
        task = meta.get("task") if isinstance(meta, dict) else None
        raise GaitnodeError(f"{f}: a {task!r} model, not a VO2-from-HR ('vo2_hr') model")
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise GaitnodeError(f"{f}: missing field(s) {', '.join(missing)}")
    if meta["architecture"] not in ARCHITECTURES or meta["target"] not in ("vo2_ml_min", "vo2_ml_kg_min"):
        raise GaitnodeError(f"{f}: architecture {meta['architecture']!r} / target {meta['target']!r} unknown")
    if not (len(meta["features"]) == len(meta["norm_mean"]) == len(meta["norm_std"])):
        raise GaitnodeError(f"{f}: features, norm_mean and norm_std differ in length")
    mf = d / MODEL_FILE
    if not mf.is_file():
        raise GaitnodeError(f"{mf}: no such file (the model directory is incomplete)")
    _, keras = tf_env.load()
    try:
        model = keras.models.load_model(mf, compile=False, custom_objects=custom_objects())
    except Exception as e:  # Keras raises many types for a damaged archive
        raise GaitnodeError(f"{mf}: cannot be loaded as a Keras model ({type(e).__name__}: {e})") from None
    return model, meta
