import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Events, Imu, Series, Session, SessionMeta
from gaitnode.training.heel_strike_eval import Detection, HeelStrikeEvaluation, speed_band_names


def _session(hs_s, n=3000, rate=100.0, placement="shank", speed=None, synthetic=True, other_side=()):
    t_us = (np.arange(n) * 1e6 / rate).astype(np.int64)
    z = np.zeros((n, 3), np.float32)
    t = np.concatenate([hs_s, other_side])
    side = np.concatenate([np.zeros(len(hs_s)), np.ones(len(other_side))])
    order = np.argsort(t)
    ev = Events(t[order], np.zeros(len(t), np.int8), side[order].astype(np.int8))
    series = {}
    if speed is not None:
        series["speed"] = Series([0.0, n / rate], [speed[0], speed[1]])
    meta = SessionMeta(placement=placement, side="left", rate_hz=rate, synthetic=synthetic)
    return Session(meta=meta, imu=Imu(t_us, z, z, None), events=ev, series=series)


HS = np.arange(1.0, 29.0, 1.1)  # 26 own-side heel strikes in a 30 s session


def test_events_tp_fp_fn_and_timing():
    s = _session(HS, other_side=HS + 0.55)
    est = np.concatenate([HS[1:] + 0.010, [29.5]])  # first one missed, all others 10 ms late, one false
    r = HeelStrikeEvaluation().evaluate([s], [Detection(est)]).report_
    e = r["overall"]["events"]
    assert (e["tp"], e["fp"], e["fn"]) == (len(HS) - 1, 1, 1)
    assert e["median_abs_error_ms"] == pytest.approx(10.0, abs=1e-6)
    assert e["mean_error_ms"] == pytest.approx(10.0, abs=1e-6)  # positive = late
    assert e["f1"] == pytest.approx(2 * 25 / (2 * 25 + 2))
    assert r["overall"]["samples"] is None  # no per-sample output given
    assert r["synthetic"] is True and r["n_sessions"] == 1


def test_tolerance_decides_matches():
    s = _session(HS)
    late = HS + 0.06
    assert HeelStrikeEvaluation(0.05).evaluate([s], [Detection(late)]).report_["overall"]["events"]["tp"] == 0
    assert HeelStrikeEvaluation(0.07).evaluate([s], [Detection(late)]).report_["overall"]["events"]["tp"] == len(HS)


def test_per_sample_metrics_use_label_width_and_ignore_uncovered():
    s = _session(HS)
    n = len(s.imu)
    idx = np.round(HS * 100).astype(int)
    pred = np.zeros(n, bool)
    for i in idx:
        pred[i - 3:i + 4] = True  # narrower than the +-7 reference labels
    covered = np.ones(n, bool)
    covered[-500:] = False
    r = HeelStrikeEvaluation(label_half_width=7).evaluate([s], [Detection(HS, pred, covered)]).report_
    smp = r["overall"]["samples"]
    inside = idx < n - 500
    assert smp["tp"] == 7 * inside.sum()
    assert smp["fn"] == 8 * inside.sum()
    assert smp["fp"] == 0
    assert smp["n_ignored"] == 500


def test_groups_by_placement_and_speed_band():
    a = _session(HS, placement="shank", speed=(0.8, 0.8))
    b = _session(HS, placement="foot", speed=(1.2, 1.2))
    c = _session(HS, placement="foot")  # no speed series
    r = HeelStrikeEvaluation().evaluate([a, b, c], [Detection(HS), Detection(HS[:-2]), Detection(HS)]).report_
    assert set(r["by_placement"]) == {"shank", "foot"}
    assert r["by_placement"]["foot"]["events"]["fn"] == 2
    bands = speed_band_names((0.0, 1.0, 1.4, 1.8, 2.4, np.inf))
    assert r["by_speed"][bands[0]]["events"]["tp"] == len(HS)
    assert r["by_speed"][bands[1]]["events"]["fn"] == 2
    assert r["by_speed"]["unknown"]["events"]["tp"] == len(HS)
    assert sum(g["events"]["n_ref"] for g in r["by_speed"].values()) == 3 * len(HS)
    assert [row["placement"] for row in r["sessions"]] == ["shank", "foot", "foot"]


def test_bad_arguments():
    s = _session(HS)
    with pytest.raises(GaitnodeError, match="tolerance"):
        HeelStrikeEvaluation(tolerance_s=0)
    with pytest.raises(GaitnodeError, match="edges"):
        HeelStrikeEvaluation(speed_edges=(1.0, 0.5))
    with pytest.raises(GaitnodeError, match="2 detections"):
        HeelStrikeEvaluation().evaluate([s], [Detection(HS), Detection(HS)])
    with pytest.raises(GaitnodeError, match="per-sample outputs"):
        HeelStrikeEvaluation().evaluate([s], [Detection(HS, np.zeros(10, bool))])
    with pytest.raises(GaitnodeError, match="no sessions"):
        HeelStrikeEvaluation().evaluate([], [])
