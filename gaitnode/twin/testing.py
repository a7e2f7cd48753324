"""Test material for everything that talks to a twin (twin, host tool, HIL suite): synthetic walks and
two small real models (heel strike, VO2), each trained and quantized once per machine and source version.

The models are never fakes: the twin runs them in TFLM. Each is cached under build/test-cache/ keyed by
a hash of the training and quantization sources and of its parameters, behind a file lock, so parallel
test workers train it once between them and a code change trains it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "build" / "test-cache"
# window 128, hop 32, delay 8: the deployed contract; 10 epochs on four 2-minute walks (~20 s).
MODEL_PARAMS = dict(window=128, hop=32, output_delay=8, epochs=10, batch_size=32, seed=0)
TRAIN_SUBJECTS, VAL_SUBJECT = (1, 2, 4, 6), 3  # held-out walks in tests use other subjects (5, 7+)


def simulated_walk(k: int, duration_s: float, placement: str = "shank"):
    """Synthetic free walk of cohort subject k (seed k), left side."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    protocol = by_name("free_walk", np.random.default_rng(k), duration_s)
    return Simulator(seed=k, placement=placement).simulate(cohort_subject(0, k), protocol)


# VO2: window 128 / hop 100 (one inference a second, the deployed contract); 3 epochs on the same
# four 2-minute walks (~5 s of training, ~15 s of conversion and TFLM checks).
VO2_MODEL_PARAMS = dict(window=128, hop=100, epochs=3, seq_len=32, batch_sequences=4, seed=0)


