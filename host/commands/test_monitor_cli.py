"""`gaitnode monitor`: bad input gives one error line; a twin's live walk shows samples and heel
strikes; a node that reboots, is unplugged and plugged in again is followed (lost ->
reconnecting -> connected) and ends in idle mode."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from gaitnode.host.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEADLINE_S = 60.0  # generous upper bound for each stage, so a broken monitor fails instead of hanging


@pytest.fixture(scope="module")
def walking():
    """A held-out synthetic walk (subject 5) from its first steps on: the simulator starts every walk
    with 10 s of standing, which a 3-second monitor run would see nothing of."""
    from gaitnode.sessions.slicing import time_slice
    from gaitnode.twin.testing import simulated_walk

    return time_slice(simulated_walk(5, 40.0), 12.0)


def samples_in(line: str) -> int:
    found = re.search(r"\| samples (\d+) ", line)
    return int(found.group(1)) if found else -1


def test_a_missing_port_is_one_error_line(tmp_path, capsys):
    assert main(["monitor", "--port", str(tmp_path / "ttyNOPE"), "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error: serial port") and "does not exist" in err and err.count("\n") == 1


def test_a_port_without_a_node_is_one_error_line(capsys):
    master, slave = os.openpty()  # a line that never answers HELLO
    try:
        assert main(["monitor", "--port", os.ttyname(slave), "--seconds", "1"]) == 2
    finally:
        os.close(master)
        os.close(slave)
    err = capsys.readouterr().err
    assert "no gaitnode node answered" in err and err.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--twin"], "needs an IMU source"),
    (["--port", "/dev/null", "--twin"], "not both"),
    (["--port", "/dev/null", "--live-sim"], "apply to --twin only"),
    (["--port", "/dev/null", "--phase-model-dir", "m"], "--phase-model-dir, --activity-model-dir, --live-sim"),
    (["--port", "/dev/null", "--activity-model-dir", "m"], "apply to --twin only"),
    (["--twin", "--live-sim", "--seconds", "0"], "--seconds must be > 0"),
    (["--twin", "--live-sim", "--refresh", "100"], "--refresh"),
    ([], "no node given"),
])
def test_bad_options_are_refused(args, message, capsys):
    assert main(["monitor", *args]) == 2
    assert message in capsys.readouterr().err


def test_twin_live_sim_streams_samples(capsys):
    rc = main(["monitor", "--twin", "--live-sim", "--seconds", "2", "--plain"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert samples_in(out[-2]) > 0  # the last status line, then the summary
    assert all("synthetic" in line for line in out)
    found = re.match(r"monitor: [\d.]+ s, (\d+) samples received \(0 gaps", out[-1])
    assert found and int(found.group(1)) == samples_in(out[-2]), out[-1]


def test_twin_with_phase_and_activity_models_shows_them_and_their_telemetry(twin_phase_model_dir,
                                                                            twin_activity_model_dir, walking,
                                                                            tmp_path, capsys):
    from gaitnode.sessions.store import write_session

    path = write_session(walking, tmp_path / "walk.gns")
    rc = main(["monitor", "--twin", "--live-session", str(path), "--phase-model-dir", str(twin_phase_model_dir),
               "--activity-model-dir", str(twin_activity_model_dir), "--seconds", "4", "--plain"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    last = out[-2]  # the last status line, then the summary
    assert re.search(r"\| phase: (HS|ST|HO|SW) \(\d+ %\); last 5 s: HS \d+ % ST \d+ % HO \d+ % SW \d+ %", last), last
    assert re.search(r"\| activity: \w+ \(\d+ %\) at [\d.]+ s; ", last), last
    assert re.search(r"phase infer \d+/\d+/\d+ us .*; activity infer \d+/\d+/\d+ us", last), last


def test_twin_live_session_shows_heel_strikes_and_sigterm_ends_it_cleanly(twin_model_dir, walking, tmp_path,
                                                                         capsys):
    from gaitnode.sessions.store import write_session

    path = write_session(walking, tmp_path / "walk.gns")
    before = signal.getsignal(signal.SIGTERM)

    done = threading.Event()

    def terminate():  # as a service manager stops it: 4 s after the monitor put its handler in place
        while signal.getsignal(signal.SIGTERM) is before and not done.wait(0.05):
            pass
        if not done.wait(4.0) and signal.getsignal(signal.SIGTERM) is not before:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate, daemon=True).start()
    try:
        rc = main(["monitor", "--twin", "--live-session", str(path), "--model-dir", str(twin_model_dir),
                   "--seconds", "30", "--plain"])
    finally:
        done.set()
    out = capsys.readouterr().out.splitlines()
    assert rc == 0 and signal.getsignal(signal.SIGTERM) is before
    found = re.match(r"monitor: ([\d.]+) s, .* heel strikes nn (\d+), classical (\d+)", out[-1])
    assert found and float(found.group(1)) < 30 and int(found.group(2)) > 0 and int(found.group(3)) > 0, out[-1]
    assert any(re.search(r"heel strikes in 10 s: nn [1-9]", line) for line in out)
    assert any("cadence" in line and "steps/min" in line for line in out)


def _default_sigint() -> None:
    """In the child: Ctrl-C as in a terminal, even when this test runs where SIGINT is ignored (a
    background job), since Python turns SIGINT into KeyboardInterrupt only if it is not ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class _Lines:
    """The monitor's stdout, line by line, as it comes."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.seen, self._q = proc, [], queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_for(self, predicate, what: str) -> str:
        end = time.monotonic() + DEADLINE_S
        while time.monotonic() < end:
            try:
                line = self._q.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"the monitor never showed {what}; its output:\n" + "\n".join(self.seen)
                             + (self.proc.stderr.read() if self.proc.poll() is not None else ""))


def test_monitor_follows_a_reboot_and_an_unplug_and_replug(walking, tmp_path):
    from gaitnode.protocol.link import Link
    from gaitnode.twin.twin import TwinNode

    link = tmp_path / "node"  # like /dev/serial/by-id/...: udev removes it on unplug
    first = TwinNode(live_session=walking).start()
    second = None
    os.symlink(first.port, link)
    proc = subprocess.Popen([sys.executable, "-m", "gaitnode", "monitor", "--port", str(link), "--seconds", "120",
                             "--plain"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    try:
        out = _Lines(proc)
        before = samples_in(out.wait_for(lambda s: s.startswith("[connected") and samples_in(s) > 0, "samples"))

        first.reset()  # the node reboots (reset button): INFO, idle; the monitor switches it to live again
        line = out.wait_for(lambda s: "(node restarted 1x)" in s and samples_in(s) > before + 20,
                            "samples after the reboot")
        assert " live " in line and "lost frames 0" in line
        at_unplug = samples_in(line)

        os.unlink(link)  # unplug: the device node and its by-id link vanish
        first.stop()
        out.wait_for(lambda s: s.startswith("[lost: "), "the lost connection")
        out.wait_for(lambda s: s.startswith("[reconnecting: attempt") and "does not exist" in s, "reconnect attempts")

        second = TwinNode(live_session=walking).start()  # replug: a new device node; the link points there
        os.symlink(second.port, tmp_path / "node.new")
        os.replace(tmp_path / "node.new", link)
        out.wait_for(lambda s: s.startswith("[connected: after") and "(reconnected 1x)" in s, "the reconnection")
        out.wait_for(lambda s: s.startswith("[connected") and samples_in(s) > at_unplug + 20,
                     "samples after the reconnection")

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        summary = out.wait_for(lambda s: s.startswith("monitor: "), "the summary line")
        assert proc.wait(timeout=DEADLINE_S) == 0
        assert "reconnects 1, node restarts 1" in summary and "0 gaps" in summary
        with Link(second.port) as check:  # the monitor left the node idle
            assert check.hello(timeout=5.0).mode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        first.stop()
        if second is not None:
            second.stop()
