import struct

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.host.report import DPI, PANEL_HEIGHT_IN, WIDTH_IN, _runs, plot_session
from gaitnode.sessions.model import EVENT_KINDS, Events, Imu, Series, Session, SessionMeta, Subject

STRIDE_S = 1.1


def make_session(duration_s=60.0, rate_hz=100.0, *, mag=True, side="left", synthetic=True,
                 series=("vo2", "vo2_true", "hr", "speed", "grade")) -> Session:
    """A small synthetic walking session with every kind of content `plot_session` draws."""
    n = int(duration_s * rate_hz)
    t = np.arange(n) / rate_hz
    w = 2 * np.pi * t / STRIDE_S
    acc = np.c_[3 * np.sin(w), 9.81 + 4 * np.sin(2 * w) ** 2, 0.5 * np.cos(w)]
    gyr = np.c_[20 * np.sin(w), 5 * np.cos(w), 250 * np.sin(w)]
    frac = (t % STRIDE_S) / STRIDE_S
    phase = np.select([frac < 0.1, frac < 0.45, frac < 0.6], [0, 1, 2], 3)
    phase[: int(2 * rate_hz)] = -1  # standing still at the start: no gait
    activity = np.where(t < 2, 4, 0)
    hs_left = np.arange(2.0, duration_s, STRIDE_S)
    hs_right = hs_left + STRIDE_S / 2
    to_left = hs_left + 0.6 * STRIDE_S
    times = np.r_[hs_left, hs_right, to_left]
    kind = np.r_[np.zeros(2 * len(hs_left)), np.full(len(to_left), EVENT_KINDS.index("TO"))]
    ev_side = np.r_[np.zeros(len(hs_left)), np.ones(len(hs_right)), np.zeros(len(to_left))]
    order = np.argsort(times, kind="stable")
    sec = np.arange(0.0, duration_s, 1.0)
    vo2 = 300 + 900 / (1 + np.exp(-(sec - 20) / 5))
    all_series = {
        "vo2": Series(sec[::3] + 0.4, vo2[::3] + 40 * np.sin(sec[::3])),
        "vo2_true": Series(sec, vo2),
        "hr": Series(sec, 70 + 0.05 * vo2),
        "speed": Series([0.0, 2.0, duration_s], [0.0, 1.3, 1.3]),
        "grade": Series([0.0, duration_s / 2], [0.0, 10.0]),
        "cadence": Series(sec, np.full(len(sec), 109.0)),
    }
    meta = SessionMeta(subject=Subject(id="S07"), rate_hz=rate_hz, side=side, protocol="bruce",
                       synthetic=synthetic, source="simulate" if synthetic else "record", has_mag=mag)
    imu = Imu((t * 1e6).astype(np.int64), acc, gyr, np.tile([20.0, -5.0, 40.0], (n, 1)) if mag else None)
    return Session(meta, imu, Events(times[order], kind[order], ev_side[order]), phase, activity,
                   {k: all_series[k] for k in series}).validate()


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_full_session_writes_png_with_all_panels(tmp_path):
    out = tmp_path / "s.png"
    r = plot_session(make_session(), out)
    assert r.panels == ["activity", "vo2_hr", "speed_grade", "acc", "gyr", "mag", "events", "phase"]
    expected_h = round((sum(PANEL_HEIGHT_IN[p] for p in r.panels) + 0.8) * DPI)
    assert r.size_px == (round(WIDTH_IN * DPI), expected_h)
    assert png_size(out) == r.size_px
    # Whole session in the overview (the speed series runs to 60 s); a 10 s IMU window centred
    # on the node's heel strike nearest the middle, so the zoom shows gait.
    session = make_session()
    hs = session.heel_strikes() - session.imu.t_s[0]
    mid_hs = hs[np.argmin(np.abs(hs - 30.0))]
    assert r.overview_s == pytest.approx((0.0, 60.0))
    assert r.detail_s == pytest.approx((mid_hs - 5.0, mid_hs + 5.0), abs=0.01)
    assert r.axes["vo2_hr"].get_xlim() == pytest.approx(r.overview_s)
    assert r.axes["acc"].get_xlim() == pytest.approx(r.detail_s)
    assert r.axes["phase"].get_xlim() == pytest.approx(r.detail_s)
    assert "SYNTHETIC" in r.figure._suptitle.get_text()
    assert "subject S07" in r.figure._suptitle.get_text()


def test_acc_panel_draws_three_axes_and_norm_of_the_window_only(tmp_path):
    s = make_session()
    r = plot_session(s, tmp_path / "s.png")
    lines = {ln.get_label(): ln for ln in r.axes["acc"].get_lines()}
    assert {"acc x", "acc y", "acc z", "|acc|"} <= set(lines)
    x, y = lines["|acc|"].get_data()
    assert x.min() >= r.detail_s[0] - 0.011 and x.max() <= r.detail_s[1] + 0.011
    i = int(round(x[0] * 100))
    assert y[0] == pytest.approx(np.linalg.norm(s.imu.acc[i]), rel=1e-5)


