"""Exercise protocols: a schedule of segments (activity, speed, grade, duration).

Builders for the standard protocols (Bruce, free walking, running, daily living, stairs),
YAML schedules (`from_yaml`, schema in docs/physiology.md) and `Protocol.sample`, which
turns a schedule into speed/grade/activity arrays on a time grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jsonschema
import numpy as np
import yaml

from gaitnode.errors import ConfigError
from gaitnode.sessions.model import ACTIVITIES

# Speed ramps like a treadmill belt changing speed: 0.3 m/s^2, so 0 -> 1.4 m/s takes about 5 s
# (a person on the ground reaches steady gait a little faster, within 2-3 steps).
SPEED_RAMP_MS2 = 0.3
GRADE_RAMP_PCT_S = 1.0  # treadmill elevation changes at about 1 %/s
# Stair geometry (building-code norms): rise 0.17 m per step, going (tread depth) 0.28 m.
# One stair per step, so vertical speed = horizontal speed * rise / going.
STAIR_RISE_M = 0.17
STAIR_GOING_M = 0.28
STAIR_DEFAULT_SPEED_MS = 0.45  # horizontal; 0.45 m/s = 96 steps/min on these stairs
MIN_SEGMENT_S = 10.0  # daily-living and generated segments are at least this long

STATIC = ("sitting", "standing", "laying")
_IDX = {name: i for i, name in enumerate(ACTIVITIES)}


@dataclass(frozen=True)
class Segment:
    duration_s: float
    activity: str  # a name from gaitnode.sessions.model.ACTIVITIES
    speed_ms: float = 0.0  # belt / ground speed (horizontal) in m/s
    grade_pct: float = 0.0  # treadmill grade in %


@dataclass(frozen=True)
class Protocol:
    name: str
    segments: tuple[Segment, ...]

    @property
    def duration_s(self) -> float:
        return float(sum(s.duration_s for s in self.segments))

    def boundaries_s(self) -> np.ndarray:
        """Segment start times and the end time, s from protocol start ([len(segments) + 1])."""
        return np.concatenate([[0.0], np.cumsum([s.duration_s for s in self.segments])])

    def sample(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Speed (m/s), grade (%) and activity index (int8, into ACTIVITIES) at times t_s (s from start).

        Speed and grade ramp at SPEED_RAMP_MS2 and GRADE_RAMP_PCT_S from one segment's value to the
        next; speed starts from rest at time 0 (the belt starts), grade at the first segment's. A ramp starts at the segment boundary, except a slow-down to rest (target speed 0),
        which ends at the boundary: a person stops walking before standing still. Before 0 the
        first segment holds, from the end on the last. Activity labels change at the boundaries.
        """
        t = np.asarray(t_s, dtype=np.float64)
        edges = self.boundaries_s()
        seg = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(self.segments) - 1)
        activity = np.array([_IDX[s.activity] for s in self.segments], dtype=np.int8)[seg]
        speeds = [s.speed_ms for s in self.segments]
        grades = [s.grade_pct for s in self.segments]
        speed_t, speed_v = self._ramp_knots(speeds, SPEED_RAMP_MS2, initial=0.0, stop_early=True)
        grade_t, grade_v = self._ramp_knots(grades, GRADE_RAMP_PCT_S, initial=grades[0], stop_early=False)
        return np.interp(t, speed_t, speed_v), np.interp(t, grade_t, grade_v), activity

    def _ramp_knots(self, targets: list[float], rate: float, initial: float,
                    stop_early: bool) -> tuple[np.ndarray, np.ndarray]:
        """Knots (s, value) of the piecewise-linear, rate-limited profile through the segment targets."""
        edges = self.boundaries_s()
        times, values = [edges[0]], [float(initial)]
        for k in range(len(targets)):
            start, end, goal = edges[k], edges[k + 1], float(targets[k])
            cur = values[-1]
            if goal == cur:
                continue
            step = np.sign(goal - cur) * rate  # value change per second
            if stop_early and goal == 0.0:
                # Slow down before the boundary, but not before the last knot (an earlier ramp).
                begin = max(start - abs(goal - cur) / rate, times[-1])
                if begin < start:
                    cur += step * (start - begin)
                    times += [begin, start]
                    values += [values[-1], cur]
                if cur == goal or abs(cur - goal) < 1e-12:
                    values[-1] = goal
                    continue
            stop = start + abs(goal - cur) / rate
            times += [start, min(stop, end)]
            values += [cur, goal if stop <= end else cur + step * (end - start)]
        times.append(max(edges[-1], times[-1]))
        values.append(values[-1])
        return np.asarray(times), np.asarray(values)


