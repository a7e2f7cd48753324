import dataclasses

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.sessions.model import Events, Series
from gaitnode.training.hr_data import (
    N_FEATURES, cadence_from_events, derived_speed, import_tcx, load_activity, on_grid, packaged_real_files,
    packaged_real_sessions, sequence_from_session,
)
from gaitnode.training.hr_testing import synthetic_hr_session


@pytest.fixture(scope="module")
def run_session():
    return synthetic_hr_session(0, "running", 300.0)


def test_cadence_from_both_legs_counts_steps_and_one_leg_counts_strides():
    grid = np.array([0.5, 1.2, 2.1, 10.0])
    both = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])  # a step every 0.5 s
    np.testing.assert_allclose(cadence_from_events(both, np.array([0, 1] * 3), grid), [120, 120, 120, 0])
    one = np.array([0.0, 1.0, 2.0, 3.0])  # one leg, a stride every 1 s = 2 steps per s
    np.testing.assert_allclose(cadence_from_events(one, np.zeros(4), grid), [120, 120, 120, 0])
    standing = np.array([0.0, 5.0])
    np.testing.assert_allclose(cadence_from_events(standing, np.zeros(2), grid), 0.0)


def test_on_grid_leaves_dropouts_nan_and_joins_short_steps():
    s = Series(np.array([0.0, 1.0, 3.0, 10.0, 11.0]), np.array([100.0, 101.0, 103.0, 110.0, 111.0]))
    v = on_grid(s, np.arange(12.0))
    np.testing.assert_allclose(v[[0, 1, 2, 3, 10, 11]], [100, 101, 102, 103, 110, 111])
    assert np.isnan(v[4:10]).all()


def test_sequence_features_of_a_synthetic_run(run_session):
    q = sequence_from_session(run_session)
    assert q.x.shape == (len(q), N_FEATURES) and q.synthetic and len(q) == 301
    np.testing.assert_allclose(q.t_s[:3], [0, 1, 2])
    assert q.x[:, 3:6].min() == 1.0  # cadence (from heel strikes), speed and grade all present
    assert q.x[:, 0].max() * 100 > 140  # running cadence, steps/min
    np.testing.assert_allclose(q.x[:, 1] * 2, run_session.series["speed"].value, atol=1e-5)
    assert np.all(q.x[:, 7] == 1.0)  # age known
    np.testing.assert_allclose(q.x[0, 8] * 30 + 100, q.hr[0], rtol=1e-5)


def test_cadence_series_is_used_without_heel_strikes(run_session):
    s = dataclasses.replace(run_session, events=Events.empty(),
                            series={**run_session.series, "cadence": Series(np.arange(301.0), np.full(301, 150.0))})
    np.testing.assert_allclose(sequence_from_session(s).x[:, 0], 1.5)


def _without(session, *names, **series):
    kept = {k: v for k, v in session.series.items() if k not in names}
    return dataclasses.replace(session, series={**kept, **series})


@pytest.mark.parametrize("case, message", [
    ("no_hr", "no heart-rate series"),
    ("high", "outside physiology"),
    ("low", "outside physiology"),
    ("no_drive", "no activity drive"),
    ("short", "needs at least 60 s"),
])
def test_bad_sessions_are_clear_errors(run_session, case, message):
    hr = run_session.series["hr"]
    s = {
        "no_hr": _without(run_session, "hr"),
        "high": _without(run_session, hr=Series(hr.t_s, np.where(hr.t_s == 50, 250.0, hr.value))),
        "low": _without(run_session, hr=Series(hr.t_s, np.where(hr.t_s == 50, 0.0, hr.value))),
        "no_drive": dataclasses.replace(_without(run_session, "speed", "grade"), events=Events.empty()),
        "short": _without(run_session, hr=Series(hr.t_s[:30], hr.value[:30])),
    }[case]
    with pytest.raises(GaitnodeError, match=message):
        sequence_from_session(s)


TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Lap><Track>{points}</Track></Lap></Activity></Activities>
</TrainingCenterDatabase>"""
POINT = ("<Trackpoint><Time>2024-03-01T09:{m:02d}:{s:02d}Z</Time><AltitudeMeters>{alt}</AltitudeMeters>"
         "<DistanceMeters>{d}</DistanceMeters><HeartRateBpm><Value>{hr}</Value></HeartRateBpm>"
         "<Cadence>80</Cadence></Trackpoint>")


def test_tcx_import_doubles_cadence_and_derives_speed(tmp_path):
    pts = "".join(POINT.format(m=i // 60, s=i % 60, alt=100 + 0.03 * i, d=3.0 * i, hr=120 + i // 10) for i in range(90))
    p = tmp_path / "run.tcx"
    p.write_text(TCX.format(points=pts))
    s = load_activity(p)
    assert not s.meta.synthetic and s.meta.extra["source_file"] == "run.tcx" and len(s.imu) == 0
    np.testing.assert_allclose(s.series["cadence"].value, 160.0)
    np.testing.assert_allclose(s.series["speed"].value[10:80], 3.0, atol=1e-9)
    np.testing.assert_allclose(np.nanmedian(s.series["grade"].value), 1.0, atol=1e-6)
    q = sequence_from_session(s)
    assert len(q) == 90 and not q.synthetic


def test_damaged_activity_files_are_input_errors(tmp_path):
    bad = tmp_path / "bad.tcx"
    bad.write_text("<TrainingCenterDatabase><Activities>")
    with pytest.raises(InputFileError, match="not a readable TCX"):
        import_tcx(bad)
    empty = tmp_path / "empty.tcx"
    empty.write_text(TCX.format(points=""))
    with pytest.raises(InputFileError, match="no trackpoints"):
        import_tcx(empty)
    with pytest.raises(GaitnodeError, match="not a .tcx or .fit"):
        load_activity(tmp_path / "run.gpx")


def test_derived_speed_from_distance():
    t = np.arange(30.0)
    np.testing.assert_allclose(derived_speed(t, 2.5 * t)[5:25], 2.5)


def test_packaged_real_running_session_loads():
    (path, package, what), = packaged_real_files()
    assert package == "sweat" and path.name == "3173437224.tcx" and "running" in what
    s, = packaged_real_sessions()
    q = sequence_from_session(s)
    assert not q.synthetic and len(q) > 3600  # 65 min, a pause without HR in the middle
    assert np.isnan(q.hr).sum() > 300 and np.nanmax(q.hr) <= 220
