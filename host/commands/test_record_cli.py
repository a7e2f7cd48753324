"""`gaitnode record` from the command line: a twin recorded to a file, and every kind of bad input
(ports, devices, protocol versions, options, files) refused with one clear message, exit code 2 and
no recorded data lost."""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import tty

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.host.cli import main
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame, encode_frame
from gaitnode.protocol.link import Link
from gaitnode.sessions.store import read_session, write_session
from gaitnode.twin.twin import TwinNode


@pytest.fixture
def fast_hello(monkeypatch):
    """Wrong-device tests wait for a HELLO answer that never comes: wait 0.5 s instead of 2 s."""
    monkeypatch.setattr("gaitnode.host.node.HELLO_TIMEOUT_S", 0.5)


@pytest.fixture
def fake_device():
    """A pty whose far end answers whatever the host writes with reply(data) bytes: a device that
    is not a gaitnode node, or one speaking another protocol version."""
    opened = []

    def make(reply):
        master, slave = os.openpty()
        tty.setraw(slave)
        stop = threading.Event()

        def serve():
            while not stop.is_set():
                if select.select([master], [], [], 0.02)[0]:
                    out = reply(os.read(master, 4096))
                    if out:
                        os.write(master, out)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        opened.append((stop, thread, master, slave))
        return os.ttyname(slave)

    yield make
    for stop, thread, master, slave in opened:
        stop.set()
        thread.join()
        os.close(master)
        os.close(slave)


@pytest.fixture(scope="module")
def walk_file(tmp_path_factory, walk):
    path = tmp_path_factory.mktemp("record") / "walk.gns"
    write_session(walk, path)
    return path