def locomotion_activity(activity_idx: np.ndarray, speed_ms: np.ndarray, walk_run_speed_ms: float) -> np.ndarray:
    """The gait actually used: "walking"/"running" by speed, everything else unchanged.

    activity_idx: int indices into ACTIVITIES; speed_ms: horizontal speed (m/s), same shape.
    Walking and running segments become running at or above walk_run_speed_ms (m/s) and walking
    below it (a running segment's speed-up from a walk is walked). Returns int8 indices.
    """
    a = np.asarray(activity_idx, dtype=np.int8)
    v = np.broadcast_to(np.asarray(speed_ms, dtype=np.float64), a.shape)
    gait = (a == _IDX["walking"]) | (a == _IDX["running"])
    out = a.copy()
    out[gait] = np.where(v[gait] >= walk_run_speed_ms, _IDX["running"], _IDX["walking"])
    return out


def stair_vertical_speed_ms(activity_idx: np.ndarray, speed_ms: np.ndarray) -> np.ndarray:
    """Signed vertical speed on stairs (m/s, + up): horizontal speed * STAIR_RISE_M / STAIR_GOING_M.

    Zero for every activity other than "upstairs" / "downstairs".
    """
    a = np.asarray(activity_idx)
    v = np.asarray(speed_ms, dtype=np.float64) * (STAIR_RISE_M / STAIR_GOING_M)
    return np.where(a == _IDX["upstairs"], v, np.where(a == _IDX["downstairs"], -v, 0.0))


# --------------------------------------------------------------------------- builders

def bruce() -> Protocol:
    """The Bruce treadmill protocol as specified in the project paper (table in docs/physiology.md).

    Stages: 2.575 km/h 0 % 1 min; 4.345 km/h 10 % 3 min; 4.345 km/h 12 % 3 min;
    6.437 km/h 14 % 3 min; cool-down 0 km/h 0 % 3 min (standing on the stopped belt).
    """
    return Protocol("bruce", (
        Segment(60.0, "walking", 2.575 / 3.6, 0.0),
        Segment(180.0, "walking", 4.345 / 3.6, 10.0),
        Segment(180.0, "walking", 4.345 / 3.6, 12.0),
        Segment(180.0, "walking", 6.437 / 3.6, 14.0),
        Segment(180.0, "standing", 0.0, 0.0),
    ))


def _fill(name: str, duration_s: float, lead: list[Segment], draw) -> Protocol:
    """Append segments from draw() until duration_s; the last one is cut to fit exactly.

    A remainder shorter than MIN_SEGMENT_S is added to the previous segment instead.
    """
    if not duration_s >= 2 * MIN_SEGMENT_S:
        raise ConfigError(f"protocol {name}: duration {duration_s:g} s is too short (at least {2 * MIN_SEGMENT_S:g} s)")
    segs = list(lead)
    total = sum(s.duration_s for s in segs)
    while duration_s - total > 1e-6:
        for s in draw():
            left = round(duration_s - total, 6)  # durations are whole 0.1 s; keep float dust out
            if left <= 0:
                break
            if s.duration_s > left:
                s = Segment(left, s.activity, s.speed_ms, s.grade_pct)
            if s.duration_s < MIN_SEGMENT_S:
                p = segs[-1]
                segs[-1] = Segment(p.duration_s + s.duration_s, p.activity, p.speed_ms, p.grade_pct)
            else:
                segs.append(s)
            total += s.duration_s
    return Protocol(name, tuple(segs))


def _dur(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.round(rng.uniform(lo, hi), 1))


def free_walk(rng: np.random.Generator, duration_s: float = 600.0) -> Protocol:
    """Level walking at varying speeds: 30-120 s bouts at 0.6-1.9 m/s, with 10-20 s standing pauses.

    Starts with 10 s of standing. rng drives every choice; duration_s in s.
    """
    def draw():
        bout = [Segment(_dur(rng, 30, 120), "walking", float(np.round(rng.uniform(0.6, 1.9), 2)))]
        if rng.random() < 0.3:
            bout.append(Segment(_dur(rng, 10, 20), "standing"))
        return bout
    return _fill("free_walk", duration_s, [Segment(MIN_SEGMENT_S, "standing")], draw)


