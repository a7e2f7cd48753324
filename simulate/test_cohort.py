import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.store import read_session
from gaitnode.simulate.cohort import cohort_subject, make_cohort, subject_stream

# A short schedule keeps the simulated cohorts fast (each session 40 s at 50 Hz).
SHORT = """
name: short
segments:
  - {activity: standing, duration_s: 10}
  - {activity: walking, speed_ms: 1.3, duration_s: 30}
"""


@pytest.fixture
def short(tmp_path):
    p = tmp_path / "short.yaml"
    p.write_text(SHORT)
    return str(p)


def _arrays(path):
    s = read_session(path)
    return s, [s.imu.t_us, s.imu.acc, s.imu.gyr, s.events.t_s, s.series["vo2"].value, s.series["hr"].value]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(_arrays(a)[1], _arrays(b)[1]))


def test_cohort_layout_manifest_and_split_by_subject(tmp_path, short):
    out = tmp_path / "c"
    m = make_cohort(out, 5, protocols=(short,), placements=("shank", "foot"), rate_hz=50.0, seed=3)
    assert m["synthetic"] is True and m["seed"] == 3 and m["protocols"] == ["short"]
    assert json.loads((out / "cohort.json").read_text()) == m
    split = m["split"]
    assert sorted(sum(split.values(), [])) == [f"S00{k}" for k in range(5)]
    assert [len(split[k]) for k in ("train", "val", "test")] == [3, 1, 1]
    assert len(m["files"]) == 10
    for f in m["files"]:
        assert f["subject"] in split[f["split"]]
        assert f["path"] == f"{f['split']}/{f['subject']}_short_{f['placement']}.gns"
        s = read_session(out / f["path"])
        assert s.meta.synthetic and s.meta.subject.id == f["subject"] and s.meta.placement == f["placement"]
        assert s.meta.rate_hz == 50.0 and f["duration_s"] == pytest.approx(40, abs=0.5)
    # both placements of one subject record the same walk (same heel strikes and VO2)
    a, b = (read_session(out / f["path"]) for f in m["files"][:2])
    assert np.array_equal(a.events.t_s, b.events.t_s) and np.array_equal(a.series["vo2"].value, b.series["vo2"].value)
    assert not np.array_equal(a.imu.acc, b.imu.acc[: len(a.imu.acc)])


def test_same_seed_is_bit_identical_and_adding_subjects_changes_nothing(tmp_path, short):
    m2 = make_cohort(tmp_path / "a", 2, protocols=(short,), rate_hz=50.0, seed=9, split=(1.0, 0.0, 0.0))
    m3 = make_cohort(tmp_path / "b", 3, protocols=(short,), rate_hz=50.0, seed=9, split=(1.0, 0.0, 0.0))
    assert m3["subjects"][:2] == m2["subjects"]
    for f in m2["files"]:
        assert _same(tmp_path / "a" / f["path"], tmp_path / "b" / f["path"])
    s0, s1 = (tmp_path / "a" / f["path"] for f in m2["files"])
    assert not _same(s0, s1)  # different subjects differ
    m_other = make_cohort(tmp_path / "c", 1, protocols=(short,), rate_hz=50.0, seed=10, split=(1.0, 0.0, 0.0))
    assert m_other["subjects"][0] != m2["subjects"][0]


def test_subject_streams_match_seedsequence_spawn():
    children = np.random.SeedSequence(4).spawn(3)
    assert subject_stream(4, 2).generate_state(4).tolist() == children[2].generate_state(4).tolist()
    assert cohort_subject(4, 1) == cohort_subject(4, 1) != cohort_subject(4, 2)


def test_two_sides_get_their_own_files(tmp_path, short):
    m = make_cohort(tmp_path, 1, protocols=(short,), rate_hz=50.0, sides=("left", "right"), split=(1, 0, 0))
    assert [f["path"] for f in m["files"]] == ["train/S000_short_shank_left.gns", "train/S000_short_shank_right.gns"]
    sides = [read_session(tmp_path / f["path"]).meta.side for f in m["files"]]
    assert sides == ["left", "right"]


def test_mounting_mode_reaches_the_sessions(tmp_path, short):
    # same subject and walk; "nominal" puts every board the same way, "random_any" turns it
    a = make_cohort(tmp_path / "a", 1, protocols=(short,), rate_hz=50.0, split=(1, 0, 0), mounting="nominal")
    b = make_cohort(tmp_path / "b", 1, protocols=(short,), rate_hz=50.0, split=(1, 0, 0), mounting="random_any")
    assert (a["mounting"], b["mounting"]) == ("nominal", "random_any")
    ma = np.array(read_session(tmp_path / "a" / a["files"][0]["path"]).meta.mounting)
    mb = np.array(read_session(tmp_path / "b" / b["files"][0]["path"]).meta.mounting)
    assert not np.allclose(ma, mb)


@pytest.mark.parametrize("kwargs,message", [
    ({"n_subjects": 0}, "positive integer"),
    ({"placements": ("wrist",)}, "placement 'wrist' is not one of shank, foot"),
    ({"sides": ("middle",)}, "side 'middle'"),
    ({"split": (0.5, 0.5, 0.5)}, "summing to 1"),
    ({"rate_hz": 1000.0}, "outside 50-400 Hz"),
    ({"protocols": ("jogging",)}, "unknown protocol 'jogging'"),
    ({"mounting": "upside_down"}, "mounting 'upside_down'"),
])
def test_bad_arguments_fail_before_writing(tmp_path, kwargs, message):
    args = {"n_subjects": 2, "protocols": ("bruce",), **kwargs}
    with pytest.raises(GaitnodeError, match=message):
        make_cohort(tmp_path / "c", **args)
    assert not (tmp_path / "c" / "cohort.json").exists()
    assert not list((tmp_path).rglob("*.gns"))


def test_existing_cohort_needs_overwrite(tmp_path, short):
    make_cohort(tmp_path, 1, protocols=(short,), rate_hz=50.0, split=(1, 0, 0))
    with pytest.raises(GaitnodeError, match="cohort.json: a cohort is already there"):
        make_cohort(tmp_path, 1, protocols=(short,), rate_hz=50.0, split=(1, 0, 0))
    (tmp_path / "cohort.json").unlink()
    with pytest.raises(GaitnodeError, match="S000_short_shank.gns: already exists"):
        make_cohort(tmp_path, 1, protocols=(short,), rate_hz=50.0, split=(1, 0, 0))
    make_cohort(tmp_path, 1, protocols=(short,), rate_hz=50.0, split=(1, 0, 0), overwrite=True)


def test_worker_processes_give_the_same_files(tmp_path, short):
    kw = dict(protocols=(short,), rate_hz=50.0, seed=1, split=(1, 0, 0))
    m1 = make_cohort(tmp_path / "one", 2, **kw)
    make_cohort(tmp_path / "two", 2, workers=2, **kw)
    for f in m1["files"]:
        assert _same(tmp_path / "one" / f["path"], tmp_path / "two" / f["path"])
