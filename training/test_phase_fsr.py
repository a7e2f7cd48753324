import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Series
from gaitnode.training.phase_fsr import FsrPhaseLabeller, label_session
from gaitnode.training.phase_fsr_synth import synthetic_fsr


def _sim(protocol: str, k: int, duration_s: float = 60.0):
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    sim = Simulator(seed=k)
    session = sim.simulate(cohort_subject(0, k), by_name(protocol, np.random.default_rng(k), duration_s))
    return sim, session


@pytest.mark.parametrize("protocol", ["free_walk", "stairs", "running"])
def test_rules_recover_the_simulator_phases(protocol):
    sim, s = _sim(protocol, 3)
    heel, ball = synthetic_fsr(sim.strides_, "left", s.imu.t_s, seed=0)
    other = synthetic_fsr(sim.strides_, "right", s.imu.t_s, seed=1)
    lab = FsrPhaseLabeller().run(heel, ball, 100.0, *other)
    gait = s.phase >= 0
    assert (lab.phase_[gait] == s.phase[gait]).mean() > 0.98
    assert (lab.phase_ == s.phase).mean() > 0.97  # standing (-1) included
    # events: the first sample of each run; heel strikes near the simulator's
    hs = lab.events_.loc[lab.events_["kind"] == "HS", "t_s"].to_numpy() + s.imu.t_s[0]
    ref = s.events.select("HS", "left")
    ref = ref[(ref > s.imu.t_s[0] + 0.1) & (ref < s.imu.t_s[-1] - 0.1)]
    assert len(hs) == len(ref)
    assert np.abs(hs - ref).max() < 0.025


def test_without_the_other_foot_and_with_the_papers_double_support_rule():
    sim, s = _sim("free_walk", 4)
    heel, ball = synthetic_fsr(sim.strides_, "left", s.imu.t_s)
    other = synthetic_fsr(sim.strides_, "right", s.imu.t_s, seed=1)
    gait = s.phase >= 0
    single = FsrPhaseLabeller().run(heel, ball, 100.0)
    assert (single.phase_[gait] == s.phase[gait]).mean() > 0.95
    paper = FsrPhaseLabeller(hs_end="double_support").run(heel, ball, 100.0, *other)
    # HS lasts until the other foot lifts: longer than heel-to-foot-flat, never shorter
    assert (paper.phase_ == 0).sum() >= (single.phase_ == 0).sum()
    assert (paper.phase_[gait] == s.phase[gait]).mean() > 0.93


def test_flat_zone_rule_removes_threshold_chatter():
    heel = np.r_[np.zeros(20), np.full(40, 100.0), np.zeros(40)] + 0.0
    ball = np.r_[np.zeros(30), np.full(50, 100.0), np.zeros(20)]
    heel[45] = 0.0  # one-sample dropout in stance
    lab = FsrPhaseLabeller(min_flat_s=0.03).run(heel, ball, 100.0)
    np.testing.assert_array_equal(lab.runs_["phase"].to_numpy(), [3, 0, 1, 2, 3])
    assert list(lab.events_["kind"]) == ["HS", "FF", "HO", "TO"]
    raw = FsrPhaseLabeller(min_flat_s=0.0).run(heel, ball, 100.0)
    assert raw.phase_[45] == 2


def test_label_session_sets_the_phase_from_series():
    sim, s = _sim("free_walk", 5, 40.0)
    heel, ball = synthetic_fsr(sim.strides_, "left", s.imu.t_s)
    truth = s.phase.copy()
    s.series["fsr_heel"] = Series(s.imu.t_s, heel)
    s.series["fsr_ball"] = Series(s.imu.t_s, ball)
    s.phase = None
    label_session(s)
    assert (s.phase[truth >= 0] == truth[truth >= 0]).mean() > 0.95


def test_bad_input_is_one_clear_error():
    f = np.ones(100)
    with pytest.raises(GaitnodeError, match="samples, but the heel force has"):
        FsrPhaseLabeller().run(f, np.ones(99), 100.0)
    with pytest.raises(GaitnodeError, match="not finite"):
        FsrPhaseLabeller().run(np.r_[f[:-1], np.nan], f, 100.0)
    with pytest.raises(GaitnodeError, match="never rises above zero"):
        FsrPhaseLabeller().run(np.zeros(100), f, 100.0)
    with pytest.raises(GaitnodeError, match="both forces of the other foot"):
        FsrPhaseLabeller().run(f, f, 100.0, other_heel=f)
    with pytest.raises(GaitnodeError, match="needs the other foot"):
        FsrPhaseLabeller(hs_end="double_support").run(f, f, 100.0)
    with pytest.raises(GaitnodeError, match="below 1"):
        FsrPhaseLabeller(threshold=5.0).run(f, f, 100.0)
    with pytest.raises(GaitnodeError, match="rate_hz must be a positive number"):
        FsrPhaseLabeller().run(f, f, 0)
    with pytest.raises(GaitnodeError, match="1-D"):
        FsrPhaseLabeller().run(np.ones((10, 2)), f, 100.0)
    with pytest.raises(GaitnodeError, match="side"):
        synthetic_fsr(None, "middle", f)
