"""Gait timing: the stride table for both legs, gait events and per-sample phase labels.

`plan_strides` turns a subject and a protocol into one row per stride and leg (heel strike to the
next heel strike of the same foot). Equations, constants and sources: docs/simulator.md, "Gait".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, EVENT_KINDS, SIDES, Events
from gaitnode.simulate.protocols import STAIR_GOING_M, Protocol, locomotion_activity
from gaitnode.simulate.subjects import SubjectParams

WALK, UP, DOWN, RUN = (ACTIVITIES.index(a) for a in ("walking", "upstairs", "downstairs", "running"))
LOCOMOTION = (WALK, UP, DOWN, RUN)
GAIT_MIN_SPEED_MS = 0.2  # below this belt/ground speed nobody steps (level walking and running)
WALK_REF_SPEED_MS = 1.3  # speed at which the subject's walk ratio applies unchanged
WALK_RATIO_SPEED_EXP = 0.3  # walk ratio ~ speed^0.3: steps shorten more than cadence drops when slow
STRIDE_AR_PHI = 0.6  # lag-1 autocorrelation of stride-time fluctuations (persistent, Hausdorff 1995)
STRIDE_COLUMNS = ("side", "bout", "t_ho_prev", "t_to_prev", "t_hs", "t_ff", "t_ho", "t_to", "t_next_hs",
                  "activity", "speed_ms", "grade_pct", "stride_length_m", "cadence_spm")


def walking_cadence_spm(speed_ms, walk_ratio: float):
    """Walking cadence (steps/min) from speed (m/s) and the walk ratio (m per step/min).

    Walk-ratio law: step length SL = wr * cadence and v = SL * cadence / 60, so
    cadence = sqrt(60 v / wr). wr shrinks slowly below WALK_REF_SPEED_MS (wr ~ v^0.3).
    Speeds below 0.5 m/s use 0.5 m/s (starting and stopping steps are short, not slow).
    """
    v = np.maximum(np.asarray(speed_ms, dtype=np.float64), 0.5)
    wr = walk_ratio * (v / WALK_REF_SPEED_MS) ** WALK_RATIO_SPEED_EXP
    return np.sqrt(60.0 * v / wr)


def running_cadence_spm(speed_ms, height_m: float, factor: float = 1.0):
    """Running cadence (steps/min): 150 + 8 v, scaled by (1.76 m / height)^0.3 and a personal factor."""
    v = np.asarray(speed_ms, dtype=np.float64)
    return np.clip((150.0 + 8.0 * v) * (1.76 / height_m) ** 0.3 * factor, 140.0, 205.0)


def stair_cadence_spm(speed_ms, going_m: float = STAIR_GOING_M):
    """Stair cadence (steps/min): one stair per step, so cadence = 60 v / going (90 when v is unknown)."""
    v = np.asarray(speed_ms, dtype=np.float64)
    return np.clip(np.where(v > 0.05, 60.0 * v / going_m, 90.0), 60.0, 130.0)


def phase_fractions(mode: int, speed_ms: float) -> tuple[float, float, float]:
    """Nominal (foot flat, heel off, toe off) as fractions of the stride, for one gait mode.

    Walking: stance 0.62 -> 0.58 from 0.8 to 1.8 m/s (Perry & Burnfield 2010; Hebenstreit 2015),
    foot flat at 0.18 and heel off at 0.60 of stance (~0.11 and ~0.36 of the cycle).
    Running: stance 0.40 -> 0.28 from 2 to 5 m/s (Novacheck 1998), foot flat at 0.15 and heel off at
    0.55 of stance. Stairs: stance 0.64 up / 0.60 down (McFadyen & Winter 1988).
    """
    if mode == RUN:
        st = 0.40 - 0.12 * np.clip((speed_ms - 2.0) / 3.0, 0.0, 1.0)
        return 0.15 * st, 0.55 * st, st
    if mode == UP:
        return 0.08, 0.40, 0.64
    if mode == DOWN:
        return 0.10, 0.38, 0.60
    st = 0.62 - 0.04 * np.clip((speed_ms - 0.8) / 1.0, 0.0, 1.0)
    return 0.18 * st, 0.60 * st, st


def _gait_bouts(protocol: Protocol, walk_run_speed_ms: float, t_end: float) -> list[tuple[float, float]]:
    """Intervals (s) of continuous stepping: locomotion activity and (stairs or speed >= GAIT_MIN_SPEED_MS)."""
    t = np.arange(0.0, t_end, 0.02)
    speed, _, act = protocol.sample(t)
    moving = np.isin(act, LOCOMOTION) & ((speed >= GAIT_MIN_SPEED_MS) | np.isin(act, (UP, DOWN)))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], moving.astype(np.int8), [0]])))
    return [(float(t[a]), float(t[b - 1]) + 0.02) for a, b in zip(edges[::2], edges[1::2])]


def plan_strides(subject: SubjectParams, protocol: Protocol, rng: np.random.Generator,
                 t_end: float | None = None) -> pd.DataFrame:
    """The stride table of both legs for a whole protocol (times in s from the protocol start).

    One row per stride of one leg, from its heel strike `t_hs` to the next heel strike of the same
    foot `t_next_hs`, with foot flat `t_ff`, heel off `t_ho`, toe off `t_to`, and the push-off that
    started the swing into this stride (`t_ho_prev`, `t_to_prev`; for the first stride of a bout
    this is the gait-initiation push-off from standing). `side` indexes SIDES, `bout` numbers the
    walking bouts, `activity` is the gait actually used (ACTIVITIES index), `speed_ms` and
    `grade_pct` the protocol's at heel strike, `stride_length_m` the distance covered (m),
    `cadence_spm` the nominal cadence (steps/min). Static segments have no strides; every bout
    starts and ends standing, with real first and last steps. Rows are sorted by (t_hs, side).
    """
    t_end = protocol.duration_s if t_end is None else float(t_end)
    if not np.isfinite(t_end) or t_end <= 0:
        raise GaitnodeError(f"plan_strides: t_end must be a positive number of seconds, got {t_end!r}")
    run_factor = float(np.clip(rng.normal(1.0, 0.04), 0.9, 1.1))  # personal running cadence preference
    asym = float(rng.normal(0.0, 0.01))  # persistent left/right step-time asymmetry (fraction of stride)
    rows = []
    for bout, (a, b) in enumerate(_gait_bouts(protocol, subject.walk_run_speed_ms, t_end)):
        rows += _bout_strides(subject, protocol, rng, a, min(b, t_end), bout, run_factor, asym)
    df = pd.DataFrame(rows, columns=list(STRIDE_COLUMNS))
    df = df.astype({"side": np.int8, "bout": np.int32, "activity": np.int8})
    return df.sort_values(["t_hs", "side"], kind="stable").reset_index(drop=True)


def _nominal(subject, protocol, t, run_factor):
    """Mode, speed, grade and nominal stride time (s) at time t."""
    v, g, act = protocol.sample(np.array([t]))
    mode = int(locomotion_activity(act, v, subject.walk_run_speed_ms)[0])
    v, g = float(v[0]), float(g[0])
    if mode == RUN:
        cad = float(running_cadence_spm(v, subject.height_m, run_factor))
    elif mode in (UP, DOWN):
        cad = float(stair_cadence_spm(v))
    else:
        cad = float(walking_cadence_spm(v, subject.walk_ratio))
    return mode, v, g, 120.0 / cad, cad


def _bout_strides(subject, protocol, rng, a, b, bout, run_factor, asym) -> list[tuple]:
    """Strides of one bout [a, b): the leading leg's heel strikes first, the other leg half a cycle later."""
    lead = int(rng.integers(2))
    onset = a + float(rng.uniform(0.0, 0.25))
    mode, v, g, T, cad = _nominal(subject, protocol, onset, run_factor)
    ff, ho, st = phase_fractions(mode, max(v, GAIT_MIN_SPEED_MS))
    hs = [onset + (st - ho) * T + (1.0 - st) * T]  # push-off then the first swing
    strides = []  # (T, mode, v, g, cad) of each stride of the leading leg
    e = 0.0
    sigma = subject.stride_cv
    while True:
        mode, v, g, T, cad = _nominal(subject, protocol, hs[-1], run_factor)
        e = STRIDE_AR_PHI * e + np.sqrt(1.0 - STRIDE_AR_PHI ** 2) * sigma * rng.standard_normal()
        Tk = T * (1.0 + float(np.clip(e, -3 * sigma, 3 * sigma)))
        if hs[-1] + Tk > b - 0.05:
            break
        strides.append((Tk, mode, v, g, cad))
        hs.append(hs[-1] + Tk)
    if len(strides) < 2:  # a bout too short for two strides is left as standing
        return []
    hs_lead = np.asarray(hs)
    T_lead = np.diff(hs_lead)
    # Contralateral heel strikes half a stride later, with their own step-time noise.
    frac = 0.5 + asym * (1 if lead == 0 else -1) + rng.normal(0.0, 0.5 * sigma, len(T_lead))
    hs_other = hs_lead[:-1] + T_lead * np.clip(frac, 0.4, 0.6)
    rows = []
    # Distance covered along the walking surface: integral of the protocol speed.
    grid = np.linspace(a, b, max(int((b - a) * 50), 2))
    v_grid = protocol.sample(grid)[0]
    dist = np.concatenate([[0.0], np.cumsum(0.5 * (v_grid[1:] + v_grid[:-1])
                                            * np.diff(grid))])
    for side, hs_leg in ((lead, hs_lead), (1 - lead, hs_other)):
        prev_ho = prev_to = None
        for k in range(len(hs_leg) - 1):
            t0, t1 = hs_leg[k], hs_leg[k + 1]
            Tk = t1 - t0
            _, mode, v, g, cad = strides[min(k, len(strides) - 1)]
            ff, ho, st = phase_fractions(mode, v)
            n = rng.normal(0.0, 0.008, 3)
            f_ff = float(np.clip(ff + 0.5 * n[0], 0.02, 0.2))
            f_ho = float(np.clip(ho + n[1], f_ff + 0.05, 0.6))
            f_st = float(np.clip(st + n[2], f_ho + 0.05, 0.75))
            if prev_to is None:  # gait initiation: push-off from standing, then a full swing
                swing = (1.0 - f_st) * Tk
                prev_to = t0 - swing
                prev_ho = prev_to - (f_st - f_ho) * Tk
            sl = float(np.interp(t1, grid, dist) - np.interp(t0, grid, dist))
            rows.append((side, bout, prev_ho, prev_to, t0, t0 + f_ff * Tk, t0 + f_ho * Tk, t0 + f_st * Tk, t1,
                         mode, v, g, sl, cad))
            prev_ho, prev_to = t0 + f_ho * Tk, t0 + f_st * Tk
    return rows