def running(rng: np.random.Generator, duration_s: float = 600.0) -> Protocol:
    """10 s standing, a 60-120 s warm-up walk at 1.2-1.6 m/s, then 60-180 s runs at 2.2-4.5 m/s.

    rng drives every choice; duration_s in s.
    """
    lead = [Segment(MIN_SEGMENT_S, "standing"),
            Segment(_dur(rng, 60, 120), "walking", float(np.round(rng.uniform(1.2, 1.6), 2)))]
    return _fill("running", duration_s, lead,
                 lambda: [Segment(_dur(rng, 60, 180), "running", float(np.round(rng.uniform(2.2, 4.5), 2)))])


# Plausible next activities in daily living (one cannot walk straight out of lying down).
_DAILY_NEXT = {
    "standing": (("walking", "sitting", "upstairs", "downstairs"), (0.5, 0.3, 0.1, 0.1)),
    "walking": (("standing", "upstairs", "downstairs", "sitting"), (0.4, 0.2, 0.2, 0.2)),
    "sitting": (("standing", "laying"), (0.7, 0.3)),
    "laying": (("sitting",), (1.0,)),
    "upstairs": (("walking", "standing"), (0.7, 0.3)),
    "downstairs": (("walking", "standing"), (0.7, 0.3)),
}
_DAILY_DURATION_S = {"standing": (10, 60), "sitting": (20, 90), "laying": (20, 90),
                     "walking": (15, 60), "upstairs": (10, 30), "downstairs": (10, 30)}


def _activity_segment(rng: np.random.Generator, activity: str, duration_s: float) -> Segment:
    if activity == "walking":
        return Segment(duration_s, activity, float(np.round(rng.uniform(0.8, 1.6), 2)))
    if activity in ("upstairs", "downstairs"):
        return Segment(duration_s, activity, float(np.round(rng.uniform(0.35, 0.5), 2)))
    return Segment(duration_s, activity)


def daily_living(rng: np.random.Generator, duration_s: float = 600.0) -> Protocol:
    """Standing, sitting, laying, walking and stairs up/down mixed by a plausible-transition chain.

    Every segment lasts at least MIN_SEGMENT_S (10 s). rng drives every choice; duration_s in s.
    """
    state = ["standing"]

    def draw():
        names, p = _DAILY_NEXT[state[0]]
        state[0] = names[int(rng.choice(len(names), p=p))]
        return [_activity_segment(rng, state[0], _dur(rng, *_DAILY_DURATION_S[state[0]]))]
    return _fill("daily_living", duration_s, [Segment(MIN_SEGMENT_S, "standing")], draw)


def stairs(rng: np.random.Generator, duration_s: float = 300.0) -> Protocol:
    """Flights up and down: upstairs 10-30 s, a 10-15 s level walk on the landing, downstairs, a pause.

    Starts with 10 s of standing. rng drives every choice; duration_s in s.
    """
    def draw():
        flight = _dur(rng, 10, 30)
        return [_activity_segment(rng, "upstairs", flight),
                Segment(_dur(rng, 10, 15), "walking", 1.0),
                _activity_segment(rng, "downstairs", flight),
                Segment(_dur(rng, 10, 20), "standing")]
    return _fill("stairs", duration_s, [Segment(MIN_SEGMENT_S, "standing")], draw)


GENERATED = {"free_walk": free_walk, "running": running, "daily_living": daily_living, "stairs": stairs}
NAMES = ("bruce", *GENERATED)


def by_name(name: str, rng: np.random.Generator, duration_s: float | None = None) -> Protocol:
    """A protocol by CLI name ("bruce", "free_walk", "running", "daily_living", "stairs") or a .yaml path.

    duration_s (s) applies to the generated protocols only; their defaults otherwise.
    Raises ConfigError for an unknown name or a duration given for a fixed protocol.
    """
    if name.endswith((".yaml", ".yml")):
        if duration_s is not None:
            raise ConfigError(f"a duration cannot be given for the YAML schedule {name}; it sets its own")
        return from_yaml(name)
    if name == "bruce":
        if duration_s is not None:
            raise ConfigError("a duration cannot be given for the Bruce protocol (fixed 13 min)")
        return bruce()
    if name not in GENERATED:
        raise ConfigError(f"unknown protocol {name!r}: use one of {', '.join(NAMES)} or a .yaml schedule")
    return GENERATED[name](rng) if duration_s is None else GENERATED[name](rng, duration_s)


