"""`gaitnode inspect` and `gaitnode export` through the real CLI entry point."""

import re

import numpy as np
import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.export import import_parquet
from gaitnode.sessions.store import SessionWriter, read_session, scan, write_session
from gaitnode.sessions.test_store import assert_same_session, full_session


@pytest.fixture
def session_file(tmp_path):
    return write_session(full_session(1000), tmp_path / "walk.gns")


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_prints_the_summary(capsys, session_file):
    code, out, err = _run(capsys, "inspect", session_file)
    assert code == 0, err
    assert "synthetic" in out and "yes (simulated data)" in out
    assert "s01 (female, 31 y, 1.68 m, 60.5 kg)" in out
    assert "100 Hz nominal" in out and "samples" in out and "1000" in out
    assert "acc (m/s^2), gyr (deg/s), mag (uT, 17% missing), host time, phase labels, activity labels" in out
    assert "vo2" in out and "ml/min" in out and "lactate" in out
    s = full_session(1000)
    for k, kind in enumerate(("HS", "FF", "HO", "TO")):
        left, right = (int(np.sum((s.events.kind == k) & (s.events.side == j))) for j in (0, 1))
        assert re.search(rf"│ {kind}\s+│\s+{left} │\s+{right} │", out), kind
    assert "complete" in out and "damage" not in out


def test_inspect_chunks_lists_offsets(capsys, session_file):
    code, out, _ = _run(capsys, "inspect", session_file, "--chunks")
    assert code == 0
    for c in scan(session_file):
        assert f" {c.offset} " in out
    assert "META" in out and "END" in out and "imu" in out and "series/vo2" in out


def test_damaged_file_exit_code_and_recover(capsys, tmp_path):
    s = full_session(600)
    path = tmp_path / "rec.gns"
    with SessionWriter(path, s.meta, flush_interval_s=0.0, fsync=False, rows_per_chunk=100) as w:
        w.append_imu(s.imu, s.phase, s.activity)
    target = list(scan(path))[3]
    data = bytearray(path.read_bytes())
    data[target.offset + 20] ^= 0xFF
    path.write_bytes(bytes(data))

    code, out, err = _run(capsys, "inspect", path)
    assert code == 2 and out == ""
    assert err == (f"gaitnode: error: {path}: chunk 3 at byte {target.offset} is damaged (CRC mismatch); "
                   f"3 chunks before it are intact — rerun with --recover (recover=True) to load them\n")
    code, out, err = _run(capsys, "inspect", path, "--recover", "--chunks")
    assert code == 0, err
    assert f"damage: chunk 3 at byte {target.offset} is damaged (CRC mismatch)" in out
    assert "DAMAGED: CRC mismatch" in out and "no: the writer stopped" in out

    code, out, err = _run(capsys, "export", path, "-o", tmp_path / "x")
    assert code == 2 and "rerun with --recover" in err and not (tmp_path / "x").exists()
    code, out, err = _run(capsys, "export", path, "-o", tmp_path / "x", "--recover")
    assert code == 0 and "wrote synthetic session" in out and "(200 samples)" in out
    assert "note:" in err and "chunk 3" in err
    assert len(import_parquet(tmp_path / "x").imu) == 200


def test_export_round_trip_and_overwrite_protection(capsys, session_file, tmp_path):
    out_dir = tmp_path / "pq"
    code, out, err = _run(capsys, "export", session_file, "-o", out_dir)
    assert code == 0, err
    assert "samples.parquet (1000 samples), events.parquet (40 events)" in out
    assert_same_session(read_session(session_file), import_parquet(out_dir))
    code, _, err = _run(capsys, "export", session_file, "-o", out_dir)
    assert code == 2 and "samples.parquet: already exists" in err
    code, _, err = _run(capsys, "export", session_file, "-o", out_dir, "--force")
    assert code == 0, err


@pytest.mark.parametrize("content, fragment", [
    (b"", "file is empty"),
    (b"t_us,acc_x,acc_y\n", "not a gaitnode session file"),
])
def test_bad_files_exit_non_zero_with_one_line(capsys, tmp_path, content, fragment):
    path = tmp_path / "bad.gns"
    path.write_bytes(content)
    code, out, err = _run(capsys, "inspect", path)
    assert code == 2 and fragment in err and err.count("\n") == 1 and "Traceback" not in err
    code, _, err = _run(capsys, "inspect", tmp_path / "missing.gns")
    assert code == 2 and "no such session file" in err
