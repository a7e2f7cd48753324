"""Shared fixtures for the training tests: short synthetic walks and one tiny trained model.

Sessions: 60 s synthetic free walks (10 s standing, then walking) of three cohort subjects,
left shank, 100 Hz. The base model is "cnn_lstm" on 64-sample windows trained for one epoch
(seconds); tests treat every fixture as read-only.
"""

from __future__ import annotations

import numpy as np
import pytest

WINDOW, HOP, DELAY = 64, 16, 8
TINY = dict(window=WINDOW, hop=HOP, output_delay=DELAY, epochs=1, batch_size=32, seed=0)


def walk(k: int, duration_s: float = 60.0):
    """Synthetic free walk of cohort subject k (seed 0), left shank."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    protocol = by_name("free_walk", np.random.default_rng(k), duration_s)
    return Simulator(seed=k).simulate(cohort_subject(0, k), protocol)


@pytest.fixture(scope="session")
def walks():
    """Three synthetic 60 s walks of subjects S000, S001, S002."""
    return [walk(0), walk(1), walk(2)]


@pytest.fixture(scope="session")
def base_trainer(walks):
    """HeelStrikeTrainer(**TINY) fitted on walk 0 with walk 1 for validation."""
    from gaitnode.training.heel_strike_trainer import HeelStrikeTrainer

    return HeelStrikeTrainer(**TINY).fit([walks[0]], [walks[1]])


@pytest.fixture(scope="session")
def base_model_dir(base_trainer, tmp_path_factory):
    """The base trainer's model saved as a model directory."""
    from gaitnode.training.model_dir import save_model_dir

    return save_model_dir(tmp_path_factory.mktemp("base") / "model", base_trainer.model_, base_trainer.meta_)


@pytest.fixture(scope="session")
def tiny():
    """Trainer parameters of the tiny test models (window 64, hop 16, output delay 8, one epoch)."""
    return dict(TINY)
