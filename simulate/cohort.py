"""A synthetic cohort: N subjects x protocols x placements, split train/val/test by subject.

Reproducibility: subject k draws everything from its own stream,
`np.random.SeedSequence(seed, spawn_key=(k,))` (the k-th child of `SeedSequence(seed).spawn`),
so adding subjects never changes the earlier ones. Inside a subject, the subject parameters and
each protocol get their own child streams (protocols keyed by name, so adding a protocol does
not change the others). Every placement and side of one subject x protocol uses the same
simulator seed: they are sensors on the same walk.
"""

from __future__ import annotations

import json
import re
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.sessions.model import RATE_MAX_HZ, RATE_MIN_HZ, SIDES, Session
from gaitnode.simulate.kinematics import SIM_PLACEMENTS
from gaitnode.simulate.protocols import Protocol, by_name
from gaitnode.simulate.subjects import SubjectParams, sample_subject

SPLITS = ("train", "val", "test")


def subject_id(k: int) -> str:
    """The id of the k-th cohort subject: S000, S001, ..."""
    return f"S{k:03d}"


def subject_stream(seed: int, k: int) -> np.random.SeedSequence:
    """Subject k's own seed sequence (equal to SeedSequence(seed).spawn(k + 1)[k])."""
    return np.random.SeedSequence(seed, spawn_key=(k,))


def cohort_subject(seed: int, k: int, sex: str | None = None) -> SubjectParams:
    """Subject k of the cohort with this seed (sex None: drawn)."""
    ss = subject_stream(seed, k)
    return sample_subject(np.random.default_rng(ss.spawn(1)[0]), subject_id(k), sex)


def protocol_stream(seed: int, k: int, protocol: str) -> np.random.SeedSequence:
    """Subject k's stream for one protocol, keyed by the protocol's name (CRC-32)."""
    ss = subject_stream(seed, k)
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1, zlib.crc32(protocol.encode())))


def simulate_session(subject: SubjectParams, protocol_name: str, stream: np.random.SeedSequence, *,
                     placement: str = "shank", side: str = "left", rate_hz: float = 100.0,
                     duration_s: float | None = None, mounting="random") -> tuple[Protocol, Session]:
    """Build the protocol from `stream` and run the simulator on it; returns (protocol, session).

    The simulator seed is drawn from the same stream, after the protocol, so placements and sides
    simulated from equal streams record the same walk.
    """
    from gaitnode.simulate.simulator import Simulator

    rng = np.random.default_rng(stream)
    protocol = by_name(protocol_name, rng, duration_s)
    sim_seed = int(rng.integers(2 ** 63))
    session = Simulator(rate_hz=rate_hz, placement=placement, side=side, mounting=mounting,
                        seed=sim_seed).simulate(subject, protocol)
    session.meta.synthetic = True
    return protocol, session


def _split_counts(n: int, split: tuple[float, float, float]) -> tuple[int, int, int]:
    """Subjects per split: val and test rounded from their fractions, train takes the rest."""
    n_val, n_test = (int(np.floor(f * n + 0.5)) for f in split[1:])
    n_train = n - n_val - n_test
    if n_train < 0:
        n_test = n - n_val
        n_train = 0
    return n_train, n_val, n_test


def _check_args(n_subjects, protocols, placements, sides, rate_hz, split) -> None:
    if not isinstance(n_subjects, int) or n_subjects < 1:
        raise GaitnodeError(f"cohort: number of subjects must be a positive integer, got {n_subjects!r}")
    if not protocols:
        raise GaitnodeError("cohort: give at least one protocol")
    for what, values, allowed in (("placement", placements, SIM_PLACEMENTS), ("side", sides, SIDES)):
        if not values:
            raise GaitnodeError(f"cohort: give at least one {what}")
        for v in values:
            if v not in allowed:
                raise GaitnodeError(f"cohort: {what} {v!r} is not one of {', '.join(allowed)}")
    if len(split) != 3 or any(not f >= 0 for f in split) or abs(sum(split) - 1.0) > 1e-6:
        raise GaitnodeError(f"cohort: split {tuple(split)} must be three non-negative fractions summing to 1")
    if not RATE_MIN_HZ <= rate_hz <= RATE_MAX_HZ:
        raise GaitnodeError(f"cohort: sample rate {rate_hz:g} Hz is outside {RATE_MIN_HZ:g}-{RATE_MAX_HZ:g} Hz")


