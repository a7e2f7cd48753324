"""How a LiveSnapshot looks: rich panels for a terminal, one plain line for logs and pipes.

    render(state.snapshot())      # a rich renderable (rich.live.Live shows it)
    text_line(state.snapshot())   # "[connected] live t 12.3 s | samples 1230 (100/s, 0 gaps) | ..."

Heel strikes are drawn on a text time axis: one row per source (N: the network, C: the classical
gyro detector), `width` columns for the last history_s seconds of stream time, `|` at each tick,
the newest sample at the right edge. The gait phase is drawn on the same axis, one letter per
column (PHASE_LETTERS: H heel strike, T full stance, O heel off, W swing, `.` unlabelled).
"""

from __future__ import annotations

from gaitnode.host.live_state import LiveSnapshot

STRIP_WIDTH = 60
SOURCE_LETTERS = (("nn", "N"), ("classical", "C"))
PHASE_LETTERS = {"HS": "H", "ST": "T", "HO": "O", "SW": "W"}
PHASE_STYLES = {"HS": "bold red", "ST": "green", "HO": "yellow", "SW": "cyan"}
CONNECTION_STYLES = {"connected": "bold green", "connecting": "bold cyan", "reconnecting": "bold yellow",
                     "lost": "bold red"}


def tick_strip(times, end_s: float | None, history_s: float, width: int = STRIP_WIDTH, *, mark: str = "|",
               fill: str = ".") -> str:
    """`width` characters covering (end_s - history_s, end_s]: `mark` in each column holding a time
    of `times`, `fill` elsewhere. Times outside the span are left out."""
    cols = [fill] * width
    if end_s is None:
        return "".join(cols)
    start = end_s - history_s
    for t in times:
        if start < t <= end_s:
            cols[min(width - 1, int((t - start) / history_s * width))] = mark
    return "".join(cols)


def heel_strike_strips(snap: LiveSnapshot, width: int = STRIP_WIDTH) -> list[str]:
    """One labelled tick row per source, then the axis: ["N ..|...", "C .|....", "  -10 s ... now"]."""
    rows = [f"{letter} {tick_strip(snap.heel_strikes.get(name, ()), snap.stream_s, snap.history_s, width)}"
            for name, letter in SOURCE_LETTERS]
    left = f"-{snap.history_s:g} s"
    rows.append("  " + left + "now".rjust(width - len(left)))
    return rows


def phase_strip(snap: LiveSnapshot, width: int = STRIP_WIDTH) -> str:
    """The gait phase over the heel-strike axis: in each column the letter of the phase labelling
    most of the column's time, "." where no sample is labelled; "" without PHASE frames."""
    ph = snap.phase
    if ph is None:
        return ""
    end = snap.stream_s if snap.stream_s is not None else ph.stream_s
    step = snap.history_s / width
    start = end - snap.history_s
    cover = [dict() for _ in range(width)]
    for a, b, name in ph.runs:
        c0, c1 = max(0, int((a - start) / step)), min(width - 1, int((b - start) / step - 1e-9))
        for c in range(c0, c1 + 1):
            lo, hi = start + c * step, start + (c + 1) * step
            overlap = min(b, hi) - max(a, lo)
            if overlap > 0:
                cover[c][name] = cover[c].get(name, 0.0) + overlap
    return "".join(PHASE_LETTERS.get(max(c, key=c.get), "?") if c else "." for c in cover)


def phase_text(snap: LiveSnapshot) -> str:
    """Current phase, its confidence and the shares over the last seconds; "" without PHASE frames."""
    ph = snap.phase
    if ph is None:
        return ""
    shares = " ".join(f"{name} {100 * share:.0f} %" for name, share in ph.shares.items())
    covered = "" if ph.covered >= 0.995 else f", {100 * ph.covered:.0f} % labelled"
    return f"{ph.current} ({100 * ph.confidence:.0f} %); last {ph.share_s:g} s: {shares}{covered}"


def activity_text(snap: LiveSnapshot) -> str:
    """Current activity and the model's class probabilities; "" without ACTIVITY frames."""
    a = snap.activity
    if a is None:
        return ""
    probs = ", ".join(f"{name} {100 * p:.0f} %" for name, p in sorted(a.probabilities, key=lambda x: -x[1]))
    return f"{a.current} ({100 * a.probability:.0f} %) at {a.stream_s:.1f} s; {probs}"