# --------------------------------------------------------------------------- YAML schedules

SCHEDULE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["segments"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "segments": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["activity"],
            "additionalProperties": False,
            "properties": {
                "activity": {"enum": list(ACTIVITIES)},
                "duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
                "duration_min": {"type": "number", "exclusiveMinimum": 0, "maximum": 1440},
                "speed_ms": {"type": "number", "minimum": 0, "maximum": 10},
                "speed_kmh": {"type": "number", "minimum": 0, "maximum": 36},
                "grade_pct": {"type": "number", "minimum": -25, "maximum": 40},
            },
        }},
    },
}


def _node_at(node, path) -> "yaml.Node | None":
    """The YAML node at a JSON-schema error path (for its line and column)."""
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), node)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
    return node


def _where(path: Path, node) -> str:
    if node is None:
        return str(path)
    return f"{path}, line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


def from_yaml(path: str | Path) -> Protocol:
    """Read a schedule from a YAML file (schema: SCHEDULE_SCHEMA, documented in docs/physiology.md).

    Each segment has an activity, one of duration_s / duration_min, for walking/running/stairs one of
    speed_ms / speed_kmh (stairs default to 0.45 m/s), and optionally grade_pct (walking/running).
    The protocol name is `name`, or the file stem. Raises ConfigError naming the file, line,
    column, segment index and field of the first problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read schedule {path}: {e}") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(e, 'problem', None) or e}") from None
    errors = sorted(jsonschema.Draft202012Validator(SCHEDULE_SCHEMA).iter_errors(data),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        e = jsonschema.exceptions.best_match(errors)
        loc = list(e.absolute_path)
        what = ""
        if len(loc) >= 2 and loc[0] == "segments":
            what = f"segment {loc[1]}" + (f", field {loc[2]!r}" if len(loc) > 2 else "") + ": "
        elif loc:
            what = f"field {loc[0]!r}: "
        raise ConfigError(f"{_where(path, _node_at(root, loc))}: {what}{e.message}")
    segments = []
    for i, raw in enumerate(data["segments"]):
        node = _node_at(root, ["segments", i])

        def fail(msg: str):
            raise ConfigError(f"{_where(path, node)}: segment {i}: {msg}")
        segments.append(_segment_from_dict(raw, fail))
    return Protocol(str(data.get("name") or path.stem), tuple(segments))


def _segment_from_dict(raw: dict, fail) -> Segment:
    """One validated Segment from a schema-checked dict; fail(message) reports cross-field problems."""
    activity = raw["activity"]
    if ("duration_s" in raw) == ("duration_min" in raw):
        fail("give exactly one of duration_s, duration_min")
    duration = float(raw["duration_s"]) if "duration_s" in raw else 60.0 * float(raw["duration_min"])
    if "speed_ms" in raw and "speed_kmh" in raw:
        fail("give at most one of speed_ms, speed_kmh")
    speed = float(raw["speed_ms"]) if "speed_ms" in raw else float(raw.get("speed_kmh", 0.0)) / 3.6
    has_speed = "speed_ms" in raw or "speed_kmh" in raw
    grade = float(raw.get("grade_pct", 0.0))
    if activity in STATIC:
        if speed != 0.0:
            fail(f"field 'speed': {activity} has no speed (got {speed:g} m/s)")
        if grade != 0.0:
            fail(f"field 'grade_pct': {activity} has no grade (got {grade:g} %)")
    elif activity in ("upstairs", "downstairs"):
        if grade != 0.0:
            fail(f"field 'grade_pct': {activity} has no grade; the stair geometry sets the climb")
        speed = speed if has_speed else STAIR_DEFAULT_SPEED_MS
        if not 0.2 <= speed <= 1.0:
            fail(f"field 'speed': {speed:g} m/s on stairs is outside 0.2-1.0 m/s")
    elif not has_speed or speed <= 0.0:
        fail(f"field 'speed': {activity} needs a speed above 0 (speed_ms or speed_kmh)")
    return Segment(duration, activity, speed, grade)
