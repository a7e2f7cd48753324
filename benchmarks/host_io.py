"""Host I/O benchmark: CPU use of `gaitnode record` and `gaitnode monitor` while a node streams 200 Hz
9-axis live data, whether they keep up, and the recorder's loss bound under SIGKILL.

    python benchmarks/host_io.py --out build/bench            (about 70 s)

The node is the twin built for the `twin200` board (the firmware core at 200 Hz, classical detector
only: the test models are 100 Hz models), in live mode, playing a synthetic walk. Data is synthetic.

1. `gaitnode twin --board twin200 --live-sim` runs in its own process for the whole benchmark.
2. `gaitnode record --port P --seconds T` and then `gaitnode monitor --port P --seconds T --plain` run
   as subprocesses on its pty. Their CPU time (user + system) is sampled from /proc/<pid>/stat; the
   steady-state CPU % of one core is the slope from a second after the client's first output line
   (it streams by then) to the last second before exit; the whole-run figure (wait4) includes the
   start-up (Python imports, HELLO).
   Keeping up: zero sample gaps, no samples dropped by the node, receive rate = node rate, and for
   the recorder no growing lag (host receive time minus sample time, last 2 s vs first 2 s).
3. Loss bound: a twin200 in this process plays a 200 Hz walk; a recorder subprocess is killed with
   SIGKILL 1.37 s (node samples) after its file was first seen holding data; lost = samples the
   node had produced minus samples in the file (must be <= 1 s of samples + one live batch).

Writes <out>/host_io.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError

BOARD = "twin200"
STEADY_AFTER_S = 1.0  # after the client's first output line: it streams by then
SAMPLE_PERIOD_S = 0.25
TICKS = os.sysconf("SC_CLK_TCK")
GAITNODE = [sys.executable, "-m", "gaitnode"]


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14, 15 of stat(5)


def run_measured(cmd: list[str], log: Path, watch_pid: int | None = None) -> dict:
    """Run cmd to completion, sampling its CPU time (and watch_pid's, the node) every SAMPLE_PERIOD_S.

    The steady window starts STEADY_AFTER_S after the client's first output line (both clients print
    once they stream: imports, HELLO and MODE LIVE are behind them) and ends a second before it exits."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    samples = []  # (t since launch, client cpu s, node cpu s)
    first_output = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        cpu = proc_cpu_s(proc.pid)
        now = time.monotonic() - t0
        if cpu is not None:
            samples.append((now, cpu, proc_cpu_s(watch_pid) if watch_pid else None))
        if first_output is None and log.stat().st_size > 0:
            first_output = now
        time.sleep(SAMPLE_PERIOD_S)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keeps Popen from waiting again
    begin = (first_output if first_output is not None else wall) + STEADY_AFTER_S
    steady = [s for s in samples if begin <= s[0] <= wall - 1.0]
    if proc.returncode != 0 or len(steady) < 2:
        raise GaitnodeError(f"{cmd[3]}: exit code {proc.returncode} after {wall:.1f} s "
                            f"(too short to measure?): {log.read_text()[-500:]}")
    (a, b) = steady[0], steady[-1]
    res = {"wall_s": wall, "cpu_s_total": usage.ru_utime + usage.ru_stime,
           "cpu_pct_total": 100.0 * (usage.ru_utime + usage.ru_stime) / wall,
           "streaming_after_s": first_output, "steady_window_s": b[0] - a[0],
           "cpu_pct_steady": 100.0 * (b[1] - a[1]) / (b[0] - a[0]), "max_rss_mb": usage.ru_maxrss / 1024}
    if watch_pid and a[2] is not None and b[2] is not None:
        res["node_cpu_pct_steady"] = 100.0 * (b[2] - a[2]) / (b[0] - a[0])
    return res