def _source_key(params: dict = MODEL_PARAMS) -> str:
    h = hashlib.sha256(repr(sorted(params.items())).encode())
    h.update(repr((TRAIN_SUBJECTS, VAL_SUBJECT)).encode())
    for folder in ("training", "quantize", "simulate"):
        for p in sorted((REPO / folder).glob("*.py")):
            if not p.name.startswith("test_"):
                h.update(p.name.encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _train(out: Path) -> None:
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.heel_strike_trainer import HeelStrikeTrainer
    from gaitnode.training.model_dir import save_model_dir
    from gaitnode.training.predict import session_windows

    train = [simulated_walk(k, 120.0) for k in TRAIN_SUBJECTS]
    val = [simulated_walk(VAL_SUBJECT, 40.0)]
    trainer = HeelStrikeTrainer(**MODEL_PARAMS).fit(train, val)
    save_model_dir(out, trainer.model_, trainer.meta_)
    rep = np.concatenate([session_windows(s, trainer.meta_) for s in train])[::4]
    held = session_windows(val[0], trainer.meta_)[::4]
    Quantizer().run(out, rep, held)


def _train_vo2(out: Path) -> None:
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.model_dir import save_model_dir
    from gaitnode.training.vo2_predict import session_vo2_windows
    from gaitnode.training.vo2_trainer import Vo2Trainer

    train = [simulated_walk(k, 120.0) for k in TRAIN_SUBJECTS]
    val = [simulated_walk(VAL_SUBJECT, 60.0)]
    trainer = Vo2Trainer(**VO2_MODEL_PARAMS).fit(train, val)
    save_model_dir(out, trainer.model_, trainer.meta_)
    rep = np.concatenate([session_vo2_windows(s, trainer.meta_) for s in train])
    held = session_vo2_windows(val[0], trainer.meta_)
    Quantizer(name="vo2", max_arena_bytes=32768).run(out, rep, held)


# Activity: the deployed contract (128 rows at 50 Hz, hop 64); 3 epochs on four 2-minute synthetic daily-living
# sessions (~10 s of training, ~15 s of conversion and TFLM checks).
ACTIVITY_MODEL_PARAMS = dict(architecture="cnn_lstm", window=128, hop=64, train_hop=16, epochs=3, seed=0)


def simulated_daily_living(k: int, duration_s: float, placement: str = "shank"):
    """Synthetic daily living (standing, sitting, laying, walking, stairs) of cohort subject k (seed k), left side."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    protocol = by_name("daily_living", np.random.default_rng(k), duration_s)
    return Simulator(seed=k, placement=placement).simulate(cohort_subject(0, k), protocol)


def _train_activity(out: Path) -> None:
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.activity_dataset import activity_arrays
    from gaitnode.training.activity_trainer import ActivityTrainer
    from gaitnode.training.model_dir import save_model_dir

    train = [simulated_daily_living(k, 120.0) for k in TRAIN_SUBJECTS]
    val = [simulated_daily_living(VAL_SUBJECT, 60.0)]
    trainer = ActivityTrainer(**ACTIVITY_MODEL_PARAMS).fit(train, val)
    save_model_dir(out, trainer.model_, trainer.meta_)
    rep = activity_arrays(train, trainer.meta_)[0]
    held = activity_arrays(val, trainer.meta_)[0]
    Quantizer(name="activity", max_model_bytes=40960, max_arena_bytes=16384).run(out, rep, held)


def _cached(stem: str, key: str, train) -> Path:
    final = CACHE / f"{stem}-{key}"
    if (final / "quantize.json").is_file():
        return final
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be training it right now
        if (final / "quantize.json").is_file():
            return final
        tmp = CACHE / f".{stem}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        train(tmp)
        os.replace(tmp, final)
    return final


def small_heel_strike_model() -> Path:
    """The quantized test model's directory (treat as read-only): trained on the first use on this
    machine for the current sources, then reused. On a held-out synthetic walk it finds the heel
    strikes (F1 ~1)."""
    return _cached("hs-model", _source_key(), _train)


def small_vo2_model() -> Path:
    """A small quantized VO2 model's directory (treat as read-only; model.json task "vo2", int8 model,
    quantize.json, c/vo2_model_config.h): "cnn_lstm" trained briefly on four synthetic 2-minute walks,
    on the first use on this machine for the current sources, then reused. Its estimates follow
    walking VO2 only roughly (seconds of training); it is for plumbing and device tests, not accuracy."""
    return _cached("vo2-model", _source_key(VO2_MODEL_PARAMS), _train_vo2)


# Gait phase: window 40 / hop 10 at 100 Hz (the deployed contract); resnet_lstm, 6 short epochs on the same
# four 2-minute walks (~20 s of training, ~20 s of conversion and TFLM checks).
PHASE_MODEL_PARAMS = dict(architecture="resnet_lstm", window=40, hop=10, epochs=6, windows_per_epoch=2000,
                          batch_size=64, seed=0)


def _train_phase(out: Path) -> None:
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.model_dir import save_model_dir
    from gaitnode.training.phase_dataset import phase_arrays
    from gaitnode.training.phase_trainer import PhaseTrainer

    train = [simulated_walk(k, 120.0) for k in TRAIN_SUBJECTS]
    val = [simulated_walk(VAL_SUBJECT, 40.0)]
    trainer = PhaseTrainer(**PHASE_MODEL_PARAMS).fit(train, val)
    save_model_dir(out, trainer.model_, trainer.meta_)
    rep = phase_arrays(train, trainer.meta_)[0][::20]
    held = phase_arrays(val, trainer.meta_)[0][::4]
    Quantizer(name="phase", max_model_bytes=40960, max_arena_bytes=16384).run(out, rep, held)


def small_phase_model() -> Path:
    """A small quantized gait-phase model's directory (treat as read-only; model.json task "gait_phase",
    output "last_hop" [10, 4], int8 model, quantize.json, c/phase_model_config.h): "resnet_lstm" trained
    briefly on four synthetic 2-minute walks, on the first use on this machine for the current sources,
    then reused. It labels most walking samples right (seconds of training); it is for plumbing and
    device tests, not accuracy."""
    return _cached("phase-model", _source_key(PHASE_MODEL_PARAMS), _train_phase)


def small_activity_model() -> Path:
    """A small quantized activity model's directory (treat as read-only; model.json task "activity", output
    "window", the six UCI HAR classes, 128 rows at 50 Hz, hop 64; int8 model, quantize.json,
    c/activity_model_config.h): "cnn_lstm" trained briefly on four synthetic 2-minute daily-living sessions,
    on the first use on this machine for the current sources, then reused. It is for plumbing and device
    tests, not accuracy."""
    return _cached("activity-model", _source_key(ACTIVITY_MODEL_PARAMS), _train_activity)
