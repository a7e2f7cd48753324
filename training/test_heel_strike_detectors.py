"""The detector adapters used by `gaitnode evaluate heel-strike` (model runs are covered end to end in
host/commands/test_heel_strike_cli.py)."""

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.simulate.cohort import cohort_subject
from gaitnode.simulate.protocols import Protocol, Segment
from gaitnode.simulate.simulator import Simulator
from gaitnode.training.heel_strike_detectors import ClassicalDetector, make_detector
from gaitnode.training.heel_strike_eval import HeelStrikeEvaluation


def test_classical_detector_scores_on_a_synthetic_walk():
    protocol = Protocol("walk", (Segment(5.0, "standing"), Segment(40.0, "walking", 1.3)))
    s = Simulator(rate_hz=100.0, placement="shank", side="left", mounting="random", seed=3).simulate(
        cohort_subject(0, 3), protocol)
    det = ClassicalDetector(label_half_width=7).detect(s)
    assert det.sample_pred.shape == (len(s.imu),) and det.covered.all()
    r = HeelStrikeEvaluation().evaluate([s], [det]).report_
    assert r["overall"]["events"]["f1"] > 0.9
    assert r["overall"]["samples"]["accuracy"] > 0.8


def test_bad_choices_are_one_clear_error(tmp_path):
    with pytest.raises(GaitnodeError, match="needs a model directory"):
        make_detector("float", None)
    with pytest.raises(GaitnodeError, match="unknown model kind"):
        make_detector("fp16", tmp_path)
    protocol = Protocol("walk", (Segment(20.0, "walking", 1.3),))
    s = Simulator(rate_hz=100.0, placement="shank", seed=1).simulate(cohort_subject(0, 1), protocol)
    s.meta.placement = "wrist"
    with pytest.raises(GaitnodeError, match="shank and foot"):
        ClassicalDetector().detect(s)
