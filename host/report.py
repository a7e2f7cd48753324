"""Plot one session to a PNG: IMU channels, reference events, labels and physiology over time.

A 13-minute session at 100 Hz is unreadable as one trace, so by default the figure has two
time axes: the *overview* panels (activity, VO2/HR, speed/grade, other series) span the
whole session, and the *IMU detail* panels (acc, gyr, mag, events, gait phase) show a
10 s window from the middle of the recording, shaded on the overview. With `t_range`
every panel shows that one range on a shared axis. Times are seconds since the session
start (the first IMU sample, else the first series sample) on the device clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, EVENT_KINDS, PHASES, SERIES_UNITS, SIDES, Session

DPI = 100
WIDTH_IN = 14.0
ZOOM_S = 10.0  # default IMU detail window (s)
_TITLE_IN = 0.8  # room for the two-line title
# Height (inches) of each panel kind; the figure height is their sum plus the title.
PANEL_HEIGHT_IN = {"activity": 0.75, "vo2_hr": 2.6, "speed_grade": 1.8, "series": 1.5,
                   "acc": 2.4, "gyr": 2.2, "mag": 1.8, "events": 1.0, "phase": 0.75}
PHASE_COLORS = {"HS": "#d62728", "ST": "#1f77b4", "HO": "#ff7f0e", "SW": "#2ca02c"}
ACTIVITY_COLORS = dict(zip(ACTIVITIES, ("#2ca02c", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728")))
_AXIS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")
_PHYSIOLOGY = ("vo2", "vo2_true", "hr")
_LOCOMOTION = ("speed", "grade")
_XLABEL = "time since session start (s)"


@dataclass
class SessionPlot:
    """What `plot_session` drew.

    figure: the matplotlib Figure (Agg; nothing global to close).
    axes: panel name -> Axes, top to bottom. Names: "activity", "vo2_hr", "speed_grade",
        "series:<name>" (one per other series), "acc", "gyr", "mag", "events", "phase";
        only the panels the session has data for are present.
    overview_s: (start, end) s of the overview panels, None when there are none.
    detail_s: (start, end) s of the IMU detail panels, None without IMU.
    path: the PNG written; size_px: its (width, height) in pixels.
    """

    figure: Figure
    axes: dict[str, Axes]
    overview_s: tuple[float, float] | None
    detail_s: tuple[float, float] | None
    path: Path
    size_px: tuple[int, int]

    @property
    def panels(self) -> list[str]:
        return list(self.axes)


def _session_start(session: Session) -> float:
    if len(session.imu):
        return float(session.imu.t_us[0]) / 1e6
    starts = [s.t_s[0] for s in session.series.values() if len(s)]
    if starts:
        return float(min(starts))
    return float(session.events.t_s[0]) if len(session.events) else 0.0


def _session_span(session: Session, t0: float) -> tuple[float, float]:
    """(first, last) time of anything in the session, s since t0 (negative if a series starts before the IMU)."""
    imu, ev = session.imu, session.events
    firsts = [float(imu.t_us[0]) / 1e6] if len(imu) else []
    lasts = [float(imu.t_us[-1]) / 1e6] if len(imu) else []
    firsts += [s.t_s[0] for s in session.series.values() if len(s)] + ([ev.t_s[0]] if len(ev) else [])
    lasts += [s.t_s[-1] for s in session.series.values() if len(s)] + ([ev.t_s[-1]] if len(ev) else [])
    first, last = min(firsts, default=t0) - t0, max(lasts, default=t0) - t0
    return first, max(last, first + 1e-3)  # a single sample still gets a visible range


def resolve_range(t_range, span: tuple[float, float], what: str = "the session, which spans"
                  ) -> tuple[float, float] | None:
    """(start, end) s from `t_range` with None ends filled from `span`; checked. `what` names the
    span in the message ("the replayed part, which spans" for replay reports)."""
    if t_range is None:
        return None
    start, end = t_range
    start = span[0] if start is None else float(start)
    end = span[1] if end is None else float(end)
    if not (np.isfinite(start) and np.isfinite(end)):
        raise GaitnodeError(f"time range: start ({start:g} s) and end ({end:g} s) must be finite")
    if start >= span[1] or end <= span[0]:
        raise GaitnodeError(f"time range {start:g}-{end:g} s is outside {what} "
                            f"{span[0]:g}-{span[1]:g} s from the session start")
    if end <= start:
        raise GaitnodeError(f"time range: start ({start:g} s) must be before end ({end:g} s)")
    return start, end


def _default_detail(t_imu: np.ndarray, zoom_s: float, hs_t: np.ndarray) -> tuple[float, float]:
    """A `zoom_s` window in the IMU recording (the whole recording if shorter).

    Centred on the heel strike nearest the middle when there are any (a window in a
    sitting bout shows nothing), otherwise on the middle itself.
    """
    first, last = float(t_imu[0]), float(t_imu[-1])
    if last - first <= zoom_s:
        return first, max(last, first + 1e-3)
    mid = 0.5 * (first + last)
    if len(hs_t):
        mid = float(hs_t[np.argmin(np.abs(hs_t - mid))])
    mid = min(max(mid, first + zoom_s / 2), last - zoom_s / 2)
    return mid - zoom_s / 2, mid + zoom_s / 2


def _runs(labels: np.ndarray, t: np.ndarray, dt: float):
    """(label, start_s, width_s) for each run of equal labels; the last run ends dt after its last sample."""
    if len(labels) == 0:
        return []
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.r_[0, change]
    ends_t = np.r_[t[change], t[-1] + dt]
    return [(int(labels[s]), float(t[s]), float(e - t[s])) for s, e in zip(starts, ends_t)]


def _band(ax: Axes, labels: np.ndarray, t: np.ndarray, dt: float, names, colors: dict, title: str) -> None:
    """Coloured band of per-sample labels (-1 left blank) with a legend of the labels present."""
    by_label: dict[int, list[tuple[float, float]]] = {}
    for lab, start, width in _runs(labels, t, dt):
        if lab >= 0:
            by_label.setdefault(lab, []).append((start, width))
    for lab, spans in sorted(by_label.items()):
        ax.broken_barh(spans, (0, 1), facecolors=colors[names[lab]], edgecolor="none")
    handles = [Patch(color=colors[names[lab]], label=names[lab]) for lab in sorted(by_label)]
    if (labels < 0).any():
        handles.append(Patch(facecolor="white", edgecolor="0.6", label="none"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.002, 0.5), fontsize=7, frameon=False,
              ncol=1 if len(handles) <= 4 else 2)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)


def _window(t: np.ndarray, rng: tuple[float, float]) -> slice:
    """Indices of sorted times `t` inside `rng`, plus one beyond each edge so lines reach the border.

    Drawing only the visible part keeps the y-axis scaled to what is shown.
    """
    lo = np.searchsorted(t, rng[0], side="left")
    hi = np.searchsorted(t, rng[1], side="right")
    return slice(max(lo - 1, 0), min(hi + 1, len(t)))


def _visible(series, t0: float, rng: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(t since start, value) of a Series within `rng`."""
    t = series.t_s - t0
    sl = _window(t, rng)
    return t[sl], series.value[sl]


