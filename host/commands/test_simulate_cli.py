"""`gaitnode simulate` and `gaitnode cohort` through the real CLI entry point."""

import json

import numpy as np
import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.store import read_session

SHORT = "name: short\nsegments:\n  - {activity: standing, duration_s: 10}\n  - {activity: walking, speed_ms: 1.2, duration_s: 20}\n"


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def short(tmp_path):
    p = tmp_path / "short.yaml"
    p.write_text(SHORT)
    return p


def test_simulate_writes_a_synthetic_session(capsys, tmp_path):
    out = tmp_path / "s.gns"
    code, text, err = _run(capsys, "simulate", "-o", out, "--protocol", "stairs", "--duration", "40",
                           "--placement", "foot", "--side", "right", "--rate", "50", "--seed", "4", "--sex", "female")
    assert code == 0, err
    assert "synthetic" in text and str(out) in text and "stairs" in text
    s = read_session(out)
    assert s.meta.synthetic and s.meta.placement == "foot" and s.meta.side == "right"
    assert s.meta.subject.sex == "female" and s.meta.protocol == "stairs"
    assert s.duration_s == pytest.approx(40, abs=0.5)
    assert {"vo2", "vo2_true", "hr"} <= set(s.series)


def test_simulate_is_reproducible_and_refuses_to_overwrite(capsys, tmp_path, short):
    a, b = tmp_path / "a.gns", tmp_path / "b.gns"
    for path in (a, b):
        assert _run(capsys, "simulate", "-o", path, "--protocol", short, "--rate", "50", "--seed", "2")[0] == 0
    sa, sb = read_session(a), read_session(b)
    assert np.array_equal(sa.imu.acc, sb.imu.acc) and np.array_equal(sa.series["hr"].value, sb.series["hr"].value)
    code, _, err = _run(capsys, "simulate", "-o", a, "--protocol", short, "--rate", "50")
    assert code == 2 and "already exists" in err and "--force" in err and "Traceback" not in err


@pytest.mark.parametrize("args,message", [
    (["--placement", "wrist"], "--placement: 'wrist' is not one of shank, foot"),
    (["--side", "up"], "--side: 'up'"),
    (["--sex", "x"], "--sex: 'x'"),
    (["--rate", "10"], "--rate: 10 Hz is outside 50-400 Hz"),
    (["--protocol", "jog"], "unknown protocol 'jog'"),
    (["--protocol", "bruce", "--duration", "60"], "duration cannot be given for the Bruce"),
])
def test_simulate_bad_arguments(capsys, tmp_path, args, message):
    code, _, err = _run(capsys, "simulate", "-o", tmp_path / "x.gns", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "x.gns").exists()


def test_simulate_bad_yaml_names_the_segment(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("segments:\n  - {activity: walking, speed_kmh: fast, duration_s: 10}\n")
    code, _, err = _run(capsys, "simulate", "-o", tmp_path / "x.gns", "--protocol", bad)
    assert code == 2 and "line 2" in err and "segment 0, field 'speed_kmh'" in err


def test_cohort_writes_split_and_manifest(capsys, tmp_path, short):
    out = tmp_path / "cohort"
    code, text, err = _run(capsys, "cohort", "-o", out, "--subjects", "3", "--protocols", short,
                           "--placements", "shank,foot", "--rate", "50", "--seed", "5")
    assert code == 0, err
    assert "synthetic" in text and "6 synthetic sessions" in text and "cohort.json" in text
    m = json.loads((out / "cohort.json").read_text())
    assert m["synthetic"] and m["seed"] == 5 and len(m["files"]) == 6
    assert all((out / f["path"]).is_file() for f in m["files"])
    assert sorted(sum(m["split"].values(), [])) == ["S000", "S001", "S002"]


@pytest.mark.parametrize("args,message", [
    (["--placements", "shank,hip"], "--placements: 'hip'"),
    (["--split", "a,b,c"], "--split: 'a,b,c' is not three"),
    (["--split", "0.5,0.5"], "split (0.5, 0.5) must be three"),
    (["--subjects", "0"], "positive integer"),
])
def test_cohort_bad_arguments(capsys, tmp_path, args, message):
    code, _, err = _run(capsys, "cohort", "-o", tmp_path / "c", "--protocols", "bruce", *args)
    assert code == 2 and message in err and "Traceback" not in err