def _num(x: float | None, fmt: str, unit: str = "") -> str:
    return "-" if x is None else f"{x:{fmt}}{unit}"


def gait_text(snap: LiveSnapshot) -> str:
    """Cadence and stride time with where they came from; "waiting" before either is known."""
    if snap.cadence is None and snap.stride_time is None:
        return "cadence -, stride -: waiting for heel strikes"
    how = (snap.cadence or snap.stride_time).how
    cad = _num(snap.cadence.value if snap.cadence else None, ".1f", " steps/min")
    stride = _num(snap.stride_time.value if snap.stride_time else None, ".2f", " s")
    return f"cadence {cad}, stride {stride} ({how})"


def vo2_text(snap: LiveSnapshot) -> str:
    """VO2 values and trends per estimator ("; " between them), or the note saying why there are
    none (without the "VO2" label)."""
    if not snap.vo2:
        return snap.vo2_note
    out = []
    for v in snap.vo2:
        parts = []
        if v.ml_min is not None:
            parts.append(f"{v.ml_min:.0f} ml/min (trend {_num(v.trend_ml_min_per_min, '+.0f', ' ml/min per min')})")
        if v.ml_kg_min is not None:
            parts.append(f"{v.ml_kg_min:.1f} ml/kg/min (trend {_num(v.trend_ml_kg_min_per_min, '+.1f', ' per min')})")
        out.append(f"{', '.join(parts)} (device: {v.estimator})")
    return "; ".join(out)


def _models_text(snap: LiveSnapshot, unit: str) -> str:
    t = snap.telemetry
    if t is None:
        return "no telemetry yet"
    if not t.models:
        return "no model (classical detector only)"
    return "; ".join(f"{mt.name} infer {mt.last_us}/{mt.mean_us}/{mt.max_us} {unit} (last/mean/max), "
                     f"arena {mt.arena_used} B" for mt in t.models)


def samples_text(snap: LiveSnapshot) -> str:
    """Samples received and their rate; in replay mode the node echoes none (stream time shows how far
    it got, TELEMETRY how fast it processes)."""
    if snap.mode == "replay" and snap.samples_total == 0:
        tel = snap.telemetry
        rate = "" if tel is None or tel.processed_per_s is None else f", processing {tel.processed_per_s:.0f}/s"
        return f"samples not echoed in replay{rate}"
    return f"samples {snap.samples_total} ({snap.samples_per_s:.0f}/s, {snap.sample_gaps} gaps)"


def text_line(snap: LiveSnapshot) -> str:
    """One plain line with every readout (non-TTY output, logs)."""
    conn = f"[{snap.connection}{': ' + snap.connection_detail if snap.connection_detail else ''}]"
    if snap.reconnects:
        conn += f" (reconnected {snap.reconnects}x)"
    if snap.node_restarts:
        conn += f" (node restarted {snap.node_restarts}x)"
    t = "-" if snap.stream_s is None else f"{snap.stream_s:.1f} s"
    hs = ", ".join(f"{name} {len(snap.heel_strikes.get(name, ()))}" for name, _ in SOURCE_LETTERS)
    parts = [f"{conn} {snap.mode} t {t}",
             samples_text(snap),
             f"heel strikes in {snap.history_s:g} s: {hs}",
             gait_text(snap), f"VO2: {vo2_text(snap)}"]
    if snap.phase is not None:
        parts.append(f"phase: {phase_text(snap)}")
    if snap.activity is not None:
        parts.append(f"activity: {activity_text(snap)}")
    parts += [*snap.extra_lines, _models_text(snap, "us")]
    tel = snap.telemetry
    if tel is not None:
        parts.append(f"load {tel.loop_load_pct:.1f} %, dropped {tel.dropped_samples}, ring {tel.ring_high_water}/"
                     f"{tel.ring_capacity}, device rx errors crc {tel.rx_crc} cobs {tel.rx_cobs} other {tel.rx_other}")
    h = snap.host
    parts.append(f"host bad frames {h.bad_frames}, lost frames {h.lost_frames}")
    if snap.note:
        parts.append(snap.note)
    return " | ".join(parts)