def _draw_xyz(ax: Axes, t: np.ndarray, xyz: np.ndarray, label: str, unit: str, norm: bool = False) -> None:
    for k, axis in enumerate("xyz"):
        ax.plot(t, xyz[:, k], color=_AXIS_COLORS[k], lw=0.8, label=f"{label} {axis}")
    if norm:
        ax.plot(t, np.linalg.norm(xyz, axis=1), color="k", lw=0.9, label=f"|{label}|")
    ax.set_ylabel(f"{label} ({unit})", fontsize=9)
    ax.legend(loc="center left", bbox_to_anchor=(1.002, 0.5), fontsize=7, frameon=False)
    ax.grid(alpha=0.3)


def _draw_events(ax: Axes, session: Session, t0: float) -> None:
    """One row per side: heel strikes as tall ticks, other event kinds as small markers.

    The node's own side is drawn solid, the other side light, so the events a detector on
    this node should find stand out.
    """
    ev, own = session.events, session.meta.side
    markers = {"FF": "s", "HO": "^", "TO": "v"}
    present = {k: m for k, m in markers.items() if (ev.kind == EVENT_KINDS.index(k)).any()}
    for row, side in enumerate(SIDES):
        alpha = 1.0 if own in (None, side) else 0.3
        sel = ev.side == row
        hs = ev.t_s[sel & (ev.kind == EVENT_KINDS.index("HS"))] - t0
        ax.vlines(hs, row - 0.38, row + 0.38, color="k", lw=1.4, alpha=alpha,
                  label="HS" if row == 0 else None)
        for kind, marker in present.items():
            tk = ev.t_s[sel & (ev.kind == EVENT_KINDS.index(kind))] - t0
            ax.plot(tk, np.full(len(tk), row), ls="none", marker=marker, ms=3.5, color="0.35", alpha=alpha,
                    label=kind if row == 0 else None)
    ax.set_ylim(-0.6, 1.6)
    ax.set_yticks([0, 1], [f"{s}{' (node)' if s == own else ''}" for s in SIDES], fontsize=8)
    ax.set_ylabel("events", fontsize=9)
    ax.legend(loc="center left", bbox_to_anchor=(1.002, 0.5), fontsize=7, frameon=False)


