"""Small inputs for the VO2-from-HR tests: a few real CPET tests cut short, tiny trainer settings, short walks.

The CPET tests are real (pyoxynet); cutting them to `seconds` keeps every tiny training run to a few
seconds. The walks are synthetic (simulator).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gaitnode.training.vo2_hr_data import Vo2Sequence

TINY = dict(enc_units=4, gru_units=6, seq_len=120, batch_size=8, epochs=2, oversample=4.0, learning_rate=1e-2, seed=0)


def cut(seq: Vo2Sequence, seconds: int) -> Vo2Sequence:
    """The first `seconds` seconds of a sequence (a copy)."""
    n = min(len(seq), int(seconds))

    def part(a):
        return None if a is None else np.array(a[:n])

    extra = {k: (part(v) if isinstance(v, np.ndarray) else v) for k, v in seq.extra.items()}
    return dataclasses.replace(seq, t_s=part(seq.t_s), hr_bpm=part(seq.hr_bpm), vo2_ml_min=part(seq.vo2_ml_min),
                               cadence_spm=part(seq.cadence_spm), extra=extra)


def tiny_cpet(n: int = 4, seconds: int = 240, protocols=("ramp",)) -> list[Vo2Sequence]:
    """The first `n` usable real CPET tests, each cut to its first `seconds` seconds."""
    from gaitnode.training.cpet_data import CpetDataset

    return [cut(s, seconds) for s in CpetDataset(protocols=protocols, limit=n).load().tests_]


def short_walk(k: int, duration_s: float = 90.0, protocol: str = "free_walk"):
    """A synthetic session of cohort subject k (left shank, 100 Hz) with HR, VO2 and heel strikes."""
    from gaitnode.simulate.cohort import cohort_subject
    from gaitnode.simulate.protocols import by_name
    from gaitnode.simulate.simulator import Simulator

    return Simulator(seed=k).simulate(cohort_subject(0, k), by_name(protocol, np.random.default_rng(k), duration_s))
