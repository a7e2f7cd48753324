import numpy as np
import pytest

from gaitnode.errors import ConfigError
from gaitnode.sessions.model import ACTIVITIES
from gaitnode.simulate.protocols import (
    MIN_SEGMENT_S, SPEED_RAMP_MS2, STAIR_GOING_M, STAIR_RISE_M, Protocol, Segment, bruce, by_name,
    daily_living, free_walk, from_yaml, locomotion_activity, running, stair_vertical_speed_ms, stairs,
)

W, UP, DOWN, SIT, STAND, LAY, RUN = range(7)


def test_bruce_stages_match_the_paper_exactly():
    table = [(s.speed_ms * 3.6, s.grade_pct, s.duration_s / 60, s.activity) for s in bruce().segments]
    expected = [(2.575, 0, 1, "walking"), (4.345, 10, 3, "walking"), (4.345, 12, 3, "walking"),
                (6.437, 14, 3, "walking"), (0, 0, 3, "standing")]
    assert len(table) == len(expected)
    for got, want in zip(table, expected):
        assert got[0] == pytest.approx(want[0], abs=1e-9) and got[1:] == want[1:]
    assert bruce().duration_s == 780.0


def test_sample_ramps_speed_like_a_belt_and_labels_segments():
    p = Protocol("t", (Segment(20, "walking", 1.5), Segment(20, "standing"), Segment(20, "running", 3.0)))
    t = np.arange(0, 60, 0.1)
    v, g, a = p.sample(t)
    assert v[0] == 0.0 and np.all(g == 0)
    assert np.max(np.abs(np.diff(v))) <= SPEED_RAMP_MS2 * 0.1 + 1e-9
    assert v[(t > 6) & (t < 14)] == pytest.approx(1.5)
    # slowing to a stop ends at the boundary: standing is at rest from its first sample
    assert np.all(v[(t >= 20) & (t < 40)] == 0) and v[195] > 0
    assert v[(t > 52)] == pytest.approx(3.0)
    assert a.dtype == np.int8 and set(a[t < 20]) == {W} and set(a[(t >= 20) & (t < 40)]) == {STAND}
    assert set(a[t >= 40]) == {RUN}


def test_grade_changes_at_about_one_percent_per_second():
    v, g, a = bruce().sample(np.arange(0, 780.0))
    assert g[60] == 0 and g[65] == pytest.approx(5) and g[70] == pytest.approx(10)
    assert g[600] == pytest.approx(14) and g[614] == pytest.approx(0)


def test_locomotion_activity_switches_gait_at_transition_speed():
    a = np.array([W, W, RUN, RUN, UP, DOWN, SIT, STAND, LAY])
    v = np.array([1.0, 2.1, 1.8, 2.0, 0.4, 0.4, 0.0, 0.0, 0.0])
    got = locomotion_activity(a, v, 2.0)
    assert got.tolist() == [W, RUN, W, RUN, UP, DOWN, SIT, STAND, LAY]


def test_stair_vertical_speed_follows_geometry():
    vz = stair_vertical_speed_ms(np.array([UP, DOWN, W]), np.array([0.28, 0.56, 1.0]))
    assert vz.tolist() == pytest.approx([STAIR_RISE_M, -2 * STAIR_RISE_M, 0.0])
    assert STAIR_RISE_M / STAIR_GOING_M == pytest.approx(0.17 / 0.28)


@pytest.mark.parametrize("build,duration", [(free_walk, 600), (running, 600), (daily_living, 600), (stairs, 300)])
def test_generated_protocols_fill_their_duration(build, duration):
    p = build(np.random.default_rng(3))
    assert p.duration_s == pytest.approx(duration)
    assert min(s.duration_s for s in p.segments) >= MIN_SEGMENT_S
    assert all(s.activity in ACTIVITIES for s in p.segments)
    assert p == build(np.random.default_rng(3)) and p != build(np.random.default_rng(4))


def test_free_walk_speeds_and_pauses():
    segs = [s for k in range(5) for s in free_walk(np.random.default_rng(k), 1200).segments]
    walks = [s for s in segs if s.activity == "walking"]
    assert all(0.6 <= s.speed_ms <= 1.9 and s.grade_pct == 0 for s in walks)
    assert all(s.duration_s <= 120 for s in walks)
    assert any(s.activity == "standing" and s.duration_s <= 20 for s in segs[1:])


