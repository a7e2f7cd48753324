"""Transfer learning for a VO2 model (paper 000): adapt a cohort model to one new subject.

As the paper: the pre-trained feature extractor (the `features_*` convolution blocks) is frozen,
the model is extended with a Conv1D (k=3) + LSTM + dense head after it (vo2_models.
extend_for_transfer; extend="base" starts the extension as an exact copy of the base model's
function, extend="random" is the paper's fresh head, extend="none" keeps the base layers), and
trained on the subject's data with a smaller learning rate. unfreeze="gradual" then unfreezes
the feature blocks one at a time from the top, each stage with its own early stopping (the epoch
budget split evenly). BatchNormalization layers of the feature extractor stay frozen (inference
mode): two minutes of data would otherwise overwrite the cohort's statistics.

The subject's VO2 kinetics come first (learn_tau, default): a few minutes from rest are mostly
the on-transient, whose speed (tau 20-45 s between people) and the level of the gait's demand
both shape the same curve. A first stage therefore fits only the smoothing time constant with
the model as it is (the shape of the transient), then the layers are trained with tau still free;
trained the other way round, the layers absorb a slow subject's transient as a lower demand and
under-estimate every steady state after it. The deployed smooth_tau_s is the base's scaled by
the learned/initial tau ratio. Every stage starts its early stopping from the model it was given
(epoch 0): a stage that does not beat it on the held-out part of the subject's data changes
nothing, so fine-tuning never ends worse than the base on that (small) data. The per-window loss
term is off by default (window_loss_weight 0): it pulls outputs towards the lagging target, a
bias that the cohort's steady states average out but two minutes of mostly transient data do not.

Loss, targets and the filtered-sequence training are otherwise the base model's (vo2_trainer);
window, hop, channels, rate, normalisation and target source are kept, so the fine-tuned model
goes through the same quantisation and runs on the node unchanged (one extra Conv1D: see
quantize.json for the budgets).
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
from gaitnode.training.finetune import set_stage
from gaitnode.training.heel_strike_models import feature_blocks
from gaitnode.training.heel_strike_trainer import common_value
from gaitnode.training.model_dir import META_FILE, MODEL_FILE, file_sha256, is_vo2_meta, load_model_dir
from gaitnode.training.vo2_dataset import SequenceSet, hold_out_tail_windows, prepare_vo2
from gaitnode.training.vo2_models import extend_for_transfer, is_extended
from gaitnode.training.vo2_trainer import check_positive_int, run_sequence_epochs
from gaitnode.training.windows import sensor_triplets

UNFREEZE_MODES = ("none", "gradual")
EXTEND_MODES = ("base", "random", "none")


class Vo2FineTuner:
    """Fine-tune a saved VO2 model on a new subject's sessions (see the module docstring).

    Parameters
    ----------
    learning_rate : Adam learning rate (smaller than the base training's 1e-3).
    epochs : epoch budget (all stages together for "gradual"); patience : early-stopping patience.
    unfreeze : "none" (feature extractor frozen throughout) | "gradual".
    learn_tau : fit the subject's smoothing time constant (a first stage, then along with the layers).
    window_loss_weight : per-window loss term (None: the base's; default 0, see the module docstring).
    anchor : L2-SP weight keeping the trained weights near the base's (0: off).
    extend : "base" | "random" | "none" (the transfer-learning extension, see extend_for_transfer).
    seq_len, batch_sequences : training runs (windows per run, runs per batch).
    augment_rotation_deg : random sensor-frame rotation per run (default 0: the subject's own mounting).
    seed : seeds shuffling, dropout, augmentation and the extension's initialisers.

    Results (after `fit`)
    ---------------------
    model_ : the fine-tuned tf_keras model (all layers trainable again, like a base model).
    meta_ : model.json dict: the base's, with the synthetic flag over both data sets and
        training = {"fine_tune": {...}, "base": base training record}.
    history_ : {"loss", "val_loss", "stage"} per epoch over all stages.
    """

    def __init__(self, learning_rate: float = 3e-4, epochs: int = 30, patience: int = 6, unfreeze: str = "none",
                 extend: str = "base", seq_len: int = 32, batch_sequences: int = 2, augment_rotation_deg: float = 0.0,
                 anchor: float = 0.0, learn_tau: bool = True, window_loss_weight: float | None = 0.0, seed: int = 0,
                 verbose: int = 0):
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.patience = patience
        self.unfreeze = unfreeze
        self.extend = extend
        self.seq_len = seq_len
        self.batch_sequences = batch_sequences
        self.augment_rotation_deg = augment_rotation_deg
        self.anchor = anchor
        self.learn_tau = learn_tau
        self.window_loss_weight = window_loss_weight
        self.seed = seed
        self.verbose = verbose

    def _check_params(self) -> None:
        if self.unfreeze not in UNFREEZE_MODES:
            raise GaitnodeError(f"unfreeze {self.unfreeze!r} is not one of {', '.join(UNFREEZE_MODES)}")
        if self.extend not in EXTEND_MODES:
            raise GaitnodeError(f"extend {self.extend!r} is not one of {', '.join(EXTEND_MODES)}")
        check_positive_int(epochs=self.epochs, patience=self.patience, seq_len=self.seq_len,
                           batch_sequences=self.batch_sequences)
        if not self.learning_rate > 0:
            raise GaitnodeError(f"learning_rate must be positive, got {self.learning_rate!r}")

    def fit(self, base_model_dir, sessions: list[Session], val_sessions: list[Session] | None = None) -> "Vo2FineTuner":
        """Fine-tune the VO2 model in `base_model_dir` on `sessions`; early-stop on `val_sessions`
        (None: the last 20 % of the sessions' windows in time). The sessions must be of the base
        model's placement and rate and carry its VO2 series and the subject's mass. Returns self."""
        self._check_params()
        sessions, val_sessions = list(sessions or []), list(val_sessions or [])
        if not sessions:
            raise GaitnodeError("no fine-tuning sessions")
        base_dir = Path(base_model_dir)
        model, base = load_model_dir(base_dir)
        if not is_vo2_meta(base):
            raise GaitnodeError(f"{base_dir}: a {base.get('task')} model, not a VO2 model")
        record = base["training"]
        base_train = record.get("base", record)  # a fine-tuned base keeps the cohort's record under "base"
        source = base_train.get("target_source", "vo2")
        common_value(sessions + val_sessions, lambda s: s.meta.placement, "placements",
                     "fine-tune on one placement at a time")
        tf, keras = tf_env.load()
        tf_env.set_seed(self.seed)
        t0 = time.monotonic()
        rate, window, hop = float(base["rate_hz"]), int(base["window"]), int(base["hop"])
        args = dict(rate_hz=rate, window=window, hop=hop, source=source,
                    average_s=float(base_train.get("breath_average_s", 10.0)), placement=base["placement"])
        train_p = prepare_vo2(sessions, base["channels"], what="fine-tuning", **args)
        if val_sessions:
            val_p = prepare_vo2(val_sessions, base["channels"], what="validation", **args)
            validation = "sessions"
        else:
            train_p, val_p = hold_out_tail_windows(train_p)
            validation = "last 20% of the fine-tuning windows in time"
        mean = np.asarray(base["norm_mean"], np.float32)
        std = np.asarray(base["norm_std"], np.float32)
        scale = float(base_train.get("target_std", 10.0))
        train_tau = float(base_train.get("train_tau_s", 30.0))
        tau_start = float(record.get("fine_tune", {}).get("train_tau_s", train_tau))  # what base smooth_tau_s fits
        tau = tau_start
        window_weight = float(base_train.get("window_loss_weight", 0.1) if self.window_loss_weight is None
                              else self.window_loss_weight)
        relative = base_train.get("loss_kind", "relative") == "relative"

        extension = "none"
        if self.extend != "none" and not is_extended(model):
            model = extend_for_transfer(model, base["architecture"], init=self.extend, seed=self.seed)
            extension = self.extend
        n_blocks = len(feature_blocks(model))
        stages = [0] if self.unfreeze == "none" else list(range(n_blocks + 1))
        per_stage = max(1, self.epochs // len(stages))
        rng = np.random.default_rng(self.seed)
        train_set = SequenceSet(train_p, window, min(self.seq_len, max(len(p.y) for p in train_p)))
        history = {"loss": [], "val_loss": [], "stage": []}
        runs = []
        if self.learn_tau:
            stages = ["kinetics"] + stages
        for stage in stages:
            if stage == "kinetics":  # the subject's time constant first, with the model as it is
                for layer in model.layers:
                    layer.trainable = False
            else:
                set_stage(model, stage)
            run = run_sequence_epochs(
                model, train_set, val_p, mean=mean, std=std, dt_s=hop / rate, tau_s=tau, scale=scale,
                window_weight=window_weight, relative=relative, learn_tau=self.learn_tau,
                epochs=per_stage, batch_sequences=self.batch_sequences, learning_rate=self.learning_rate,
                patience=self.patience, rng=rng, rotation_deg=self.augment_rotation_deg,
                triplets=sensor_triplets(base["channels"]), anchor=float(self.anchor), clip=base.get("input_clip"),
                keep_start=True, verbose=self.verbose)
            history["loss"] += run["history"]["loss"]
            history["val_loss"] += run["history"]["val_loss"]
            history["stage"] += [stage] * run["epochs_run"]
            history["tau_s"] = history.get("tau_s", []) + run["history"]["tau_s"]
            tau = run["tau_s"]
            runs.append({k: run[k] for k in ("epochs_run", "best_epoch", "best_val_loss", "stopped")}
                        | {"stage": stage})
        for layer in model.layers:
            layer.trainable = True

        meta = copy.deepcopy(base)
        everything = sessions + val_sessions
        meta["seed"] = int(self.seed)
        # The subject's kinetics: the deployed smoothing scales with the learned filter time constant.
        base_tau = float(base["smooth_tau_s"])
        if self.learn_tau and tau_start > 0:
            meta["smooth_tau_s"] = round(base_tau * tau / tau_start, 1)
        meta["synthetic_training_data"] = bool(base["synthetic_training_data"]) and all(
            bool(s.meta.synthetic) for s in everything)
        meta["training"] = {
            "fine_tune": {
                "base_model_dir": str(base_dir),
                "base_model_sha256": file_sha256(base_dir / MODEL_FILE),
                "base_meta_sha256": file_sha256(base_dir / META_FILE),
                "sessions": {"train": [session_name(s) for s in sessions],
                             "val": [session_name(s) for s in val_sessions]},
                "subjects": {"train": subjects_of(sessions), "val": subjects_of(val_sessions)},
                "seconds_of_data": round(float(sum(len(p.y) for p in train_p + (val_p if not val_sessions else [])))
                                         * hop / rate, 1),
                "synthetic_data": all(bool(s.meta.synthetic) for s in everything),
                "validation": validation,
                "n_windows": {"train": train_set.n_windows(), "val": int(sum(len(p.y) for p in val_p))},
                "extension": extension, "unfreeze": self.unfreeze, "stages": runs, "history": history,
                "learning_rate": self.learning_rate, "epochs": self.epochs, "patience": self.patience,
                "seq_len": train_set.length, "batch_sequences": self.batch_sequences,
                "augment_rotation_deg": self.augment_rotation_deg, "anchor": self.anchor,
                "learn_tau": self.learn_tau, "train_tau_s": tau, "base_smooth_tau_s": base_tau,
                "window_loss_weight": window_weight,
                "params": int(model.count_params()),
                "best_val_loss": runs[-1]["best_val_loss"], "train_seconds": round(time.monotonic() - t0, 3),
                "tensorflow": tf.__version__,
            },
            "base": base_train,
        }
        self.model_ = model
        self.meta_ = meta
        self.history_ = history
        return self
