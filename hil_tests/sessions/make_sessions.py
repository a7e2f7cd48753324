"""Regenerate the HIL suite's committed sessions from the simulator (synthetic data), reproducibly.

    .venv/bin/python hil_tests/sessions/make_sessions.py             # write the .gns files here
    .venv/bin/python hil_tests/sessions/make_sessions.py --check     # do the committed files regenerate?
    .venv/bin/python hil_tests/sessions/make_sessions.py --measure   # F1, VO2 MAPE, phase and activity
                                                                     # accuracy on the twin, test models

Three short shank sessions (left side) of cohort subjects the test model never saw (it trains on
subjects 1, 2, 4 and 6: gaitnode.twin.testing), each from a fixed simulator seed. The thresholds
files (<name>.json) are written by hand from what --measure prints (see hil_tests/README.md).

--check regenerates into a temporary folder and compares bytes. Float maths may round differently on
another CPU or numpy build; the check then says whether the content still agrees within float
rounding (harmless) or really changed (the simulator changed: regenerate, re-measure, update the
thresholds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COHORT_SEED = 0
ROUNDING = {"imu": 1e-3, "events_s": 1e-6}  # largest difference that is float rounding, not a change


@dataclass(frozen=True)
class SessionSpec:
    """One committed session: file stem, cohort subject, simulator seed, and its protocol as
    (duration s, activity, speed m/s, grade %) segments."""

    name: str
    subject: int
    seed: int
    segments: tuple[tuple[float, str, float, float], ...]
    what: str


BRUCE_4 = (6.437 / 3.6, 14.0)  # Bruce stage 4: 6.437 km/h at 14 % grade (docs/physiology.md)
BRUCE_5 = (8.047 / 3.6, 16.0)  # stage 5: 8.047 km/h at 16 %

SPECS = (
    SessionSpec("free_walk", 7, 7, ((6.0, "standing", 0.0, 0.0), (34.0, "walking", 1.3, 0.0)),
                "standing 6 s, then level walking at 1.3 m/s"),
    SessionSpec("bruce_stages_4_5", 8, 8, ((5.0, "standing", 0.0, 0.0), (15.0, "walking", *BRUCE_4),
                                           (20.0, "running", *BRUCE_5)),
                "treadmill: standing 5 s, Bruce stage 4 walk 15 s, stage 5 run 20 s"),
    SessionSpec("walk_pauses", 12, 12, ((5.0, "standing", 0.0, 0.0), (12.0, "walking", 1.2, 0.0),
                                        (8.0, "standing", 0.0, 0.0), (12.0, "walking", 1.4, 0.0),
                                        (6.0, "standing", 0.0, 0.0)),
                "walks of 12 s at 1.2 and 1.4 m/s with standing pauses"),
)


def simulate(spec: SessionSpec):
    """The spec's session (synthetic, shank, left side)."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import Protocol, Segment
    from gaitnode.simulate.simulator import Simulator

    protocol = Protocol(spec.name, tuple(Segment(*s) for s in spec.segments))
    session = Simulator(seed=spec.seed, placement="shank", side="left").simulate(
        cohort_subject(COHORT_SEED, spec.subject), protocol)
    session.meta.extra["hil_session"] = {"name": spec.name, "cohort_seed": COHORT_SEED, "subject": spec.subject,
                                         "what": spec.what}
    return session


def write_all(out_dir: Path) -> list[Path]:
    from gaitnode.sessions.store import write_session

    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_session(simulate(s), out_dir / f"{s.name}.gns", overwrite=True) for s in SPECS]


def compare(committed: Path, regenerated: Path) -> str:
    """"identical", "rounding" (content equal within float rounding) or a sentence saying what differs."""
    from gaitnode.errors import GaitnodeError
    from gaitnode.sessions.store import read_session

    if not committed.exists():
        return "missing: the committed file is not there"
    if committed.read_bytes() == regenerated.read_bytes():
        return "identical"
    try:
        a, b = read_session(committed), read_session(regenerated)
    except GaitnodeError as e:
        return f"unreadable: {e}"
    if len(a.imu) != len(b.imu) or len(a.events) != len(b.events) or sorted(a.series) != sorted(b.series):
        return "content differs: sample, event or series counts changed"
    imu = max(float(np.nanmax(np.abs(getattr(a.imu, k) - getattr(b.imu, k)), initial=0.0))
              for k in ("acc", "gyr", "mag"))
    events = float(np.max(np.abs(a.events.t_s - b.events.t_s), initial=0.0))
    if not (np.array_equal(a.imu.t_us, b.imu.t_us) and np.array_equal(a.events.kind, b.events.kind)):
        return "content differs: sample times or event kinds changed"
    if imu <= ROUNDING["imu"] and events <= ROUNDING["events_s"]:
        return "rounding"
    return f"content differs: IMU by up to {imu:.3g}, event times by up to {events:.3g} s"


def check() -> int:
    """0 when every committed session regenerates byte-identically; 1 otherwise (printed per file)."""
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in write_all(Path(tmp)):
            verdict = compare(HERE / path.name, path)
            if verdict == "rounding":
                verdict = "differs in bytes, content equal within float rounding (another CPU or numpy?)"
            print(f"{path.name}: {verdict}")
            bad += verdict != "identical"
    return 1 if bad else 0


def measure() -> int:
    """Replay every committed session through a twin running the test models (heel strike, VO2, gait
    phase, activity); print F1 per detector, VO2 MAPE per estimator, gait-phase and activity accuracy."""
    from gaitnode.host.node import open_node
    from gaitnode.host.replay_run import SessionReplay
    from gaitnode.sessions.store import read_session
    from gaitnode.twin.testing import (small_activity_model, small_heel_strike_model, small_phase_model,
                                       small_vo2_model)

    with open_node(twin=True, model_dir=small_heel_strike_model(), vo2_model_dir=small_vo2_model(),
                   phase_model_dir=small_phase_model(), activity_model_dir=small_activity_model()) as node:
        for spec in SPECS:
            path = HERE / f"{spec.name}.gns"
            summary = SessionReplay().run(node, read_session(path), path).summary
            scores = ", ".join(f"{d.source} F1 {d.f1:.3f} (TP {d.tp} FP {d.fp} FN {d.fn})"
                               for d in summary.detectors.values())
            vo2 = ", ".join(f"{v.estimator} VO2 MAPE {v.mape_pct:.1f} % ({v.n} estimates vs {v.reference})"
                            for v in summary.vo2.values() if v.mape_pct is not None) or "no VO2 scored"
            ph, act = summary.phase, summary.activity
            phase = ("no phase scored" if ph is None or ph.accuracy is None else
                     f"phase accuracy {ph.accuracy:.3f} macro-F1 {ph.macro_f1:.3f} ({ph.n_covered} samples, "
                     f"{ph.n_missing} missing)")
            activity = ("no activity scored" if act is None or act.accuracy is None else
                        f"activity accuracy {act.accuracy:.3f} ({act.n_scored} windows, {act.n_ignored} ignored)")
            print(f"{spec.name} (subject {spec.subject}, synthetic data): {scores}; {vo2}; {phase}; {activity}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="verify the committed files regenerate byte-identically")
    g.add_argument("--measure", action="store_true", help="print the twin's F1 per session with the test model")
    args = p.parse_args(argv)
    if args.check:
        return check()
    if args.measure:
        return measure()
    for path in write_all(HERE):
        print(f"wrote {path} ({path.stat().st_size} bytes, synthetic data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
