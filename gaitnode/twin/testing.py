"""Test material for everything that talks to a twin (twin, host tool, HIL suite): synthetic walks and
one small real heel-strike model, trained and quantized once per machine and source version.

The model is never a fake: the twin runs it in TFLM. It is cached under build/test-cache/ keyed by a
hash of the training and quantization sources and of its parameters, behind a file lock, so parallel
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


def _source_key() -> str:
    h = hashlib.sha256(repr(sorted(MODEL_PARAMS.items())).encode())
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


def small_heel_strike_model() -> Path:
    """The quantized test model's directory (treat as read-only): trained on the first use on this
    machine for the current sources, then reused. On a held-out synthetic walk it finds the heel
    strikes (F1 ~1)."""
    final = CACHE / f"hs-model-{_source_key()}"
    if (final / "quantize.json").is_file():
        return final
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "hs-model.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be training it right now
        if (final / "quantize.json").is_file():
            return final
        tmp = CACHE / f".hs-model-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        _train(tmp)
        os.replace(tmp, final)
    return final
