"""Transfer learning (paper 000): adapt a trained heel-strike model to new data.

The base model's feature extractor (layers `features_*`) is frozen and the head (`head_*`)
is trained with a smaller learning rate. With unfreeze="gradual" training runs in stages:
head only, then the top feature block unfrozen too, then the next one down, ... (the epoch
budget split evenly over the stages, each with early stopping and its best weights kept).
BatchNormalization layers stay frozen throughout (inference mode, moving statistics kept): a
small fine-tuning set would otherwise overwrite the statistics learned on the large one.

The base model's window, hop, output delay, channels, rate and normalisation are kept, so a
fine-tuned model runs through the same quantisation and firmware path unchanged.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name, subjects_of
from gaitnode.training.heel_strike_models import FEATURES_PREFIX, feature_blocks, per_sample_bce
from gaitnode.training.heel_strike_trainer import (
    WindowSet, class_weights, common_value, hold_out_tail, prepare, run_epochs, VAL_HOLDOUT_FRACTION,
)
from gaitnode.training.model_dir import META_FILE, MODEL_FILE, file_sha256, load_model_dir
from gaitnode.training.windows import check_window_params, sensor_triplets

UNFREEZE_MODES = ("none", "gradual")


def _is_bn(layer) -> bool:
    return type(layer).__name__ == "BatchNormalization"


def set_stage(model, n_unfrozen_blocks: int) -> None:
    """Freeze the feature extractor except its top `n_unfrozen_blocks` blocks (BatchNorm always frozen)."""
    blocks = feature_blocks(model)
    for k, block in enumerate(blocks):
        unfrozen = k >= len(blocks) - n_unfrozen_blocks
        for layer in block:
            layer.trainable = unfrozen and not _is_bn(layer)
    for layer in model.layers:
        if not layer.name.startswith(FEATURES_PREFIX):
            layer.trainable = True


class FineTuner:
    """Fine-tune a saved heel-strike model on new sessions (see the module docstring).

    Parameters
    ----------
    learning_rate : Adam learning rate (smaller than the base training's).
    epochs : epoch budget (all stages together for "gradual"); patience: early-stopping patience.
    unfreeze : "none" (feature extractor frozen throughout) | "gradual".
    train_hop : training window spacing in samples (None: the base model's, else its hop / 2).
    class_weight : "balanced" | None | positive weight, as in HeelStrikeTrainer.
    augment_rotation_deg : random sensor-frame rotation per window (default 0: the new data's own
        mounting is what the model should adapt to).
    seed : seeds shuffling, dropout and augmentation.

    Results (after `fit`)
    ---------------------
    model_ : the fine-tuned tf_keras model (all layers marked trainable again, as a base model).
    meta_ : model.json dict: the base's, with placement of the new data, the synthetic flag over
        both data sets, and training = {"fine_tune": {...}, "base": base training record}.
    history_ : {"loss", "val_loss", "stage"} per epoch over all stages.
    """

    def __init__(self, learning_rate: float = 2e-4, epochs: int = 15, patience: int = 4, unfreeze: str = "none",
                 train_hop: int | None = None, batch_size: int = 64, class_weight="balanced",
                 augment_rotation_deg: float = 0.0, seed: int = 0, verbose: int = 0):
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.patience = patience
        self.unfreeze = unfreeze
        self.train_hop = train_hop
        self.batch_size = batch_size
        self.class_weight = class_weight
        self.augment_rotation_deg = augment_rotation_deg
        self.seed = seed
        self.verbose = verbose

    def fit(self, base_model_dir, sessions: list[Session],
            val_sessions: list[Session] | None = None) -> "FineTuner":
        """Fine-tune the model in `base_model_dir` on `sessions`; early-stop on `val_sessions`
        (None: the last 20 % in time of each session). Sessions at another rate than the model's
        are resampled. Raises GaitnodeError for bad input. Returns self."""
        if self.unfreeze not in UNFREEZE_MODES:
            raise GaitnodeError(f"unfreeze {self.unfreeze!r} is not one of {', '.join(UNFREEZE_MODES)}")
        for name in ("epochs", "patience", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise GaitnodeError(f"{name} must be a positive integer, got {v!r}")
        if not self.learning_rate > 0:
            raise GaitnodeError(f"learning_rate must be positive, got {self.learning_rate!r}")
        sessions, val_sessions = list(sessions or []), list(val_sessions or [])
        if not sessions:
            raise GaitnodeError("no fine-tuning sessions")
        base_dir = Path(base_model_dir)
        model, base = load_model_dir(base_dir)
        placement = common_value(sessions + val_sessions, lambda s: s.meta.placement, "placements",
                                 "fine-tune on one placement at a time")
        window, hop, delay = base["window"], base["hop"], base["output_delay"]
        record = base["training"]
        train_hop = (self.train_hop or record.get("train_hop") or (record.get("fine_tune") or {}).get("train_hop")
                     or max(1, hop // 2))
        check_window_params(window, train_hop, 0)
        tf, keras = tf_env.load()
        tf_env.set_seed(self.seed)
        t0 = time.monotonic()

        args = (base["channels"], float(base["rate_hz"]), base["label_half_width"], window)
        train_p = prepare(sessions, *args, what="fine-tuning")
        if val_sessions:
            val_p = prepare(val_sessions, *args, what="validation")
            validation = "sessions"
        else:
            train_p, val_p = hold_out_tail(train_p, window)
            validation = f"last {VAL_HOLDOUT_FRACTION:.0%} of each fine-tuning session in time"
        train_set = WindowSet(train_p, window, train_hop, delay)
        val_set = WindowSet(val_p, window, hop, delay)
        fraction = train_set.positive_fraction()
        pos_w, neg_w = class_weights(self.class_weight, fraction)
        mean, std = np.asarray(base["norm_mean"], np.float32), np.asarray(base["norm_std"], np.float32)

        n_blocks = len(feature_blocks(model))
        stages = [0] if self.unfreeze == "none" else list(range(n_blocks + 1))
        per_stage = max(1, self.epochs // len(stages))
        rng = np.random.default_rng(self.seed)
        history = {"loss": [], "val_loss": [], "stage": []}
        runs = []
        for stage in stages:
            set_stage(model, stage)
            model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=per_sample_bce)
            run = run_epochs(model, train_set, val_set, mean=mean, std=std, epochs=per_stage,
                             batch_size=self.batch_size, patience=self.patience, pos_weight=pos_w,
                             neg_weight=neg_w, rng=rng, rotation_deg=self.augment_rotation_deg,
                             triplets=sensor_triplets(base["channels"]), verbose=self.verbose)
            history["loss"] += run["history"]["loss"]
            history["val_loss"] += run["history"]["val_loss"]
            history["stage"] += [stage] * run["epochs_run"]
            runs.append({k: run[k] for k in ("epochs_run", "best_epoch", "best_val_loss", "stopped")}
                        | {"unfrozen_feature_blocks": stage})
        for layer in model.layers:
            layer.trainable = True

        meta = copy.deepcopy(base)
        everything = sessions + val_sessions
        meta["placement"] = placement
        meta["seed"] = int(self.seed)
        meta["synthetic_training_data"] = bool(base["synthetic_training_data"]) and all(
            bool(s.meta.synthetic) for s in everything)
        meta["training"] = {
            "fine_tune": {
                "base_model_dir": str(base_dir),
                "base_model_sha256": file_sha256(base_dir / MODEL_FILE),
                "base_meta_sha256": file_sha256(base_dir / META_FILE),
                "base_placement": base["placement"],
                "sessions": {"train": [session_name(s) for s in sessions],
                             "val": [session_name(s) for s in val_sessions]},
                "subjects": {"train": subjects_of(sessions), "val": subjects_of(val_sessions)},
                "synthetic_data": all(bool(s.meta.synthetic) for s in everything),
                "validation": validation,
                "n_windows": {"train": len(train_set), "val": len(val_set)},
                "label_fraction": round(fraction, 5),
                "class_weight": {"spec": self.class_weight, "positive": round(pos_w, 5), "negative": round(neg_w, 5)},
                "unfreeze": self.unfreeze, "stages": runs, "history": history,
                "learning_rate": self.learning_rate, "epochs": self.epochs, "patience": self.patience,
                "train_hop": train_hop, "batch_size": self.batch_size,
                "augment_rotation_deg": self.augment_rotation_deg,
                "best_val_loss": runs[-1]["best_val_loss"],
                "train_seconds": round(time.monotonic() - t0, 3),
                "tensorflow": tf.__version__,
            },
            "base": base["training"],
        }
        self.model_ = model
        self.meta_ = meta
        self.history_ = history
        return self