def test_running_warms_up_then_runs_fast():
    p = running(np.random.default_rng(0), 900)
    assert [s.activity for s in p.segments[:3]] == ["standing", "walking", "running"]
    assert all(2.2 <= s.speed_ms <= 4.5 for s in p.segments[2:])


def test_daily_living_mixes_activities_plausibly():
    protocols = [daily_living(np.random.default_rng(k), 1800).segments for k in range(6)]
    segs = [s for p in protocols for s in p]
    assert {s.activity for s in segs} == set(ACTIVITIES) - {"running"}
    for p in protocols:
        for prev, nxt in zip(p, p[1:]):
            assert not (prev.activity == "laying" and nxt.activity in ("walking", "standing"))
            assert prev.activity != nxt.activity or prev.activity == "walking"
    for s in segs:
        assert (s.speed_ms > 0) == (s.activity in ("walking", "upstairs", "downstairs"))


def test_stairs_alternate_up_and_down():
    acts = [s.activity for s in stairs(np.random.default_rng(1)).segments]
    assert acts[:5] == ["standing", "upstairs", "walking", "downstairs", "standing"]


def test_by_name_and_its_errors(tmp_path):
    assert by_name("bruce", np.random.default_rng(0)) == bruce()
    assert by_name("stairs", np.random.default_rng(0), 120).duration_s == pytest.approx(120)
    with pytest.raises(ConfigError, match="unknown protocol 'jog'.*bruce, free_walk"):
        by_name("jog", np.random.default_rng(0))
    with pytest.raises(ConfigError, match="Bruce"):
        by_name("bruce", np.random.default_rng(0), 100)
    with pytest.raises(ConfigError, match="too short"):
        by_name("free_walk", np.random.default_rng(0), 5)


def _yaml(tmp_path, text):
    p = tmp_path / "sched.yaml"
    p.write_text(text)
    return p


def test_from_yaml_units_and_defaults(tmp_path):
    p = from_yaml(_yaml(tmp_path, """
segments:
  - {activity: standing, duration_s: 30}
  - {activity: walking, speed_kmh: 5.4, grade_pct: 4, duration_min: 2}
  - {activity: upstairs, duration_s: 15}
"""))
    assert p.name == "sched"
    assert p.segments == (Segment(30, "standing"), Segment(120, "walking", 1.5, 4.0), Segment(15, "upstairs", 0.45))


def test_example_schedule_in_the_repo_loads():
    from pathlib import Path
    p = from_yaml(Path(__file__).parent / "schedules" / "example.yaml")
    assert p.name == "example_interval_walk" and p.duration_s == 610


@pytest.mark.parametrize("text,message", [
    ("segments:\n  - {activity: walking, speed_ms: 1.2, duration_s: 10}\n  - {activity: walking, speed_kmh: -3,"
     " duration_s: 5}\n", r"line 3, column \d+: segment 1, field 'speed_kmh': -3 is less than the minimum of 0"),
    ("segments:\n  - {activity: jogging, speed_ms: 1, duration_s: 5}\n", r"line 2.*segment 0, field 'activity'"),
    ("segments:\n  - {activity: walking, speed_ms: 1, duration_s: 5, slope: 3}\n", r"segment 0.*'slope'"),
    ("segments:\n  - {activity: walking, speed_ms: 1}\n", r"line 2.*segment 0: give exactly one of duration_s"),
    ("segments:\n  - {activity: walking, duration_s: 10}\n", r"segment 0: field 'speed': walking needs a speed"),
    ("segments:\n  - {activity: sitting, speed_ms: 1, duration_s: 10}\n", r"segment 0: field 'speed': sitting has"),
    ("segments:\n  - {activity: walking, speed_ms: 1, speed_kmh: 3.6, duration_s: 10}\n", r"at most one of speed"),
    ("segments:\n  - {activity: upstairs, grade_pct: 5, duration_s: 10}\n", r"field 'grade_pct'"),
    ("segments: []\n", r"field 'segments'"),
    ("name: x\n", r"'segments' is a required property"),
    ("segments:\n  - {activity: walking\n", r"line \d+, column \d+: not valid YAML"),
    ("- just a list\n", r"is not of type 'object'"),
])
def test_bad_yaml_names_line_segment_and_field(tmp_path, text, message):
    path = _yaml(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as e:
        from_yaml(path)
    assert str(path) in str(e.value)


def test_missing_yaml_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read schedule"):
        from_yaml(tmp_path / "nope.yaml")