def terminal_contacts(strides: pd.DataFrame) -> pd.DataFrame:
    """The last heel strike of each leg and bout (the final step), with its foot-flat time (s)."""
    last = strides.groupby(["bout", "side"], sort=False).tail(1)
    out = pd.DataFrame({"side": last["side"].to_numpy(), "bout": last["bout"].to_numpy(),
                        "t_hs": last["t_next_hs"].to_numpy(),
                        "t_ff": (last["t_next_hs"] + (last["t_ff"] - last["t_hs"])).to_numpy(),
                        "activity": last["activity"].to_numpy()})
    return out


def initial_pushoffs(strides: pd.DataFrame) -> pd.DataFrame:
    """The gait-initiation heel off / toe off of each leg and bout (s)."""
    first = strides.groupby(["bout", "side"], sort=False).head(1)
    return first[["side", "bout", "t_ho_prev", "t_to_prev"]].reset_index(drop=True)


def stride_events(strides: pd.DataFrame) -> Events:
    """Gait events HS/FF/HO/TO of both legs, including gait initiation and the final steps, sorted."""
    t, kind, side = [], [], []
    for name in EVENT_KINDS:
        col = {"HS": "t_hs", "FF": "t_ff", "HO": "t_ho", "TO": "t_to"}[name]
        t.append(strides[col].to_numpy())
        kind.append(np.full(len(strides), EVENT_KINDS.index(name)))
        side.append(strides["side"].to_numpy())
    init, term = initial_pushoffs(strides), terminal_contacts(strides)
    for frame, cols in ((init, (("HO", "t_ho_prev"), ("TO", "t_to_prev"))), (term, (("HS", "t_hs"), ("FF", "t_ff")))):
        for name, col in cols:
            t.append(frame[col].to_numpy())
            kind.append(np.full(len(frame), EVENT_KINDS.index(name)))
            side.append(frame["side"].to_numpy())
    t, kind, side = np.concatenate(t), np.concatenate(kind), np.concatenate(side)
    order = np.lexsort((kind, side, t))
    return Events(t[order], kind[order], side[order])