def start_twin(seconds: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([*GAITNODE, "twin", "--board", BOARD, "--live-sim", "--seconds", f"{seconds:g}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    found = re.search(r"serial port (\S+)", line)
    if not found:
        proc.kill()
        raise GaitnodeError(f"gaitnode twin --board {BOARD} did not start: {line}{proc.stdout.read()}")
    return proc, found.group(1)


def recorder_run(port: str, seconds: float, tmp: Path, twin_pid: int) -> dict:
    from gaitnode.sessions.store import read_session

    out = tmp / "rec.gns"
    res = run_measured([*GAITNODE, "record", "--port", port, "-o", str(out), "--seconds", f"{seconds:g}"],
                       tmp / "record.log", twin_pid)
    s = read_session(out)
    rec = s.meta.extra["recording"]
    tele = s.meta.extra.get("node_telemetry", {})
    lag = s.imu.host_s - s.imu.t_us / 1e6  # constant while the host keeps up; grows when it falls behind
    t = s.imu.t_s
    early, late = lag[t <= t[0] + 2.0], lag[t >= t[-1] - 2.0]
    res.update({"rate_hz": s.meta.rate_hz, "samples": len(s.imu), "gaps": rec["gaps"],
                "missing_samples": rec["missing_samples"], "data_s": rec["seconds"],
                "node_dropped_samples": tele.get("dropped_samples"),
                "node_tx_dropped_frames": tele.get("tx_dropped_frames"),
                "lag_growth_ms": float(np.median(late) - np.median(early)) * 1e3,
                "file_bytes": out.stat().st_size, "complete": "complete" not in s.meta.extra})
    res["keeps_up"] = bool(res["gaps"] == 0 and res["node_dropped_samples"] == 0 and res["lag_growth_ms"] < 100.0)
    return res


def monitor_run(port: str, seconds: float, tmp: Path, twin_pid: int) -> dict:
    log = tmp / "monitor.log"
    res = run_measured([*GAITNODE, "monitor", "--port", port, "--seconds", f"{seconds:g}", "--plain"], log, twin_pid)
    text = log.read_text()
    found = re.search(r"monitor: ([\d.]+) s, (\d+) samples received \((\d+) gaps, (\d+) missing\)", text)
    if not found:
        raise GaitnodeError(f"monitor: no summary line in its output: {text[-500:]}")
    run_s, n, gaps, missing = float(found.group(1)), int(found.group(2)), int(found.group(3)), int(found.group(4))
    res.update({"samples": n, "gaps": gaps, "missing_samples": missing, "run_s": run_s,
                "samples_per_s": n / run_s})
    # the summary's time includes opening live mode: the rate is a lower bound of what arrived per second
    res["keeps_up"] = bool(gaps == 0 and missing == 0 and n / run_s > 0.9 * 200)
    return res


def kill_bound(tmp: Path) -> dict:
    """SIGKILL a recorder 1.37 s of node time after its file first held data; count what was lost."""
    from gaitnode.protocol.samples import from_counts
    from gaitnode.sessions.store import read_session
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator
    from gaitnode.twin.twin import TwinNode, session_counts

    walk = Simulator(seed=5, placement="shank", rate_hz=200.0).simulate(
        cohort_subject(0, 5), by_name("free_walk", np.random.default_rng(5), 60.0))
    out = tmp / "killed.gns"
    with TwinNode(board=BOARD, live_session=walk) as twin, open(tmp / "kill.log", "w") as log:
        rate = twin.board.sample_rate_hz
        proc = subprocess.Popen([*GAITNODE, "record", "--port", twin.port, "-o", str(out)], stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60.0
            while not (out.exists() and _samples_in(out) >= 3 * rate):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise GaitnodeError(f"the recorder did not record (rc {proc.poll()})")
                time.sleep(0.05)
            target = twin.live.pushed + int(1.37 * rate)
            while twin.live.pushed < target:
                time.sleep(0.002)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            produced = twin.live.pushed
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        raw = session_counts(walk, twin.ranges)
        ranges = twin.ranges
    s = read_session(out, recover=True)
    n = len(s.imu)
    prefix = bool(np.array_equal(s.imu.t_us, np.arange(n) * round(1e6 / rate))
                  and np.array_equal(s.imu.acc, from_counts(raw[np.arange(n) % len(raw)], ranges)[0]))
    lost = produced - n
    return {"rate_hz": rate, "produced": produced, "recorded": n, "lost_samples": lost, "lost_s": lost / rate,
            "bound_samples": rate + rate // 10, "within_bound": bool(lost <= rate + rate // 10),
            "contiguous_prefix": prefix, "damaged_last_chunk": "damage" in s.meta.extra}


def _samples_in(path: Path) -> int:
    from gaitnode.errors import SessionFormatError
    from gaitnode.sessions.store import read_session

    try:
        return len(read_session(path, recover=True).imu)
    except SessionFormatError:
        return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    ap.add_argument("--seconds", type=float, default=20.0, help="how long each client runs")
    a = ap.parse_args(argv)
    result = {"data": "synthetic (simulator walk played by the twin)", "node": f"twin, board {BOARD} (200 Hz, 9 axes)",
              "machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            twin, port = start_twin(2 * a.seconds + 60.0)
            try:
                result["record"] = recorder_run(port, a.seconds, tmp, twin.pid)
                result["monitor"] = monitor_run(port, a.seconds, tmp, twin.pid)
            finally:
                twin.send_signal(signal.SIGINT)
                twin.wait(timeout=10)
            result["sigkill"] = kill_bound(tmp)
    except GaitnodeError as e:
        print(f"host_io bench: error: {e}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "host_io.json").write_text(json.dumps(result, indent=2) + "\n")
    r, mo, k = result["record"], result["monitor"], result["sigkill"]
    print(f"## Host I/O at 200 Hz ({result['data']}; {result['cpus']} CPUs, {result['machine']})\n")
    print("| client | CPU % of one core (steady) | CPU % incl. start-up | node (twin) CPU % | samples | gaps | "
          "keeps up |\n|---|---|---|---|---|---|---|")
    for name, d in (("record", r), ("monitor", mo)):
        print(f"| {name} | {d['cpu_pct_steady']:.1f} | {d['cpu_pct_total']:.1f} ({d['wall_s']:.0f} s) | "
              f"{d.get('node_cpu_pct_steady', float('nan')):.1f} | {d['samples']} | {d['gaps']} | "
              f"{'yes' if d['keeps_up'] else 'NO'} |")
    print(f"\nrecord: lag growth {r['lag_growth_ms']:+.1f} ms over {r['data_s']:.1f} s, node dropped samples "
          f"{r['node_dropped_samples']}, file {r['file_bytes'] / 1e3:.0f} kB; monitor: {mo['samples_per_s']:.1f} "
          f"samples/s received over its run")
    print(f"SIGKILL at {k['rate_hz']} Hz: {k['lost_samples']} samples lost ({k['lost_s']:.2f} s; bound "
          f"{k['bound_samples']}), {'within' if k['within_bound'] else 'OUTSIDE'} the bound, contiguous prefix "
          f"{k['contiguous_prefix']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
