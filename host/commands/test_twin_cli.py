"""`gaitnode twin` from the command line: prints its port, serves it, refuses bad options."""

from __future__ import annotations

import re
import subprocess
import sys

from gaitnode.host.cli import main
from gaitnode.protocol.link import Link


def test_twin_prints_its_port_and_answers_on_it():
    proc = subprocess.Popen([sys.executable, "-m", "gaitnode", "twin", "--seconds", "20"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"serial port (\S+)", line)
        assert found, line + proc.stderr.read() if proc.poll() is not None else line
        with Link(found.group(1)) as link:
            info = link.hello(timeout=5.0)
        assert info.board == "twin" and info.models == ()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_twin_refuses_two_imu_sources(tmp_path, capsys):
    assert main(["twin", "--live-sim", "--live-session", str(tmp_path / "x.gns")]) == 2
    assert "exclude each other" in capsys.readouterr().err


def test_twin_refuses_an_unknown_board(capsys):
    assert main(["twin", "--board", "no_such_board"]) == 2
    assert "no_such_board" in capsys.readouterr().err


def test_twin_refuses_a_model_dir_that_is_not_quantized(tmp_path, capsys):
    assert main(["twin", "--model-dir", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err


def test_twin_serves_a_vo2_model():
    from gaitnode.twin.testing import small_vo2_model

    proc = subprocess.Popen([sys.executable, "-m", "gaitnode", "twin", "--vo2-model-dir", str(small_vo2_model()),
                             "--seconds", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"serial port (\S+)", line)
        assert found, line + proc.stderr.read() if proc.poll() is not None else line
        assert "VO2 model" in line
        with Link(found.group(1)) as link:
            info = link.hello(timeout=5.0)
        assert [x.name for x in info.models] == ["vo2"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_twin_refuses_a_vo2_model_dir_that_is_not_one(twin_model_dir, capsys):
    assert main(["twin", "--vo2-model-dir", str(twin_model_dir)]) == 2
    err = capsys.readouterr().err
    assert "gaitnode: error:" in err and "is not a VO2 model" in err


def test_twin_refuses_a_heel_strike_model_as_a_phase_or_activity_model(twin_model_dir, capsys):
    for option, task in (("--phase-model-dir", "phase"), ("--activity-model-dir", "activity")):
        assert main(["twin", option, str(twin_model_dir)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gaitnode: error:") and f"is not a {task} model" in err and err.count("\n") == 1


def test_twin_serves_phase_and_activity_models(twin_phase_model_dir, twin_activity_model_dir):
    proc = subprocess.Popen([sys.executable, "-m", "gaitnode", "twin", "--phase-model-dir", str(twin_phase_model_dir),
                             "--activity-model-dir", str(twin_activity_model_dir), "--seconds", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"serial port (\S+)", line)
        assert found, line + proc.stderr.read() if proc.poll() is not None else line
        assert "gait-phase model" in line and "activity model" in line
        with Link(found.group(1)) as link:
            info = link.hello(timeout=5.0)
        assert [x.name for x in info.models] == ["phase", "activity"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
