"""Fixtures for the twin tests: synthetic sessions and one small real heel-strike model, trained
and quantized once per test worker (never a fake inference: the twin runs it in TFLM)."""

from __future__ import annotations

import numpy as np
import pytest


def simulated_walk(k: int, duration_s: float, placement: str = "shank"):
    """Synthetic free walk of cohort subject k (seed k), left side."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    protocol = by_name("free_walk", np.random.default_rng(k), duration_s)
    return Simulator(seed=k, placement=placement).simulate(cohort_subject(0, k), protocol)


@pytest.fixture(scope="session")
def walk():
    """A 40 s synthetic walk the model has not seen (subject 5)."""
    return simulated_walk(5, 40.0)


@pytest.fixture(scope="session")
def twin_model_dir(tmp_path_factory):
    """The node's cnn_lstm heel-strike model (window 128, hop 32, delay 8: the deployed contract)
    trained for 10 epochs on four 2-minute synthetic walks (about 20 s), quantized to int8 with its
    C arrays; treat as read-only. On a held-out synthetic walk it finds the heel strikes (F1 ~1)."""
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.heel_strike_trainer import HeelStrikeTrainer
    from gaitnode.training.model_dir import save_model_dir
    from gaitnode.training.predict import session_windows

    train = [simulated_walk(k, 120.0) for k in (1, 2, 4, 6)]
    val = [simulated_walk(3, 40.0)]
    trainer = HeelStrikeTrainer(window=128, hop=32, output_delay=8, epochs=10, batch_size=32, seed=0).fit(train, val)
    out = tmp_path_factory.mktemp("twin_model") / "hs"
    save_model_dir(out, trainer.model_, trainer.meta_)
    rep = np.concatenate([session_windows(s, trainer.meta_) for s in train])[::4]
    held = session_windows(val[0], trainer.meta_)[::4]
    Quantizer().run(out, rep, held)
    return out