def test_heel_strikes_of_the_node_side_are_solid_and_the_other_side_light(tmp_path):
    r = plot_session(make_session(side="right"), tmp_path / "s.png")
    ticks = [c for c in r.axes["events"].collections]
    by_row = {round(float(np.mean([seg[:, 1].mean() for seg in c.get_segments()]))): c.get_alpha() for c in ticks}
    assert by_row == {0: pytest.approx(0.3), 1: pytest.approx(1.0)}  # row 0 = left, row 1 = right (the node)
    labels = [t.get_text() for t in r.axes["events"].get_yticklabels()]
    assert labels == ["left", "right (node)"]


def test_phase_and_activity_bands_have_legends_of_the_labels_present(tmp_path):
    r = plot_session(make_session(), tmp_path / "s.png")
    phase_legend = [t.get_text() for t in r.axes["phase"].get_legend().get_texts()]
    assert phase_legend == ["HS", "ST", "HO", "SW"]
    act_legend = [t.get_text() for t in r.axes["activity"].get_legend().get_texts()]
    assert act_legend == ["walking", "standing"]


def test_time_range_puts_every_panel_on_one_axis(tmp_path):
    r = plot_session(make_session(), tmp_path / "s.png", t_range=(10.0, 40.0))
    assert r.overview_s == r.detail_s == (10.0, 40.0)
    for ax in r.axes.values():
        assert ax.get_xlim() == pytest.approx((10.0, 40.0))
    # Only the bottom panel carries the time labels.
    assert [ax.get_xlabel() != "" for ax in r.axes.values()].count(True) == 1


def test_open_ended_range_runs_to_the_session_edge(tmp_path):
    r = plot_session(make_session(), tmp_path / "s.png", t_range=(50.0, None))
    assert r.detail_s == pytest.approx((50.0, 60.0))


def test_session_without_imu_plots_its_series(tmp_path):
    s = make_session(series=("hr", "speed", "cadence"), synthetic=False)
    s = Session(s.meta, Imu.empty(), series=s.series)
    r = plot_session(s, tmp_path / "fit.png")
    assert r.panels == ["vo2_hr", "speed_grade", "series:cadence"]
    assert r.detail_s is None
    assert png_size(tmp_path / "fit.png") == r.size_px
    assert "SYNTHETIC" not in r.figure._suptitle.get_text()
    assert r.axes["series:cadence"].get_ylabel() == "cadence (steps/min)"


def test_no_magnetometer_no_mag_panel(tmp_path):
    r = plot_session(make_session(mag=False), tmp_path / "s.png")
    assert "mag" not in r.panels and "gyr" in r.panels


def test_runs_of_labels():
    t = np.arange(6) * 0.01
    runs = _runs(np.array([-1, -1, 0, 0, 0, 2]), t, 0.01)
    assert [(lab, round(s, 3), round(w, 3)) for lab, s, w in runs] == [(-1, 0.0, 0.02), (0, 0.02, 0.03), (2, 0.05, 0.01)]


@pytest.mark.parametrize("t_range, message", [
    ((30.0, 20.0), "start .* must be before end"),
    ((100.0, 200.0), "outside the session, which spans 0-60 s"),
    ((np.nan, 20.0), "must be finite"),
])
def test_bad_time_range(tmp_path, t_range, message):
    with pytest.raises(GaitnodeError, match=message):
        plot_session(make_session(), tmp_path / "s.png", t_range=t_range)


def test_nothing_to_plot_and_missing_folder(tmp_path):
    empty = Session(SessionMeta(), Imu.empty())
    with pytest.raises(GaitnodeError, match="nothing to plot"):
        plot_session(empty, tmp_path / "e.png")
    with pytest.raises(GaitnodeError, match="folder .*missing.* does not exist"):
        plot_session(make_session(), tmp_path / "missing" / "s.png")
    assert not list(tmp_path.iterdir())


def test_series_starting_before_the_imu_are_not_cut_off(tmp_path):
    s = make_session(series=("hr",))
    s.series["hr"] = Series(np.r_[-30.0, s.series["hr"].t_s], np.r_[60.0, s.series["hr"].value])
    r = plot_session(s, tmp_path / "s.png")
    assert r.overview_s == pytest.approx((-30.0, 59.99))  # to the last IMU sample
    hr = [ln for ax in r.figure.axes for ln in ax.get_lines() if ln.get_label() == "HR"]  # on a twin axis
    assert hr[0].get_xdata()[0] == pytest.approx(-30.0)


def test_default_zoom_lands_on_gait_not_on_a_static_middle(tmp_path):
    # Heel strikes only in the first 20 s of a 60 s session: the zoom must show them.
    s = make_session()
    keep = s.events.t_s - s.imu.t_s[0] < 20.0
    s.events = Events(s.events.t_s[keep], s.events.kind[keep], s.events.side[keep])
    r = plot_session(s, tmp_path / "z.png")
    hs = s.heel_strikes() - s.imu.t_s[0]
    assert ((hs >= r.detail_s[0]) & (hs <= r.detail_s[1])).sum() >= 3
