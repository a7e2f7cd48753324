"""The replay report: panels, what the tick rows and markers count, the sagittal rate, bad ranges."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex
from scipy.spatial.transform import Rotation

from gaitnode.errors import GaitnodeError
from gaitnode.host.replay_result import read_result, write_result
from gaitnode.host.report_replay import (
    DPI, FALSE_POSITIVE, MATCHED, MISSED, PANEL_HEIGHT_IN, REFERENCE, plot_replay, sagittal_rate,
)
from gaitnode.host.test_replay_result import make_outcome
from gaitnode.host.test_report import make_session, png_size
from gaitnode.sessions.store import write_session


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    session = make_session(30.0)
    path = write_session(session, folder / "walk.gns")
    return session, read_result(write_result(make_outcome(session, path), folder / "walk.result.json"))


@pytest.fixture(scope="module")
def plot(result, tmp_path_factory):
    """The default report of `result`, drawn once for the tests that only look at it."""
    session, r = result
    return plot_replay(r, session, tmp_path_factory.mktemp("png") / "r.png")


def _ticks(ax, row: int) -> dict[str, int]:
    """Tick count per colour on one row of the events panel (row 0 at the top)."""
    n_rows = len(ax.get_yticks())
    y = n_rows - 1 - row
    out: dict[str, int] = {}
    for coll in ax.collections:
        segs = [s for s in coll.get_segments() if abs(s[0][1] + s[1][1] - 2 * y) < 1e-6]
        if segs:
            colour = to_hex(coll.get_colors()[0])
            out[colour] = out.get(colour, 0) + len(segs)
    return out


def test_report_draws_every_panel_into_a_png(result, plot):
    session, r = result
    assert plot.panels == ["imu", "events", "timeline", "errors", "vo2", "summary"]
    height = round((sum(PANEL_HEIGHT_IN.values()) + 0.8) * DPI)
    assert png_size(plot.path) == plot.size_px == (1400, height)
    title = plot.figure._suptitle.get_text()
    assert "synthetic session" in title and "through twin" in title and "10x real time" in title
    assert plot.axes["imu"].get_xlim() == pytest.approx(plot.detail_s)
    assert plot.detail_s[1] - plot.detail_s[0] == pytest.approx(10.0)
    assert plot.axes["timeline"].get_xlim() == pytest.approx(plot.span_s)
    text = "\n".join(t.get_text() for t in plot.axes["summary"].texts)
    assert text == "\n".join(r.summary.lines())


def test_tick_rows_colour_matches_false_positives_and_misses(result, plot):
    session, r = result
    ax = plot.axes["events"]
    n_ref = len(session.heel_strikes())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["reference", "nn", "classical"]
    assert _ticks(ax, 0) == {to_hex(REFERENCE): n_ref}
    # make_outcome: nn misses the first reference and adds one false positive; classical finds all.
    assert _ticks(ax, 1) == {to_hex(MATCHED): n_ref - 1, to_hex(FALSE_POSITIVE): 1, to_hex(MISSED): 1}
    assert _ticks(ax, 2) == {to_hex(MATCHED): n_ref}


def test_timeline_plots_the_signed_errors_and_the_vo2_panel_says_when_there_is_none(plot):
    lines = {ln.get_label(): ln for ln in plot.axes["timeline"].get_lines()}
    assert np.allclose(lines["nn: error of matched events"].get_ydata(), 10.0, atol=0.01)
    assert np.allclose(lines["classical: error of matched events"].get_ydata(), -15.0, atol=0.01)
    assert len(lines["nn: false positives (1)"].get_xdata()) == 1
    assert len(lines["nn: missed (1)"].get_xdata()) == 1
    assert [t.get_text() for t in plot.axes["vo2"].texts] == ["the node sent no VO2 estimates"]
    assert [ln.get_label() for ln in plot.axes["vo2"].get_lines()] == ["reference (vo2_true)"]


def test_vo2_estimates_are_drawn_against_the_reference(tmp_path):
    session = make_session(30.0)
    path = write_session(session, tmp_path / "walk.gns")
    r = read_result(write_result(make_outcome(session, path, vo2=True), tmp_path / "walk.result.json"))
    ax = plot_replay(r, session, tmp_path / "r.png").axes["vo2"]
    assert len(ax.texts) == 0
    node = {ln.get_label(): ln for ln in ax.get_lines()}["node (cnn_lstm)"]
    assert list(node.get_ydata()) == [900.0, 900.0]
    assert list(node.get_xdata()) == pytest.approx([10.0, 20.0])
    r.estimates.append({"t_s": 15.0, "kind": "vo2_ml_min", "estimator": "acsm", "sample_index": 1500, "value": 700.0})
    ax = plot_replay(r, session, tmp_path / "r2.png").axes["vo2"]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert list(lines["node (acsm)"].get_ydata()) == [700.0] and list(lines["node (cnn_lstm)"].get_ydata()) == [900.0, 900.0]


def test_a_chosen_window_and_bad_ones(result, tmp_path):
    session, r = result
    plot = plot_replay(r, session, tmp_path / "r.png", t_range=(3.0, 7.5))
    assert plot.detail_s == (3.0, 7.5)
    with pytest.raises(GaitnodeError, match="outside the replayed part"):
        plot_replay(r, session, tmp_path / "r.png", t_range=(100.0, None))
    with pytest.raises(GaitnodeError, match="must be before end"):
        plot_replay(r, session, tmp_path / "r.png", t_range=(8.0, 2.0))
    with pytest.raises(GaitnodeError, match="folder .* does not exist"):
        plot_replay(r, session, tmp_path / "no" / "r.png")


def test_sagittal_rate_is_found_whatever_way_round_the_sensor_sits():
    t = np.arange(0, 10, 0.01)
    w = 300 * np.maximum(np.sin(2 * np.pi * t), 0) - 80 * np.maximum(-np.sin(2 * np.pi * t), 0)  # peak positive
    body = np.c_[5 * np.sin(3 * t), 10 * np.cos(2 * t), w]  # mostly about z
    rot = Rotation.from_euler("xyz", [40, -70, 110], degrees=True)
    sensor = rot.apply(body)
    got = sagittal_rate(sensor)
    assert np.corrcoef(got, w)[0, 1] > 0.99
    assert got.max() == pytest.approx(w.max(), rel=0.05)
    assert sagittal_rate(-sensor).max() == pytest.approx(w.max(), rel=0.05)  # the sign follows the peak


def test_phase_and_activity_bands_are_drawn_when_the_result_has_them(tmp_path):
    from gaitnode.host.report_replay import CLASS_PANEL_HEIGHT_IN, PHASE_COLORS

    session = make_session(30.0)
    path = write_session(session, tmp_path / "walk.gns")
    r = read_result(write_result(make_outcome(session, path, classes=True), tmp_path / "walk.result.json"))
    p = plot_replay(r, session, tmp_path / "r.png")
    assert p.panels == ["imu", "events", "timeline", "errors", "vo2", "phase", "activity", "summary"]
    height = round((sum(PANEL_HEIGHT_IN.values()) + sum(CLASS_PANEL_HEIGHT_IN.values()) + 0.8) * DPI)
    assert png_size(p.path) == (1400, height)
    ph = p.axes["phase"]
    assert [t.get_text() for t in ph.get_yticklabels()] == ["node", "reference"]
    assert ph.get_xlim() == pytest.approx(p.detail_s)
    assert "accuracy 1.000" in ph.get_title(loc="left")
    # every phase has its colour in both bands; the node's band starts at its first frame (3 s)
    colours = {to_hex(c.get_facecolor()[0]) for c in ph.collections}
    assert colours == {to_hex(c) for c in PHASE_COLORS.values()}
    node_starts = [path.vertices[0][0] for c in ph.collections for path in c.get_paths()
                   if abs(path.vertices[0][1] + 0.35) < 1e-6]  # the node's row is the bottom one (y = 0)
    assert min(node_starts) == pytest.approx(3.0)
    act = p.axes["activity"]
    assert act.get_xlim() == pytest.approx(p.span_s)
    assert "accuracy 0.500 over 2 windows" in act.get_title(loc="left")
    labels = [t.get_text() for t in act.get_legend().get_texts()]
    assert labels == ["walking", "sitting", "standing"]


def test_a_result_without_phase_or_activity_has_no_such_panels(plot):
    assert "phase" not in plot.panels and "activity" not in plot.panels
