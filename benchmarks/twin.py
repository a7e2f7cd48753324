"""Twin benchmarks: replay throughput through the pty, heel-strike latency, live mode at the board rate.

    python benchmarks/twin.py --model-dir build/bench/heel_strike/models/hs_shank \
        --sessions build/bench/heel_strike/cohort --out build/bench

All through the real path: pyserial on the pty -> COBS/CRC frames -> the C core (gn_node) ->
TFLM (tflite-micro package) -> frames back. Sessions are synthetic (simulator) unless --sessions
points at recordings. Writes <out>/twin.json and prints a markdown table.

1. Replay throughput: shank test sessions (first --max-seconds of each) replayed as fast as flow
   control allows; x real time = data duration / wall time; lost frames = device sequence gaps,
   NACKs and bad frames (all must be 0); events scored against the reference (+-50 ms).
2. Latency at 1x real time (one sample per frame, paced): for each reference heel strike matched by
   a device event, host receive time of the HEEL_STRIKE frame minus host send time of the contact's
   sample: the algorithmic delay (up to hop + output delay samples for the model) plus processing.
3. Live mode: the twin's IMU thread plays a session at the board rate for --live-seconds; samples
   streamed back must be contiguous and the node must report no dropped samples.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.events import match_events
from gaitnode.protocol import messages as m
from gaitnode.protocol.link import Link
from gaitnode.protocol.replay import replay_counts
from gaitnode.sessions.slicing import time_slice
from gaitnode.training.datasets import load_sessions
from gaitnode.twin.twin import TwinNode, session_counts


def event_times(session, events) -> np.ndarray:
    t = session.imu.t_s
    return np.array([t[e.sample_index] + e.frac / session.meta.rate_hz for e in events])


def throughput(model_dir, sessions, max_s: float) -> dict:
    rows, total_samples, total_wall = [], 0, 0.0
    lost = 0
    with TwinNode(model_dir) as twin, Link(twin.port) as link:
        for s in sessions:
            s = time_slice(s, float(s.imu.t_s[0]), float(s.imu.t_s[0]) + max_s)
            raw = session_counts(s, twin.ranges)
            res = replay_counts(link, raw, rate_hz=s.meta.rate_hz)
            lost += len(res.nacks) + res.bad_frames + res.device_seq_gaps
            ref = s.heel_strikes()
            scores = {}
            for name, src in (("nn", m.Source.NN), ("classical", m.Source.CLASSICAL)):
                sc = match_events(ref, event_times(s, res.heel_strikes(src)), tolerance_s=0.05)
                scores[name] = {"f1": sc.f1, "median_abs_error_ms": sc.median_abs_error_ms}
            tele = [r.msg for r in res.of_type(m.Telemetry)]
            rows.append({"session": s.meta.extra.get("name", s.meta.subject.id), "samples": len(raw),
                         "data_s": len(raw) / s.meta.rate_hz, "wall_s": res.wall_s,
                         "x_real_time": len(raw) / s.meta.rate_hz / res.wall_s, "events": scores,
                         "dropped_samples": tele[-1].dropped_samples if tele else None})
            total_samples += len(raw)
            total_wall += res.wall_s
        if twin.write_failures or twin.inference_error:
            raise GaitnodeError(f"twin trouble: {twin.write_failures} write failures, {twin.inference_error}")
        arena_used = twin.inference.arena_used
    return {"sessions": rows, "samples": total_samples, "wall_s": total_wall,
            "x_real_time": total_samples / 100.0 / total_wall, "lost_frames": lost, "arena_used": arena_used}


def latency(model_dir, session, seconds: float) -> dict:
    s = time_slice(session, float(session.imu.t_s[0]), float(session.imu.t_s[0]) + seconds)
    with TwinNode(model_dir) as twin, Link(twin.port) as link:
        raw = session_counts(s, twin.ranges)
        res = replay_counts(link, raw, batch=1, speed=1.0, rate_hz=s.meta.rate_hz)
    ref = s.heel_strikes()
    ref_idx = np.searchsorted(s.imu.t_s, ref).clip(0, len(raw) - 1)
    out = {}
    for name, src in (("nn", m.Source.NN), ("classical", m.Source.CLASSICAL)):
        got = [r for r in res.of_type(m.HeelStrike) if r.msg.source == src]
        sc = match_events(ref, event_times(s, [r.msg for r in got]), tolerance_s=0.05)
        lat = np.array([got[j].host_s - res.send_host_s[ref_idx[i]] for i, j in zip(sc.ref_idx, sc.est_idx)])
        out[name] = {"events": int(len(lat)), "median_ms": float(np.median(lat) * 1e3) if len(lat) else None,
                     "p95_ms": float(np.percentile(lat, 95) * 1e3) if len(lat) else None,
                     "max_ms": float(lat.max() * 1e3) if len(lat) else None,
                     "min_ms": float(lat.min() * 1e3) if len(lat) else None}
    out["data_s"] = len(raw) / s.meta.rate_hz
    return out


def live(session, seconds: float) -> dict:
    got, tele = [], []
    with TwinNode(live_session=session) as twin, Link(twin.port) as link:
        link.request(m.ModeMsg(m.Mode.LIVE))
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            for r in link.read(0.05):
                if isinstance(r.msg, m.Samples):
                    got.append(r.msg)
                elif isinstance(r.msg, m.Telemetry):
                    tele.append(r.msg)
        wall = time.monotonic() - t0
        link.request(m.ModeMsg(m.Mode.IDLE), keep=[])
        late = twin.live.late_samples
    index, contiguous = 0, True
    for b in got:
        contiguous &= b.first_index == index
        index = b.first_index + len(b.raw)
    return {"seconds": wall, "samples": index, "samples_per_s": index / wall, "contiguous": bool(contiguous),
            "dropped_samples": tele[-1].dropped_samples if tele else None,
            "ring_high_water": tele[-1].ring_high_water if tele else None,
            "loop_load_permille": tele[-1].loop_load_permille if tele else None, "late_isr_samples": late}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--sessions", type=Path, required=True, help="cohort folder (its test split) or sessions")
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    ap.add_argument("--max-sessions", type=int, default=6)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--latency-seconds", type=float, default=60.0)
    ap.add_argument("--live-seconds", type=float, default=20.0)
    a = ap.parse_args(argv)
    try:
        sessions = [s for s in load_sessions([a.sessions], placement="shank", split="test")][: a.max_sessions]
        if not sessions:
            raise GaitnodeError(f"{a.sessions}: no shank sessions")
        synthetic = all(s.meta.synthetic for s in sessions)
        result = {"data": "synthetic (simulator)" if synthetic else "recorded", "model_dir": str(a.model_dir),
                  "throughput": throughput(a.model_dir, sessions, a.max_seconds),
                  "latency_1x": latency(a.model_dir, sessions[0], a.latency_seconds),
                  "live": live(sessions[0], a.live_seconds)}
    except GaitnodeError as e:
        print(f"twin bench: error: {e}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "twin.json").write_text(json.dumps(result, indent=2) + "\n")
    t, lat, lv = result["throughput"], result["latency_1x"], result["live"]
    print(f"## Twin ({result['data']} data, model {a.model_dir})\n")
    print("| measure | value |\n|---|---|")
    print(f"| replay throughput | {t['x_real_time']:.1f}x real time ({t['samples']} samples in {t['wall_s']:.1f} s) |")
    print(f"| lost or reordered frames | {t['lost_frames']} |")
    f1 = [r["events"]["nn"]["f1"] for r in t["sessions"]]
    print(f"| heel-strike F1 in replay (nn, per session) | {min(f1):.3f}-{max(f1):.3f} |")
    for name in ("nn", "classical"):
        d = lat[name]
        if d["events"]:
            print(f"| latency contact -> HEEL_STRIKE ({name}, 1x) | median {d['median_ms']:.0f} ms, p95 "
                  f"{d['p95_ms']:.0f} ms, max {d['max_ms']:.0f} ms ({d['events']} events) |")
    print(f"| live mode | {lv['samples_per_s']:.1f} samples/s, contiguous {lv['contiguous']}, dropped "
          f"{lv['dropped_samples']}, ring high water {lv['ring_high_water']} |")
    print(f"| TFLM arena used (reported by the interpreter) | {t['arena_used']} B |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