def render(snap: LiveSnapshot):
    """The monitor's rich panel: connection, stream, heel-strike axis, gait, VO2, telemetry."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append(f" {snap.connection.upper()} ", style=CONNECTION_STYLES.get(snap.connection, "bold") + " reverse")
    if snap.connection_detail:
        head.append(f"  {snap.connection_detail}")
    if snap.reconnects:
        head.append(f"  (reconnected {snap.reconnects}x)", style="yellow")

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    clock = "-" if snap.device_clock_s is None else f"{snap.device_clock_s:.2f} s"
    t = "-" if snap.stream_s is None else f"{snap.stream_s:.2f} s"
    grid.add_row("mode", f"{snap.mode}   stream time {t}   device clock {clock}   rate {snap.rate_hz:g} Hz")
    grid.add_row("samples", f"{snap.samples_total} received, {snap.samples_per_s:.1f}/s, {snap.sample_gaps} gaps "
                 f"({snap.missing_samples} missing), stream {snap.streams}, node restarts {snap.node_restarts}")
    totals = ", ".join(f"{name} {snap.heel_strikes_total.get(name, 0)}" for name, _ in SOURCE_LETTERS)
    grid.add_row("heel strikes", Text("\n".join(heel_strike_strips(snap)) + f"\ntotal: {totals}"))
    grid.add_row("gait", gait_text(snap))
    grid.add_row("VO2", vo2_text(snap))
    if snap.heart_rate is not None:
        grid.add_row("heart rate", f"{snap.heart_rate.value:.0f} bpm ({snap.heart_rate.how})")
    if snap.phase is not None:
        strip = Text("P ")
        for letter in phase_strip(snap):
            name = next((k for k, v in PHASE_LETTERS.items() if v == letter), None)
            strip.append(letter, style=PHASE_STYLES.get(name, "dim"))
        strip.append("\n" + phase_text(snap) + "\nH heel strike, T full stance, O heel off, W swing")
        grid.add_row("gait phase", strip)
    if snap.activity is not None:
        grid.add_row("activity", activity_text(snap))
    for line in snap.extra_lines:  # message types the protocol may gain
        grid.add_row("", line)

    tel = snap.telemetry
    if tel is None:
        grid.add_row("telemetry", "no telemetry yet")
    else:
        models = Table(box=None, padding=(0, 1), show_edge=False)
        for col in ("model", "last µs", "mean µs", "max µs", "inferences", "arena used / reserved"):
            models.add_column(col, justify="left" if col == "model" else "right")
        for mt in tel.models:
            models.add_row(mt.name, str(mt.last_us), str(mt.mean_us), str(mt.max_us), str(mt.count),
                           f"{mt.arena_used} / {mt.arena_bytes or '-'} B")
        grid.add_row("models", models if tel.models else "no model (classical detector only)")
        processed = "" if tel.processed_per_s is None else f", processing {tel.processed_per_s:.0f} samples/s"
        grid.add_row("device", f"loop load {tel.loop_load_pct:.1f} %, dropped samples {tel.dropped_samples}, "
                     f"ring high water {tel.ring_high_water}/{tel.ring_capacity}{processed}, "
                     f"infer errors {tel.infer_errors}")
        grid.add_row("device rx", f"{tel.rx_frames} frames; errors: CRC {tel.rx_crc}, COBS {tel.rx_cobs}, "
                     f"other {tel.rx_other}; tx dropped {tel.tx_dropped_frames}")
    h = snap.host
    grid.add_row("host rx", f"bad frames {h.bad_frames}, lost frames {h.lost_frames}, undecodable {h.undecodable}, "
                 f"other protocol {h.wrong_version}")
    for line in snap.log:
        grid.add_row("log", Text(line))

    title = "gaitnode monitor"
    if snap.port:
        title += f" - {snap.port}"
    if snap.board:
        title += f" ({snap.board}, {snap.firmware})"
    subtitle = snap.note or None
    return Panel(Group(head, grid), title=title, subtitle=subtitle, expand=False)
