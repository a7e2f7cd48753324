"""`gaitnode replay` from the command line: a twin replay end to end, --loop and Ctrl-C, a node reset
part way, and every kind of bad input as one clear error line."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from gaitnode.host.cli import main
from gaitnode.host.replay_result import read_result
from gaitnode.host.replay_run import SessionReplay
from gaitnode.protocol import messages as m
from gaitnode.sessions.store import write_session


@pytest.fixture(scope="module")
def walk_file(walk, tmp_path_factory):
    return write_session(walk, tmp_path_factory.mktemp("sessions") / "walk.gns")


def _ctrl_c_when(condition, timeout_s: float = 60.0) -> threading.Thread:
    """Press Ctrl-C (SIGINT to this process) once `condition()` holds: as a user would, mid-replay."""
    def press():
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                signal.raise_signal(signal.SIGINT)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    return thread


def _replay_handler_installed() -> bool:
    """The replay's own Ctrl-C handler is in place (a test worker may start with another handler)."""
    from gaitnode.host.stop_signals import StopSignals

    return isinstance(getattr(signal.getsignal(signal.SIGINT), "__self__", None), StopSignals)


def test_replay_through_a_twin_scores_writes_and_reports(walk_file, twin_model_dir, twin_vo2_model_dir, tmp_path,
                                                         capsys):
    out = tmp_path / "walk.result.json"
    assert main(["replay", str(walk_file), "--twin", "--model-dir", str(twin_model_dir), "--vo2-model-dir",
                 str(twin_vo2_model_dir), "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    lines = stdout.splitlines()
    assert lines[0].startswith(f"replaying {walk_file} (synthetic IMU (simulator), 40.0 s) through a twin")
    # Not a terminal: the live readout comes as text lines (at least the final one), then the summary.
    assert any(ln.endswith("replay of walk, synthetic IMU (simulator)") for ln in lines)
    assert any(ln.startswith("heel strikes, nn: ") and ln.endswith("[synthetic data]") for ln in lines)
    assert lines[-1] == f"wrote {out}"
    r = read_result(out)
    assert r.complete and r.synthetic and len(r.passes) == 1
    assert all(d.f1 >= 0.9 for d in r.summary.detectors.values())
    assert r.summary.lost_frames == 0 and r.summary.bad_frames == 0
    assert "\n".join(r.summary.lines()) in stdout
    # both VO2 estimators of the node, scored against the session's noise-free VO2 (synthetic)
    assert set(r.summary.vo2) == {"acsm", "cnn_lstm"} and all(v.n > 0 for v in r.summary.vo2.values())
    assert any(ln.startswith("VO2 (cnn_lstm vs vo2_true)") and ln.endswith("[synthetic data]") for ln in lines)
    assert {e["estimator"] for e in r.estimates if e["kind"] == "vo2_ml_min"} == {"acsm", "cnn_lstm"}

    assert main(["report", str(out)]) == 0
    png = tmp_path / "walk.replay.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}:" in capsys.readouterr().out


def test_replay_with_phase_and_activity_models_scores_and_draws_them(walk_file, twin_phase_model_dir,
                                                                     twin_activity_model_dir, tmp_path, capsys):
    out = tmp_path / "walk.result.json"
    assert main(["replay", str(walk_file), "--twin", "--phase-model-dir", str(twin_phase_model_dir),
                 "--activity-model-dir", str(twin_activity_model_dir), "-o", str(out), "--no-live"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(ln.startswith("gait phase: ") and "accuracy" in ln and ln.endswith("[synthetic data]") for ln in lines)
    assert any(ln.startswith("activity: ") and "accuracy" in ln and ln.endswith("[synthetic data]") for ln in lines)
    r = read_result(out)
    assert [x["name"] for x in r.node["models"]] == ["phase", "activity"]
    ph, act = r.summary.phase, r.summary.activity
    assert ph.n_covered > 0.9 * ph.n_reference and 0.0 < ph.accuracy <= 1.0  # the walk's samples labelled
    assert act.n_scored > 10 and 0.0 < act.accuracy <= 1.0
    assert r.phase_runs and r.activities and {a["activity"] for a in r.activities} <= set(act.classes)
    assert main(["report", str(out), "-o", str(tmp_path / "r.png")]) == 0
    assert "phase, activity, summary" in capsys.readouterr().out


def test_no_live_readout_prints_only_the_summary(walk_file, twin_model_dir, tmp_path, capsys):
    out = tmp_path / "r.result.json"
    assert main(["replay", str(walk_file), "--twin", "--model-dir", str(twin_model_dir), "-o", str(out),
                 "--no-live", "--start", "10", "--end", "20", "--batch", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any("synthetic IMU (simulator)" in ln for ln in lines[1:])
    assert lines[1].startswith("replay of walk (synthetic data, from the simulator): ")
    assert " samples = 10.0 s in " in lines[1]
    r = read_result(out)
    assert r.span_s[0] == pytest.approx(10.0, abs=0.02) and r.span_s[1] == pytest.approx(20.0, abs=0.02)


def test_loop_replays_until_ctrl_c_and_keeps_every_pass(walk_file, twin_model_dir, tmp_path, capsys):
    out = tmp_path / "loop.result.json"

    def two_passes_written() -> bool:
        try:
            return len(read_result(out).passes) >= 2
        except Exception:  # noqa: BLE001 - not written yet
            return False

    presser = _ctrl_c_when(two_passes_written)
    rc = main(["replay", str(walk_file), "--twin", "--model-dir", str(twin_model_dir), "-o", str(out), "--loop",
               "--no-live", "--start", "12", "--end", "20", "--speed", "20"])
    presser.join()
    assert rc == 0
    stdout = capsys.readouterr().out
    passes = [ln for ln in stdout.splitlines() if ln.startswith("pass ")]
    assert len(passes) >= 2 and passes[0].startswith("pass 1: nn F1")
    r = read_result(out)
    assert len(r.passes) == len(passes)
    assert r.complete  # the detail is the last complete pass, even when Ctrl-C cut the last one short
    assert f"{len(passes)} passes; the last complete one in detail:" in stdout


def test_ctrl_c_stops_the_replay_and_keeps_the_partial_result(walk_file, twin_model_dir, tmp_path, capsys):
    out = tmp_path / "stopped.result.json"
    presser = _ctrl_c_when(_replay_handler_installed)
    rc = main(["replay", str(walk_file), "--twin", "--model-dir", str(twin_model_dir), "-o", str(out),
               "--no-live", "--speed", "2", "--end", "30"])
    presser.join()
    assert rc == 130
    captured = capsys.readouterr()
    assert f"partial result (marked incomplete) is in {out}" in captured.err
    r = read_result(out)
    assert not r.complete and "stopped early" in r.note
    assert r.summary.samples < 3000
    assert captured.out.splitlines()[1].startswith("INCOMPLETE replay: stopped early after")


def test_a_node_reset_part_way_is_an_error_with_the_partial_result(walk, walk_file, twin_model_dir, tmp_path,
                                                                   capsys, monkeypatch):
    run = SessionReplay.run

    def run_and_reset_the_node(self, node, session, session_path=None):
        feed = self.on_output

        def on_output(r):
            feed(r)
            if isinstance(r.msg, m.HeelStrike) and node.twin.resets == 0:
                node.reset()  # as if the board browned out after its first heel strike

        self.on_output = on_output
        return run(self, node, session, session_path)

    monkeypatch.setattr(SessionReplay, "run", run_and_reset_the_node)
    out = tmp_path / "reset.result.json"
    assert main(["replay", str(walk_file), "--twin", "--model-dir", str(twin_model_dir), "-o", str(out),
                 "--no-live"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gaitnode: error: replay: the node reset during the replay (it announced itself again "
                          "after ")
    assert err.endswith(f"of {len(walk.imu)} samples were sent); its outputs after the reset are lost; the partial result "
                        f"(marked incomplete) is in {out}")
    assert len(err.splitlines()) == 1
    r = read_result(out)
    assert not r.complete and "failed after" in r.note and r.heel_strikes


@pytest.mark.parametrize("args, message", [
    ([], "no node given: pass --port PORT"),
    (["--twin", "--port", "/dev/ttyX"], "give either a serial port (--port) or --twin, not both"),
    (["--twin", "--speed", "0"], "--speed must be a positive multiple of real time, got 0"),
    (["--twin", "--batch", "27"], "--batch must be 1..26 samples"),
    (["--port", "/dev/ttyX", "--model-dir", "m"], "--model-dir, --vo2-model-dir, --phase-model-dir, "
                                                  "--activity-model-dir and a live session apply to --twin only"),
    (["--port", "/dev/ttyX", "--vo2-model-dir", "m"], "and a live session apply to --twin only"),
    (["--port", "/dev/ttyX", "--phase-model-dir", "m"], "and a live session apply to --twin only"),
    (["--port", "/dev/ttyX", "--activity-model-dir", "m"], "and a live session apply to --twin only"),
    (["--twin", "--phase-model-dir", "/nonexistent/phase"], "/nonexistent/phase"),
    (["--twin", "--start", "50"], "time slice 50..inf s holds no samples"),
    (["--twin", "-o", "/nonexistent/dir/r.json"], "cannot write /nonexistent/dir/r.json: folder"),
])
def test_bad_options_are_one_clear_line(walk_file, tmp_path, capsys, args, message):
    assert main(["replay", str(walk_file), "-o", str(tmp_path / "r.json"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_bad_session_files_and_existing_results(walk_file, tmp_path, capsys):
    bad = tmp_path / "bad.gns"
    bad.write_bytes(b"not a session file at all")
    assert main(["replay", str(bad), "--twin"]) == 2
    assert "not a gaitnode session file" in capsys.readouterr().err
    assert not (tmp_path / "bad.result.json").exists()
    assert main(["replay", str(tmp_path / "missing.gns"), "--twin"]) == 2
    assert "missing.gns" in capsys.readouterr().err
    (tmp_path / "r.json").write_text("keep me")
    assert main(["replay", str(walk_file), "--twin", "-o", str(tmp_path / "r.json")]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert (tmp_path / "r.json").read_text() == "keep me"


def test_sessions_the_node_cannot_take(walk, tmp_path, capsys):
    import dataclasses

    from gaitnode.sessions.model import SessionMeta

    fast = dataclasses.replace(walk, meta=SessionMeta.from_dict({**walk.meta.to_dict(), "rate_hz": 200.0}))
    wrist = dataclasses.replace(walk, meta=SessionMeta.from_dict({**walk.meta.to_dict(), "placement": "wrist"}))
    for s, name, message in ((fast, "fast", "the session is sampled at 200 Hz but the node (twin) runs at 100 Hz"),
                             (wrist, "wrist", "placement is 'wrist'; a node detects heel strikes on the shank")):
        path = write_session(s, tmp_path / f"{name}.gns")
        assert main(["replay", str(path), "--twin", "--no-live"]) == 2
        assert message in capsys.readouterr().err
        assert not path.with_suffix(".result.json").exists()