def _draw_physiology(ax: Axes, session: Session, t0: float, rng: tuple[float, float]) -> None:
    s = session.series
    handles = []
    if "vo2" in s and len(s["vo2"]):
        handles += ax.plot(*_visible(s["vo2"], t0, rng), ls="none", marker=".", ms=3, color="#1f77b4",
                           alpha=0.6, label="VO2 (measured)")
    if "vo2_true" in s and len(s["vo2_true"]):
        handles += ax.plot(*_visible(s["vo2_true"], t0, rng), color="#08306b", lw=1.4, label="VO2 (noise-free)")
    ax.set_ylabel("VO2 (ml/min)", fontsize=9)
    ax.grid(alpha=0.3)
    if "hr" in s and len(s["hr"]):
        twin = ax.twinx()
        handles += twin.plot(*_visible(s["hr"], t0, rng), color="#d62728", lw=1.0, label="HR")
        twin.set_ylabel("HR (bpm)", color="#d62728", fontsize=9)
        twin.tick_params(axis="y", colors="#d62728", labelsize=8)
    ax.legend(handles=handles, loc="upper left", fontsize=7, ncol=len(handles))


def _draw_locomotion(ax: Axes, session: Session, t0: float, rng: tuple[float, float]) -> None:
    s = session.series
    handles = []
    if "speed" in s and len(s["speed"]):
        handles += ax.plot(*_visible(s["speed"], t0, rng), color="#2ca02c", lw=1.2, label="speed")
        ax.set_ylabel("speed (m/s)", fontsize=9)
        ax.grid(alpha=0.3)
    if "grade" in s and len(s["grade"]):
        # With no speed series the grade goes on the panel itself, else on a twin axis.
        gax = ax.twinx() if handles else ax
        handles += gax.plot(*_visible(s["grade"], t0, rng), color="#9467bd", lw=1.2,
                            drawstyle="steps-post", label="grade")
        gax.set_ylabel("grade (%)", color="#9467bd", fontsize=9)
    ax.legend(handles=handles, loc="upper left", fontsize=7, ncol=len(handles))


def _draw_series(ax: Axes, name: str, session: Session, t0: float, rng: tuple[float, float]) -> None:
    t, v = _visible(session.series[name], t0, rng)
    unit = SERIES_UNITS.get(name)
    ax.plot(t, v, color="#555555", lw=1.0, marker="." if len(t) < 200 else None, ms=3)
    ax.set_ylabel(f"{name} ({unit})" if unit else name, fontsize=9)
    ax.grid(alpha=0.3)


def _title(session: Session) -> str:
    m = session.meta
    parts = [f"subject {m.subject.id}", f"{m.placement}, {m.side or 'side unknown'}",
             f"protocol {m.protocol or 'none'}", f"source {m.source}"]
    line1 = " · ".join(parts) + (" · SYNTHETIC" if m.synthetic else "")
    line2 = f"{session.duration_s / 60:.1f} min"
    if len(session.imu):
        line2 += f", IMU {len(session.imu)} samples at {m.rate_hz:g} Hz"
    if m.extra.get("complete") is False:
        line2 += " · file incomplete (writer stopped)"
    if "damage" in m.extra:
        line2 += f" · recovered up to byte {m.extra['damage'].get('offset')}"
    return f"{line1}\n{line2}"


