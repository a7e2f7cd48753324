"""`gaitnode import csv|fit|uci-har` through the real CLI entry point."""

import re

import numpy as np
import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.importers.test_fit_import import _fit_bytes
from gaitnode.sessions.importers.test_uci_har import _recording, _write_split
from gaitnode.sessions.store import read_session

HEADER = "t_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,phase,hr\n"


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _csv(path, n=400, rate=200.0):
    t = np.arange(n) / rate
    rows = [f"{ti:.6f},0,0,1,0,0,{np.pi:.9f},{'HS' if i % 100 < 10 else 'SW'},{'' if i % 50 else 130}\n"
            for i, ti in enumerate(t)]
    path.write_text(HEADER + "".join(rows))
    return path


def test_import_csv_writes_a_session(capsys, tmp_path):
    src = _csv(tmp_path / "walk.csv")
    (tmp_path / "ev.csv").write_text("t_s,event,side\n0.5,HS,L\n1.0,IC,left\n")
    code, out, err = _run(capsys, "import", "csv", src, "--rate", "100", "--units", "acc=g,gyr=rad/s",
                          "--axes", "x=y,y=-x,z=z", "--placement", "foot", "--side", "R", "--subject-id", "p3",
                          "--sex", "female", "--age", "41", "--height", "1.7", "--mass", "64",
                          "--events", tmp_path / "ev.csv")
    assert code == 0, err
    assert out.strip() == (f"wrote {tmp_path / 'walk.gns'}: subject p3; 200 samples at 100 Hz (2.0 s; acc, gyr); "
                           f"resampled from 200 Hz (resample_poly); labels phase; series hr; 2 reference events")
    s = read_session(tmp_path / "walk.gns")
    assert s.meta.source == "csv" and s.meta.placement == "foot" and s.meta.side == "right"
    assert (s.meta.subject.id, s.meta.subject.sex, s.meta.subject.age) == ("p3", "female", 41.0)
    np.testing.assert_allclose(s.imu.acc[:, 2], 9.80665, rtol=1e-5)
    np.testing.assert_allclose(s.imu.gyr[:, 2], 180.0, rtol=1e-5)
    np.testing.assert_allclose(s.series["hr"].value, 130.0)
    np.testing.assert_allclose(s.heel_strikes("left"), [0.5, 1.0])


@pytest.mark.parametrize("edit, args, msg", [
    (lambda t: t.replace("\n0.010000,", "\n0.001000,", 1), [], r"walk\.csv: line 4: timestamp .* goes back"),
    (lambda t: t[:-24], [], r"walk\.csv: line 401, column \w+: value is missing .*truncated"),
    (lambda t: t.replace("acc_y", "acc_y[kg]"), [], r"line 1, column 3 \(acc_y\[kg\]\): unit 'kg' is not a known acc"),
    (lambda t: t, ["--axes", "x=y,y=y,z=z"], r"--axes 'x=y,y=y,z=z': each source axis"),
    (lambda t: t, ["--sex", "x"], r"--sex: 'x' is not one of male, female"),
    (lambda t: t, ["--rate", "1000"], r"sample rate 1000.0 Hz is outside"),
])
def test_import_csv_bad_input_is_one_line_and_exit_2(capsys, tmp_path, edit, args, msg):
    src = _csv(tmp_path / "walk.csv")
    src.write_text(edit(src.read_text()))
    code, out, err = _run(capsys, "import", "csv", src, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("gaitnode: error: ") and "Traceback" not in err
    assert re.search(msg, err), err
    assert not (tmp_path / "walk.gns").exists()


def test_existing_output_needs_overwrite(capsys, tmp_path):
    src = _csv(tmp_path / "walk.csv")
    assert _run(capsys, "import", "csv", src, "-o", tmp_path / "o.gns")[0] == 0
    code, _, err = _run(capsys, "import", "csv", src, "-o", tmp_path / "o.gns")
    assert code == 2 and "already exists; pass --force" in err
    assert _run(capsys, "import", "csv", src, "-o", tmp_path / "o.gns", "--overwrite", "--rate", "100")[0] == 0
    assert read_session(tmp_path / "o.gns").meta.rate_hz == 100.0


def test_import_fit(capsys, tmp_path):
    (tmp_path / "run.fit").write_bytes(_fit_bytes(n=30))
    code, out, err = _run(capsys, "import", "fit", tmp_path / "run.fit", "--mass", "58")
    assert code == 0, err
    assert "no IMU samples (29.0 s)" in out and "series hr, cadence, speed, grade" in out
    s = read_session(tmp_path / "run.gns")
    assert len(s.imu) == 0 and s.meta.source == "fit"
    assert (s.meta.subject.sex, s.meta.subject.mass_kg) == ("female", 58.0)
    np.testing.assert_allclose(s.series["cadence"].value, 161.0)
    data = _fit_bytes(n=30)
    (tmp_path / "cut.fit").write_bytes(data[:200])
    code, _, err = _run(capsys, "import", "fit", tmp_path / "cut.fit")
    assert code == 2 and "cut.fit" in err and err.count("\n") == 1


def test_import_uci_har(capsys, tmp_path):
    rng = np.random.default_rng(5)
    _write_split(tmp_path / "data", "train", [(1, [1, 1, 1], _recording(rng, 3)), (2, [4, 4], _recording(rng, 2))])
    code, out, err = _run(capsys, "import", "uci-har", tmp_path / "data", "-o", tmp_path / "out", "--split", "train")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "subject uci-1; 256 samples at 50 Hz" in lines[0]
    files = sorted((tmp_path / "out").glob("*.gns"))
    assert [f.name for f in files] == ["uci-1_train_w00000.gns", "uci-2_train_w00003.gns"]
    s = read_session(files[1])
    assert s.meta.placement == "lower_back" and not s.meta.has_mag and len(s.imu) == 192
    code, _, err = _run(capsys, "import", "uci-har", tmp_path / "data", "-o", tmp_path / "out", "--split", "train")
    assert code == 2 and "already exists" in err
    code, _, err = _run(capsys, "import", "uci-har", tmp_path / "data", "-o", tmp_path / "o2", "--split", "test")
    assert code == 2 and "test_test.txt" not in err and "missing" in err