def phase_labels(strides: pd.DataFrame, side: str, t_s: np.ndarray) -> np.ndarray:
    """Per-sample gait phase (index into PHASES, -1 = no gait) of one leg at times t_s (s).

    HS = heel strike to foot flat, ST = foot flat to heel off, HO = heel off to toe off,
    SW = toe off to the next heel strike (paper 001). Within a bout the leg stands in ST from the
    gait onset (first push-off of either leg) to its own first heel off; after its final foot flat
    the person stands still (-1).
    """
    t_s = np.asarray(t_s, dtype=np.float64)
    out = np.full(len(t_s), -1, np.int8)
    s = SIDES.index(side)
    leg = strides[strides["side"] == s]
    init, term = initial_pushoffs(strides), terminal_contacts(strides)
    onset = init.groupby("bout")["t_ho_prev"].min()
    bounds, labels = [], []
    for _, r in leg.iterrows():
        bounds += [r.t_hs, r.t_ff, r.t_ho, r.t_to]
        labels += [0, 1, 2, 3]
    for _, r in init[init["side"] == s].iterrows():
        bounds += [onset[r.bout], r.t_ho_prev, r.t_to_prev]
        labels += [1, 2, 3]
    for _, r in term[term["side"] == s].iterrows():
        bounds += [r.t_hs, r.t_ff]
        labels += [0, -1]
    if not bounds:
        return out
    bounds, labels = np.asarray(bounds), np.asarray(labels, np.int8)
    order = np.argsort(bounds, kind="stable")
    bounds, labels = bounds[order], labels[order]
    idx = np.searchsorted(bounds, t_s, side="right") - 1
    ok = idx >= 0
    out[ok] = labels[idx[ok]]
    return out


def cadence_at(strides: pd.DataFrame, t_s: np.ndarray) -> np.ndarray:
    """Instantaneous cadence (steps/min) at times t_s: 60 / the step interval (any foot) containing t.

    0 outside walking bouts.
    """
    t_s = np.asarray(t_s, dtype=np.float64)
    out = np.zeros(len(t_s))
    if not len(strides):
        return out
    term = terminal_contacts(strides)
    for bout, grp in strides.groupby("bout"):
        hs = np.sort(np.concatenate([grp["t_hs"].to_numpy(), term.loc[term["bout"] == bout, "t_hs"].to_numpy()]))
        i = np.searchsorted(hs, t_s, side="right") - 1
        inside = (i >= 0) & (i < len(hs) - 1)
        out[inside] = 60.0 / np.diff(hs)[i[inside]]
    return out