def _file_stem(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", p) for p in parts)


def _run_job(job: dict) -> dict:
    """Simulate one subject x protocol for all its placements/sides and write the files (worker side)."""
    from gaitnode.sessions.store import write_session

    rows = []
    for placement, side, path in job["outputs"]:
        protocol, session = simulate_session(job["subject"], job["protocol"], job["stream"], placement=placement,
                                             side=side, rate_hz=job["rate_hz"], mounting=job["mounting"])
        write_session(session, path, overwrite=job["overwrite"])
        rows.append({"protocol_name": protocol.name, "duration_s": round(session.duration_s, 3)})
    return {"rows": rows}


def make_cohort(out_dir, n_subjects: int, protocols=("bruce", "free_walk"), placements=("shank",),
                rate_hz: float = 100.0, seed: int = 0, split=(0.6, 0.2, 0.2), sides=("left",), *,
                workers: int = 1, overwrite: bool = False, mounting: str = "random") -> dict:
    """Simulate a synthetic cohort into out_dir and return its manifest (also written as cohort.json).

    Files: out_dir/{train,val,test}/<subject>_<protocol>_<placement>.gns (with _<side> appended when
    more than one side is asked for). Subjects are assigned to splits by a seeded permutation
    (val/test counts rounded from `split`, train the rest), never by window. protocols: names or
    .yaml paths (see protocols.by_name); rate_hz: IMU rate in Hz; workers: processes (1 = in line);
    mounting: the sensor mounting draw, "random" (about the limb axis) or "random_any" (board axes
    any way round too) or "nominal" (see simulate.sensor.draw_mounting).
    Raises GaitnodeError for bad arguments or existing files (unless overwrite).
    """
    protocols, placements, sides = tuple(protocols), tuple(placements), tuple(sides)
    _check_args(n_subjects, protocols, placements, sides, rate_hz, tuple(split))
    if mounting not in ("nominal", "random", "random_any"):
        raise GaitnodeError(f"cohort: mounting {mounting!r} is not one of nominal, random, random_any")
    out = Path(out_dir)
    manifest_path = out / "cohort.json"
    if manifest_path.exists() and not overwrite:
        raise GaitnodeError(f"{manifest_path}: a cohort is already there; pass overwrite=True (CLI: --force)")
    for proto in protocols:  # fail on a bad name or schedule before simulating anything
        by_name(proto, np.random.default_rng(0))
    order = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2 ** 32 - 1,))).permutation(n_subjects)
    n_train, n_val, _ = _split_counts(n_subjects, tuple(split))
    split_of = {}
    for rank, k in enumerate(order.tolist()):
        split_of[k] = "train" if rank < n_train else "val" if rank < n_train + n_val else "test"
    for name in SPLITS:
        (out / name).mkdir(parents=True, exist_ok=True)

    subjects = [cohort_subject(seed, k) for k in range(n_subjects)]
    jobs, files = [], []
    for k, subject in enumerate(subjects):
        for proto in protocols:
            label = Path(proto).stem if proto.endswith((".yaml", ".yml")) else proto
            outputs = []
            for placement in placements:
                for side in sides:
                    parts = [subject.id, label, placement] + ([side] if len(sides) > 1 else [])
                    rel = Path(split_of[k]) / f"{_file_stem(*parts)}.gns"
                    outputs.append((placement, side, str(out / rel)))
                    files.append({"path": rel.as_posix(), "subject": subject.id, "split": split_of[k],
                                  "protocol": label, "placement": placement, "side": side})
            jobs.append({"subject": subject, "protocol": proto, "stream": protocol_stream(seed, k, label),
                         "outputs": outputs, "rate_hz": float(rate_hz), "overwrite": overwrite,
                         "mounting": mounting})
    refuse_existing([out / f["path"] for f in files], overwrite=overwrite)
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_run_job, jobs))
    else:
        results = [_run_job(j) for j in jobs]
    for f, row in zip(files, (r for res in results for r in res["rows"])):
        f["duration_s"] = row["duration_s"]

    manifest = {
        "synthetic": True,
        "generator": "gaitnode.simulate.cohort.make_cohort",
        "seed": int(seed),
        "n_subjects": n_subjects,
        "rate_hz": float(rate_hz),
        "mounting": mounting,
        "protocols": [Path(p).stem if p.endswith((".yaml", ".yml")) else p for p in protocols],
        "placements": list(placements),
        "sides": list(sides),
        "split_fractions": [float(f) for f in split],
        "split": {name: [s.id for k, s in enumerate(subjects) if split_of[k] == name] for name in SPLITS},
        "subjects": [s.to_dict() for s in subjects],
        "files": files,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
