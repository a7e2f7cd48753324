"""Benchmarks for the data layer: simulator throughput and session I/O.

Prints a table and writes build/bench/sessions.json. All data is synthetic.
Targets live here, not in tests: a 13-minute Bruce session should simulate in a few
seconds, and reading a session should run at hundreds of MB/s (training reads many).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from gaitnode.metrics import match_events
from gaitnode.sessions.export import export_parquet
from gaitnode.sessions.store import read_session, write_session
from gaitnode.simulate.protocols import bruce
from gaitnode.simulate.simulator import Simulator
from gaitnode.simulate.subjects import sample_subject


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    subject = sample_subject(np.random.default_rng(0), "bench-s0")
    protocol = bruce()
    results = {"machine": platform.machine(), "cpus": os.cpu_count(), "data": "synthetic"}

    sim_s = best_of(lambda: Simulator(rate_hz=100.0, placement="shank", seed=0).simulate(subject, protocol), args.repeat)
    session = Simulator(rate_hz=100.0, placement="shank", seed=0).simulate(subject, protocol)
    results["simulate_bruce_100hz_s"] = sim_s
    results["simulate_realtime_factor"] = protocol.duration_s / sim_s

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.gns"
        write_s = best_of(lambda: write_session(session, path, overwrite=True), args.repeat)
        size = path.stat().st_size
        read_s = best_of(lambda: read_session(path), args.repeat)
        pq_s = best_of(lambda: export_parquet(session, Path(tmp) / "pq", overwrite=True), args.repeat)
    results.update({
        "samples": len(session.imu),
        "file_bytes": size,
        "write_s": write_s,
        "read_s": read_s,
        "read_MB_per_s": size / read_s / 1e6,
        "read_samples_per_s": len(session.imu) / read_s,
        "parquet_export_s": pq_s,
    })

    # Event matching at scale: 1e5 heel strikes (about a day of walking) with misses and spurious hits.
    rng = np.random.default_rng(1)
    ref = np.cumsum(rng.uniform(0.9, 1.2, 100_000))
    kept = ref[rng.random(len(ref)) > 0.05]
    est = np.concatenate([kept + rng.normal(0, 0.015, len(kept)), rng.uniform(0, ref[-1], 5_000)])
    results["match_events_1e5_s"] = best_of(lambda: match_events(ref, est), args.repeat)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sessions.json").write_text(json.dumps(results, indent=2) + "\n")
    print("benchmark (synthetic data, best of %d)" % args.repeat)
    for k, v in results.items():
        print(f"  {k:28s} {v:.4g}" if isinstance(v, float) else f"  {k:28s} {v}")
    print(f"written {out / 'sessions.json'}")


if __name__ == "__main__":
    main()