def error_of(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error: ") and "Traceback" not in err, err
    return err


def test_record_a_twin_to_a_session(tmp_path, capsys, walk_file):
    out = tmp_path / "rec.gns"
    rc = main(["record", "--twin", "--live-session", str(walk_file), "-o", str(out), "--seconds", "1.2",
               "--subject", "s05", "--sex", "female", "--age", "31", "--mass-kg", "61.5", "--side", "right"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "ended by --seconds 1.2" in text and "synthetic IMU data" in text
    s = read_session(out)
    assert "complete" not in s.meta.extra  # END chunk written
    n = len(s.imu)
    assert n >= 100 and f"{n} samples" in text
    np.testing.assert_array_equal(s.imu.t_us, np.arange(n) * 10000)
    sub = s.meta.subject
    assert (sub.id, sub.sex, sub.age, sub.mass_kg, sub.height_m) == ("s05", "female", 31.0, 61.5, None)
    assert (s.meta.side, s.meta.placement, s.meta.source, s.meta.synthetic) == ("right", "shank", "record", True)
    assert str(walk_file) in s.meta.extra["imu_source"]
    assert s.meta.extra["node_telemetry"]["dropped_samples"] == 0


def test_record_a_twin_with_phase_and_activity_models(tmp_path, capsys, walk_file, twin_phase_model_dir,
                                                     twin_activity_model_dir):
    out = tmp_path / "rec.gns"
    rc = main(["record", "--twin", "--live-session", str(walk_file), "-o", str(out), "--seconds", "4",
               "--phase-model-dir", str(twin_phase_model_dir), "--activity-model-dir", str(twin_activity_model_dir)])
    text = capsys.readouterr().out
    assert rc == 0, text
    s = read_session(out)
    ph = s.series["device_phase"]
    assert len(ph) >= 200 and set(np.unique(ph.value)) <= {0, 1, 2, 3}
    assert np.all(np.diff(ph.t_s) > 0) and len(s.series["device_phase_confidence"]) == len(ph)
    assert len(s.series["device_activity"]) >= 1 and "device_activity_p_walking" in s.series
    rec = s.meta.extra["recording"]
    assert rec["phase_samples"] == len(ph) and rec["activity_frames"] == len(s.series["device_activity"])
    assert f"device gait phase: {len(ph)} samples labelled" in text


class WhenRecording:
    """Runs `action` from a thread once `out` holds n samples (the recorder is then in its loop, with
    its signal handlers in place); never after the block ends. Recordings in these tests also get
    --seconds LIMIT_S, so a missed action fails the test instead of hanging it."""

    LIMIT_S = "30"

    def __init__(self, out, n: int, action):
        self.out, self.n, self.action = out, n, action
        self.done = threading.Event()
        self.fired = False

    def _run(self):
        while not self.done.is_set():
            try:
                if len(read_session(self.out, recover=True).imu) >= self.n:
                    self.fired = True
                    self.action()
                    return
            except GaitnodeError:  # not created yet, or no metadata chunk yet
                pass
            time.sleep(0.05)

    def __enter__(self):
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.done.set()


def test_an_unplugged_node_leaves_an_intact_file_and_exit_2(tmp_path, capsys, walk):
    out = tmp_path / "unplugged.gns"
    with TwinNode(live_session=walk) as twin:
        # the twin's pty goes away while the recorder reads, as a board's USB port does when unplugged
        with WhenRecording(out, 100, twin.stop) as when:
            rc = main(["record", "--port", twin.port, "-o", str(out), "--seconds", when.LIMIT_S])
    err = error_of(capsys)
    assert when.fired and rc == 2 and "the port went away" in err and "intact" in err
    s = read_session(out)  # strict: every chunk intact, only the END chunk is missing
    assert s.meta.extra["complete"] is False and len(s.imu) >= 100
    assert f"{len(s.imu)} samples" in err
    assert s.meta.extra["ended_by"].startswith("the port went away")


def test_sigterm_ends_the_recording_cleanly(tmp_path, capsys, walk):
    out = tmp_path / "terminated.gns"
    with TwinNode(live_session=walk) as twin:
        with WhenRecording(out, 30, lambda: os.kill(os.getpid(), signal.SIGTERM)) as when:
            rc = main(["record", "--port", twin.port, "-o", str(out), "--seconds", when.LIMIT_S])
        produced = twin.live.pushed
    assert when.fired and rc == 0 and "ended by SIGTERM" in capsys.readouterr().out
    s = read_session(out)
    assert "complete" not in s.meta.extra and len(s.imu) == produced >= 30


def test_a_node_that_restarts_mid_recording_is_reported(tmp_path, capsys, walk):
    out = tmp_path / "restarted.gns"
    with TwinNode(live_session=walk) as twin:
        with WhenRecording(out, 50, twin.reset) as when:
            rc = main(["record", "--port", twin.port, "-o", str(out), "--seconds", when.LIMIT_S])
    err = error_of(capsys)
    assert when.fired and rc == 2 and "the node restarted" in err
    s = read_session(out)
    assert s.meta.extra["complete"] is False and len(s.imu) >= 50


def test_a_missing_port(tmp_path, capsys):
    rc = main(["record", "--port", str(tmp_path / "ttyACM9"), "-o", str(tmp_path / "r.gns")])
    assert rc == 2 and "does not exist" in error_of(capsys)
    assert not (tmp_path / "r.gns").exists()


def test_a_busy_port(tmp_path, capsys):
    with TwinNode() as twin, Link(twin.port):
        rc = main(["record", "--port", twin.port, "-o", str(tmp_path / "r.gns")])
    assert rc == 2 and "busy" in error_of(capsys)
    assert not (tmp_path / "r.gns").exists()


def test_a_device_that_is_not_a_gaitnode_node(tmp_path, capsys, fake_device, fast_hello):
    port = fake_device(lambda data: b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M*47\r\n")
    rc = main(["record", "--port", port, "-o", str(tmp_path / "r.gns")])
    err = error_of(capsys)
    assert rc == 2 and "no gaitnode node answered" in err and "bytes that are not gaitnode frames" in err
    assert not (tmp_path / "r.gns").exists()


def test_a_silent_device(tmp_path, capsys, fake_device, fast_hello):
    port = fake_device(lambda data: b"")
    rc = main(["record", "--port", port, "-o", str(tmp_path / "r.gns")])
    assert rc == 2 and "received nothing" in error_of(capsys)


def test_a_node_speaking_another_protocol_version(tmp_path, capsys, fake_device, fast_hello):
    info = m.Info(protocol=2, firmware="fw", board="b", sample_rate_hz=100, acc_range_g=16, gyr_range_dps=2000,
                  mag_range_ut=4900, ring_capacity=256, max_batch=26, mode=0, placement=0, side=0)
    mtype, payload = m.pack(info)
    frame = encode_frame(Frame(type=mtype, seq=0, t_us=0, payload=payload, version=2))
    port = fake_device(lambda data: frame)
    rc = main(["record", "--port", port, "-o", str(tmp_path / "r.gns")])
    err = error_of(capsys)
    assert rc == 2 and "protocol version 2" in err and "version 1" in err


def test_an_existing_file_is_never_replaced_without_force(tmp_path, capsys):
    out = tmp_path / "r.gns"
    out.write_bytes(b"an earlier recording")
    rc = main(["record", "--port", str(tmp_path / "ttyACM9"), "-o", str(out)])
    assert rc == 2 and "already exists" in error_of(capsys)
    assert out.read_bytes() == b"an earlier recording"


def test_an_unreadable_live_session(tmp_path, capsys):
    bad = tmp_path / "bad.gns"
    bad.write_bytes(b"not a session at all")
    rc = main(["record", "--twin", "--live-session", str(bad), "-o", str(tmp_path / "r.gns")])
    assert rc == 2 and str(bad) in error_of(capsys)
    assert not (tmp_path / "r.gns").exists()


@pytest.mark.parametrize("args, message", [
    (["--twin"], "needs an IMU source"),
    (["--port", "/dev/null", "--live-sim"], "apply to --twin only"),
    (["--port", "/dev/null", "--phase-model-dir", "m"], "--phase-model-dir, --activity-model-dir and a live session"),
    (["--port", "/dev/null", "--activity-model-dir", "m"], "apply to --twin only"),
    (["--twin", "--live-sim", "--port", "/dev/null"], "not both"),
    (["--port", "/dev/null", "--side", "up"], "--side"),
    (["--port", "/dev/null", "--placement", "wrist"], "--placement"),
    (["--port", "/dev/null", "--mass-kg", "-3"], "--mass-kg"),
    (["--port", "/dev/null", "--seconds", "0"], "--seconds"),
    ([], "no node given"),
])
def test_bad_options(tmp_path, capsys, args, message):
    rc = main(["record", "-o", str(tmp_path / "r.gns"), *args])
    assert rc == 2 and message in error_of(capsys)
    assert not (tmp_path / "r.gns").exists()


def test_an_output_folder_that_does_not_exist(tmp_path, capsys):
    rc = main(["record", "--port", "/dev/null", "-o", str(tmp_path / "no" / "r.gns")])
    assert rc == 2 and "no such folder" in error_of(capsys)
