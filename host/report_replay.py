"""Plot a replay result to a PNG: what the node found next to what the session says happened.

Panels, top to bottom:
  imu       a zoom window (default 10 s) of the IMU: the angular rate about the sagittal axis and |acc|,
            reference heel strikes as dashed lines;
  events    the same window as tick rows: reference heel strikes, then the node's events per source;
            matched events green, the node's unmatched events (false positives) red, missed reference
            heel strikes orange;
  timeline  the whole replayed span: signed timing error of every matched event per source, false
            positives and misses as markers; beside it (errors) a histogram of the signed errors;
  vo2       the session's VO2 reference vs the node's VO2 estimates, or a note that the node sent none;
  phase     (when the node sent PHASE frames) the zoom window as two colour bands, one colour per gait
            phase: the session's reference labels, then the node's;
  activity  (when the node sent ACTIVITY frames) the whole replayed span as two colour bands: the
            session's reference activity, then the node's (each window's class from its last sample
            to the next window's);
  summary   the printed summary as a text box.
Times are seconds since the session start (its first IMU sample), as in `gaitnode report SESSION`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gaitnode.errors import GaitnodeError
from gaitnode.host.replay_result import ReplayResultFile
from gaitnode.host.replay_run import VO2_REFERENCES
from gaitnode.host.report import resolve_range, save_png

DPI = 100
WIDTH_IN = 14.0
ZOOM_S = 10.0
PANEL_HEIGHT_IN = {"imu": 2.6, "events": 1.3, "timeline": 2.4, "vo2": 2.2, "summary": 1.7}
_TITLE_IN = 0.8
MATCHED, FALSE_POSITIVE, MISSED, REFERENCE = "#2ca02c", "#d62728", "#ff7f0e", "k"
SOURCE_COLORS = {"nn": "#1f77b4", "classical": "#9467bd"}
_XLABEL = "time since session start (s)"
CLASS_PANEL_HEIGHT_IN = {"phase": 1.2, "activity": 1.2}  # drawn only for results that have them
PHASE_COLORS = {"HS": "#d62728", "ST": "#2ca02c", "HO": "#ff7f0e", "SW": "#1f77b4"}
ACTIVITY_COLORS = {"walking": "#1f77b4", "upstairs": "#ff7f0e", "downstairs": "#2ca02c", "sitting": "#9467bd",
                   "standing": "#8c564b", "laying": "#e377c2", "running": "#17becf"}


@dataclass
class ReplayPlot:
    """What `plot_replay` drew.

    figure: the matplotlib Figure (Agg). axes: panel name -> Axes ("imu", "events", "timeline",
    "errors", "vo2", then "phase" and "activity" when the result has them, "summary").
    detail_s: (start, end) of the zoom window, s since the session
    start. span_s: the replayed span, s since the session start. path: the PNG; size_px: its size.
    """

    figure: Figure
    axes: dict[str, Axes]
    detail_s: tuple[float, float]
    span_s: tuple[float, float]
    path: Path
    size_px: tuple[int, int]

    @property
    def panels(self) -> list[str]:
        return list(self.axes)


def sagittal_rate(gyr: np.ndarray) -> np.ndarray:
    """Angular rate (deg/s) about the principal axis of `gyr` [n, 3]: in gait the limb turns mostly
    about its medio-lateral (sagittal-plane) axis, whatever way round the sensor sits. Signed so that
    the largest excursion (the shank's mid-swing peak) is positive."""
    g = np.asarray(gyr, dtype=np.float64)
    if len(g) < 2:
        return g[:, 2] if len(g) else np.zeros(0)
    centred = g - g.mean(axis=0)
    _, vecs = np.linalg.eigh(centred.T @ centred)
    w = g @ vecs[:, -1]
    return w if w.max() >= -w.min() else -w


def _detail_window(span: tuple[float, float], hs: np.ndarray, zoom_s: float) -> tuple[float, float]:
    """A zoom_s window centred on the reference heel strike nearest the middle of the span."""
    first, last = span
    if last - first <= zoom_s:
        return first, max(last, first + 1e-3)
    mid = 0.5 * (first + last)
    if len(hs):
        mid = float(hs[np.argmin(np.abs(hs - mid))])
    mid = min(max(mid, first + zoom_s / 2), last - zoom_s / 2)
    return mid - zoom_s / 2, mid + zoom_s / 2


def _sources(result: ReplayResultFile) -> list[str]:
    return list(result.summary.detectors)


def _draw_imu(ax: Axes, session, t0: float, rng, ref: np.ndarray) -> None:
    t = session.imu.t_s - t0
    sl = slice(max(np.searchsorted(t, rng[0]) - 1, 0), min(np.searchsorted(t, rng[1], side="right") + 1, len(t)))
    ax.plot(t[sl], sagittal_rate(session.imu.gyr)[sl], color="#1f77b4", lw=0.9, label="gyro, sagittal axis")
    ax.set_ylabel("sagittal rate (deg/s)", fontsize=9, color="#1f77b4")
    ax.grid(alpha=0.3)
    acc_ax = ax.twinx()
    acc_ax.plot(t[sl], np.linalg.norm(session.imu.acc[sl], axis=1), color="0.35", lw=0.8, label="|acc|")
    acc_ax.set_ylabel("|acc| (m/s²)", fontsize=9, color="0.35")
    acc_ax.tick_params(labelsize=8)
    for x in ref[(ref >= rng[0]) & (ref <= rng[1])]:
        ax.axvline(x, color=REFERENCE, lw=0.7, ls="--", alpha=0.5)
    handles = ax.get_lines()[:1] + acc_ax.get_lines()[:1]
    ax.legend(handles=handles, labels=[h.get_label() for h in handles], loc="upper left", fontsize=7, ncol=2)
    ax.set_title(f"IMU detail {rng[0]:.1f}–{rng[1]:.1f} s (dashed: reference heel strikes)", loc="left", fontsize=9)


def _missed(result: ReplayResultFile, name: str, ref_abs: np.ndarray) -> np.ndarray:
    """Reference heel strikes (session clock) that source `name` did not match."""
    hit = [e.matched_ref_t_s for e in result.heel_strikes if e.source == name and e.matched_ref_t_s is not None]
    return ref_abs[~np.isin(ref_abs, hit)]


def _draw_ticks(ax: Axes, result: ReplayResultFile, ref_abs: np.ndarray, t0: float) -> None:
    """Rows: the reference, then each source with its matched events, its false positives and the
    reference heel strikes it missed."""
    rows = ["reference", *_sources(result)]
    y = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    ax.vlines(ref_abs - t0, y["reference"] - 0.35, y["reference"] + 0.35, color=REFERENCE, lw=1.4)
    for name in _sources(result):
        ev = [e for e in result.heel_strikes if e.source == name]
        t = np.array([e.t_s for e in ev]) - t0
        ok = np.array([e.matched_ref_t_s is not None for e in ev], dtype=bool)
        ax.vlines(t[ok], y[name] - 0.35, y[name] + 0.35, color=MATCHED, lw=1.4)
        ax.vlines(t[~ok], y[name] - 0.35, y[name] + 0.35, color=FALSE_POSITIVE, lw=2.0)
        ax.vlines(_missed(result, name, ref_abs) - t0, y[name] - 0.2, y[name] + 0.2, color=MISSED, lw=2.0,
                  linestyles="dotted")
    ax.set_yticks(list(y.values()), list(y), fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.plot([], [], color=REFERENCE, lw=2, label="reference heel strike")
    ax.plot([], [], color=MATCHED, lw=2, label="node: matched")
    ax.plot([], [], color=FALSE_POSITIVE, lw=2, label="node only (false positive)")
    ax.plot([], [], color=MISSED, lw=2, ls=":", label="reference missed by this source")
    ax.legend(loc="center left", bbox_to_anchor=(1.002, 0.5), fontsize=7, frameon=False)


def _draw_timeline(ax: Axes, hist: Axes, result: ReplayResultFile, ref_abs: np.ndarray, t0: float, span) -> None:
    tol_ms = result.summary.tolerance_s * 1e3
    errors = {}
    for name in _sources(result):
        color = SOURCE_COLORS.get(name, "0.3")
        ev = [e for e in result.heel_strikes if e.source == name]
        ok = [e for e in ev if e.matched_ref_t_s is not None]
        err = np.array([(e.t_s - e.matched_ref_t_s) * 1e3 for e in ok])
        errors[name] = err
        ax.plot([e.t_s - t0 for e in ok], err, ls="none", marker=".", ms=4, color=color,
                label=f"{name}: error of matched events")
        fp = [e.t_s - t0 for e in ev if e.matched_ref_t_s is None]
        ax.plot(fp, np.full(len(fp), tol_ms * 1.15), ls="none", marker="x", ms=5, color=color,
                label=f"{name}: false positives ({len(fp)})")
        missed = _missed(result, name, ref_abs) - t0
        ax.plot(missed, np.full(len(missed), -tol_ms * 1.15), ls="none", marker="v", ms=5, color=color,
                mfc="none", label=f"{name}: missed ({len(missed)})")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_ylim(-tol_ms * 1.35, tol_ms * 2.4)  # room above the false-positive row for the legend
    ax.set_xlim(*span)
    ax.set_ylabel("device − reference (ms)", fontsize=9)
    ax.set_xlabel(_XLABEL, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncol=3)
    ax.set_title(f"whole replayed span: timing error (±{tol_ms:g} ms matches; x at top: false positives, "
                 "v at bottom: missed)", loc="left", fontsize=9)
    bins = np.linspace(-tol_ms, tol_ms, 21)
    for name, err in errors.items():
        if len(err):
            hist.hist(err, bins=bins, histtype="step", lw=1.4, color=SOURCE_COLORS.get(name, "0.3"), label=name)
    hist.set_xlabel("device − reference (ms)", fontsize=9)
    hist.set_ylabel("events", fontsize=9)
    hist.legend(fontsize=7)
    hist.grid(alpha=0.3)


ESTIMATOR_COLORS = {"cnn_lstm": "#d62728", "acsm": "#ff7f0e"}


def _draw_vo2(ax: Axes, result: ReplayResultFile, session, t0: float, span) -> None:
    est = [e for e in result.estimates if e["kind"] == "vo2_ml_min"]
    ref_name = next((k for k in VO2_REFERENCES if k in session.series and len(session.series[k])), None)
    if ref_name is not None:
        s = session.series[ref_name]
        keep = (s.t_s - t0 >= span[0]) & (s.t_s - t0 <= span[1])
        ax.plot(s.t_s[keep] - t0, s.value[keep], color="#08306b", lw=1.0, marker="." if keep.sum() < 300 else None,
                ms=3, label=f"reference ({ref_name})")
    for name in dict.fromkeys(e["estimator"] for e in est):  # one series per estimator, in arrival order
        mine = [e for e in est if e["estimator"] == name]
        ax.plot([e["t_s"] - t0 for e in mine], [e["value"] for e in mine], ls="-", lw=0.8, marker="o", ms=4,
                color=ESTIMATOR_COLORS.get(name, "0.4"), label=f"node ({name})")
    if not est:
        ax.text(0.99, 0.95, "the node sent no VO2 estimates", transform=ax.transAxes,
                ha="right", va="top", fontsize=10, color="0.3",
                bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.7"))
    ax.set_xlim(*span)
    ax.set_ylabel("VO2 (ml/min)", fontsize=9)
    ax.set_xlabel(_XLABEL, fontsize=9)
    ax.grid(alpha=0.3)
    if ref_name is not None or est:
        ax.legend(loc="upper left", fontsize=7)


def _label_runs(t: np.ndarray, labels: np.ndarray, names, dt: float) -> list[tuple[float, float, str]]:
    """(start, end, name) runs of equal labels at times t (-1 left out); end = last time + dt."""
    if len(labels) == 0:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts, ends = np.r_[0, edges], np.r_[edges, len(labels)] - 1
    return [(float(t[a]), float(t[b]) + dt, names[labels[a]]) for a, b in zip(starts, ends) if labels[a] >= 0]


def _bands(ax: Axes, rows: dict[str, list[tuple[float, float, str]]], colors: dict[str, str]) -> None:
    """One horizontal colour band per row (top to bottom in dict order), a legend of the classes seen."""
    seen = {}
    for k, (row, runs) in enumerate(rows.items()):
        y = len(rows) - 1 - k
        by_name: dict[str, list] = {}
        for a, b, name in runs:
            by_name.setdefault(name, []).append((a, b - a))
        for name, spans in by_name.items():
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=colors.get(name, "0.5"), lw=0)
            seen[name] = colors.get(name, "0.5")
    ax.set_yticks(range(len(rows)), list(rows)[::-1], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    order = [n for n in colors if n in seen] + [n for n in seen if n not in colors]
    for name in order:
        ax.plot([], [], color=seen[name], lw=6, label=name)
    if order:
        ax.legend(loc="center left", bbox_to_anchor=(1.002, 0.5), fontsize=7, frameon=False)


def _draw_phase(ax: Axes, result: ReplayResultFile, session, t0: float) -> None:
    from gaitnode.sessions.model import PHASES

    dt = 1.0 / session.meta.rate_hz
    rows = {}
    if session.phase is not None:
        rows["reference"] = [(a - t0, b - t0, n) for a, b, n in
                             _label_runs(session.imu.t_s, np.asarray(session.phase), PHASES, dt)]
    rows["node"] = [(r["start_s"] - t0, r["end_s"] - t0, r["phase"]) for r in result.phase_runs]
    _bands(ax, rows, PHASE_COLORS)
    ph = result.summary.phase
    score = "" if ph is None or ph.accuracy is None else (
        f": accuracy {ph.accuracy:.3f}, macro-F1 {ph.macro_f1:.3f} over the whole replay, "
        f"{ph.n_missing} labelled samples not covered")
    ax.set_title(f"gait phase, detail window (reference vs node){score}", loc="left", fontsize=9)
    ax.set_xlabel(_XLABEL, fontsize=9)


def _draw_activity(ax: Axes, result: ReplayResultFile, session, t0: float, span) -> None:
    from gaitnode.sessions.model import ACTIVITIES

    dt = 1.0 / session.meta.rate_hz
    rows = {}
    if session.activity is not None:
        rows["reference"] = [(a - t0, b - t0, n) for a, b, n in
                             _label_runs(session.imu.t_s, np.asarray(session.activity), ACTIVITIES, dt)]
    acts = sorted(result.activities, key=lambda a: a["t_s"])
    ends = [a["t_s"] for a in acts[1:]] + [span[1] + t0]
    rows["node"] = [(a["t_s"] - t0, max(e, a["t_s"] + dt) - t0, a["activity"]) for a, e in zip(acts, ends)]
    _bands(ax, rows, ACTIVITY_COLORS)
    ax.set_xlim(*span)
    act = result.summary.activity
    score = "" if act is None or act.accuracy is None else (
        f": accuracy {act.accuracy:.3f} over {act.n_scored} windows ({act.n_ignored} ignored)")
    ax.set_title(f"activity, whole replayed span (reference vs node){score}", loc="left", fontsize=9)
    ax.set_xlabel(_XLABEL, fontsize=9)


def _title(result: ReplayResultFile) -> str:
    s, node = result.summary, result.node
    models = ", ".join(mo["name"] for mo in node.get("models", [])) or "no model (classical detector only)"
    line1 = (f"Replay of {s.session} through {node.get('board', '?')} ({node.get('firmware', '?')}; {models})"
             + (" · synthetic session" if result.synthetic else " · recorded session"))
    speed = f"{result.speed:g}x real time" if result.speed else "max speed"
    state = "complete" if result.complete else f"INCOMPLETE: {result.note}"
    line2 = f"{s.samples} samples ({s.duration_s:.1f} s) at {speed} in {s.wall_s:.1f} s · {state}"
    return f"{line1}\n{line2}"


def plot_replay(result: ReplayResultFile, session, out_png, *, zoom_s: float = ZOOM_S, t_range=None) -> ReplayPlot:
    """Draw a replay result with its session and write a PNG.

    result: read_result(...). session: the session it was made from (load_result_session).
    zoom_s: length of the IMU detail window. t_range: (start, end) s since the session start for the
    detail window instead (either may be None for the replayed span's own edge).
    Raises GaitnodeError for a bad range or a PNG that cannot be written.
    """
    out = Path(out_png)
    if not out.parent.is_dir():
        raise GaitnodeError(f"cannot write {out}: folder {out.parent} does not exist")
    if not (np.isfinite(zoom_s) and zoom_s > 0):
        raise GaitnodeError(f"zoom window must be a positive number of seconds, got {zoom_s!r}")
    if len(session.imu) == 0:
        raise GaitnodeError("the result's session has no IMU samples")
    t0 = float(session.imu.t_s[0])
    span_abs = result.span_s or (t0, float(session.imu.t_s[-1]))
    span = (span_abs[0] - t0, max(span_abs[1] - t0, span_abs[0] - t0 + 1e-3))
    dt = 1.0 / session.meta.rate_hz
    ref_abs = np.asarray(session.heel_strikes(), dtype=np.float64)
    ref_abs = ref_abs[(ref_abs >= span_abs[0] - dt) & (ref_abs <= span_abs[1])]
    detail = resolve_range(t_range, span, "the replayed part, which spans") or _detail_window(span, ref_abs - t0, zoom_s)

    classes = [n for n, rows in (("phase", result.phase_runs), ("activity", result.activities)) if rows]
    names = ["imu", "events", "timeline", "vo2", *classes, "summary"]
    heights = [{**PANEL_HEIGHT_IN, **CLASS_PANEL_HEIGHT_IN}[n] for n in names]
    fig = Figure(figsize=(WIDTH_IN, sum(heights) + _TITLE_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(len(names), 2, height_ratios=heights, width_ratios=[4, 1])
    axes: dict[str, Axes] = {}
    axes["imu"] = fig.add_subplot(grid[0, :])
    axes["events"] = fig.add_subplot(grid[1, :], sharex=axes["imu"])
    axes["timeline"] = fig.add_subplot(grid[2, 0])
    axes["errors"] = fig.add_subplot(grid[2, 1])
    axes["vo2"] = fig.add_subplot(grid[3, :])
    for k, name in enumerate(classes):
        axes[name] = fig.add_subplot(grid[4 + k, :])
    axes["summary"] = fig.add_subplot(grid[len(names) - 1, :])
    for ax in axes.values():
        ax.tick_params(labelsize=8)

    _draw_imu(axes["imu"], session, t0, detail, ref_abs - t0)
    _draw_ticks(axes["events"], result, ref_abs, t0)
    axes["imu"].set_xlim(*detail)
    axes["imu"].tick_params(labelbottom=False)
    axes["events"].set_xlabel(_XLABEL, fontsize=9)
    _draw_timeline(axes["timeline"], axes["errors"], result, ref_abs, t0, span)
    _draw_vo2(axes["vo2"], result, session, t0, span)
    if "phase" in axes:
        _draw_phase(axes["phase"], result, session, t0)
        axes["phase"].set_xlim(*detail)
    if "activity" in axes:
        _draw_activity(axes["activity"], result, session, t0, span)
    box = axes["summary"]
    box.axis("off")
    box.text(0.0, 1.0, "\n".join(result.summary.lines()), transform=box.transAxes, ha="left", va="top",
             family="monospace", fontsize=7.5, bbox=dict(boxstyle="round", facecolor="#f7f7f7", edgecolor="0.7"))
    fig.suptitle(_title(result), fontsize=11)
    return ReplayPlot(figure=fig, axes=axes, detail_s=detail, span_s=span, path=out,
                      size_px=save_png(fig, out, DPI))