def plot_session(session: Session, out_png, *, t_range=None, zoom_s: float = ZOOM_S) -> SessionPlot:
    """Draw `session` as stacked panels and write a PNG.

    Args:
        session: the session to plot (IMU optional: a FIT import plots its series only).
        out_png: path of the PNG to write; its folder must exist.
        t_range: (start, end) in seconds since the session start; either may be None for
            the session's own edge. When given, every panel shows this range on one axis.
        zoom_s: length (s) of the default IMU detail window when `t_range` is None.

    Returns:
        SessionPlot with the figure, the panels by name and the PNG's size in pixels
        (WIDTH_IN * DPI wide; height from the panels present).

    Raises:
        GaitnodeError: nothing to plot, a bad or out-of-session range, or the PNG cannot be written.
    """
    out = Path(out_png)
    if not out.parent.is_dir():
        raise GaitnodeError(f"cannot write {out}: folder {out.parent} does not exist")
    if not (np.isfinite(zoom_s) and zoom_s > 0):
        raise GaitnodeError(f"zoom window must be a positive number of seconds, got {zoom_s!r}")
    has_imu = len(session.imu) > 0
    series = {k: v for k, v in session.series.items() if len(v)}
    if not has_imu and not series:
        raise GaitnodeError("the session has nothing to plot: no IMU samples and no non-empty series")
    t0 = _session_start(session)
    span = _session_span(session, t0)
    window = resolve_range(t_range, span)
    t_imu = session.imu.t_us / 1e6 - t0 if has_imu else None

    overview = []
    if has_imu and session.activity is not None:
        overview.append("activity")
    if any(k in series for k in _PHYSIOLOGY):
        overview.append("vo2_hr")
    if any(k in series for k in _LOCOMOTION):
        overview.append("speed_grade")
    overview += [f"series:{k}" for k in series if k not in _PHYSIOLOGY + _LOCOMOTION]
    detail = []
    if has_imu:
        detail += ["acc", "gyr"]
        if session.meta.has_mag and np.isfinite(session.imu.mag).any():
            detail.append("mag")
    if len(session.events):
        # Events belong under the IMU they explain; without IMU they go with the overview.
        (detail if has_imu else overview).append("events")
    if has_imu and session.phase is not None:
        detail.append("phase")

    overview_s = (window or span) if overview else None
    detail_s = (window or _default_detail(t_imu, zoom_s, session.heel_strikes() - t0)
                ) if detail else None
    names = overview + detail
    heights = [PANEL_HEIGHT_IN[n.split(":")[0]] for n in names]
    fig = Figure(figsize=(WIDTH_IN, sum(heights) + _TITLE_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # render with Agg without touching pyplot's global backend
    grid = fig.add_gridspec(len(names), 1, height_ratios=heights)
    axes: dict[str, Axes] = {}
    for i, name in enumerate(names):
        in_overview = name in overview
        group = overview if in_overview else detail
        # One shared axis per group; with an explicit range both groups share one axis.
        share = axes.get(group[0]) if group[0] in axes else (axes.get(names[0]) if window else None)
        axes[name] = fig.add_subplot(grid[i], sharex=share)

    dt = 1.0 / session.meta.rate_hz
    if has_imu:
        sl = _window(t_imu, detail_s) if detail_s else slice(0, 0)
        hs_own = session.heel_strikes() - t0
    for name, ax in axes.items():
        ax.tick_params(labelsize=8)
        if name == "activity":
            osl = _window(t_imu, overview_s)
            _band(ax, session.activity[osl], t_imu[osl], dt, ACTIVITIES, ACTIVITY_COLORS, "activity")
        elif name == "vo2_hr":
            _draw_physiology(ax, session, t0, overview_s)
        elif name == "speed_grade":
            _draw_locomotion(ax, session, t0, overview_s)
        elif name.startswith("series:"):
            _draw_series(ax, name.split(":", 1)[1], session, t0, overview_s)
        elif name in ("acc", "gyr", "mag"):
            data = {"acc": session.imu.acc, "gyr": session.imu.gyr, "mag": session.imu.mag}[name]
            unit = {"acc": "m/s²", "gyr": "deg/s", "mag": "µT"}[name]
            _draw_xyz(ax, t_imu[sl], data[sl], name, unit, norm=name == "acc")
            # The node's own heel strikes as guide lines through the signals they come from.
            for t_hs in hs_own[(hs_own >= detail_s[0]) & (hs_own <= detail_s[1])]:
                ax.axvline(t_hs, color="k", lw=0.6, alpha=0.35, ls="--")
        elif name == "events":
            _draw_events(ax, session, t0)
        elif name == "phase":
            _band(ax, session.phase[sl], t_imu[sl], dt, PHASES, PHASE_COLORS, "gait phase")

    # With an explicit range all panels share one axis: only the bottom one is labelled.
    groups = ((names, window),) if window else ((overview, overview_s), (detail, detail_s))
    for group, rng in groups:
        if not group:
            continue
        for name in group:
            axes[name].set_xlim(*rng)
            if name != group[-1]:
                axes[name].tick_params(labelbottom=False)
        axes[group[-1]].set_xlabel(_XLABEL, fontsize=9)
    if overview and detail and window is None:
        # Two time axes: shade the detail window on the overview and say so on the detail.
        for name in overview:
            axes[name].axvspan(*detail_s, color="0.5", alpha=0.15, lw=0)
        axes[detail[0]].set_title(f"IMU detail {detail_s[0]:.1f}–{detail_s[1]:.1f} s (shaded above)",
                                  loc="left", fontsize=9)
    fig.suptitle(_title(session), fontsize=11)

    return SessionPlot(figure=fig, axes=axes, overview_s=overview_s, detail_s=detail_s, path=out,
                       size_px=save_png(fig, out))


def save_png(fig, out, dpi: int = DPI) -> tuple[int, int]:
    """Write fig as a PNG; its size in pixels. GaitnodeError when the file cannot be written."""
    try:
        fig.savefig(out, format="png", dpi=dpi)
    except OSError as e:
        raise GaitnodeError(f"cannot write {out}: {e.strerror or e}") from None
    w, h = fig.get_size_inches() * dpi
    return int(round(w)), int(round(h))
