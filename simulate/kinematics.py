"""Segment kinematics of the shank or foot, driven by the stride table, on a fine time grid.

Frames (docs/simulator.md, "Frames"): world X forward (initial heading), Y left, Z up; segment
(anatomical) x anterior, y superior (along the segment / up from the sole), z right. Sagittal
angles rotate about the segment z axis: shank angle theta > 0 = ankle in front of the knee,
foot angle psi > 0 = toes up. Outputs are noise-free: the sensor model adds the sensor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline, PchipInterpolator
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, sosfiltfilt
from scipy.spatial.transform import Rotation

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import ACTIVITIES, SIDES, STANDARD_GRAVITY as G
from gaitnode.simulate.gait import DOWN, RUN, UP, initial_pushoffs, terminal_contacts
from gaitnode.simulate.protocols import STAIR_GOING_M, STAIR_RISE_M, Protocol
from gaitnode.simulate.subjects import SubjectParams

SMOOTH_ACC_HZ = 20.0  # low-pass of the rigid-body (non-impact) acceleration
# World from segment at the neutral pose: x_seg -> X, y_seg -> Z, z_seg -> -Y (right).
_NEUTRAL = Rotation.from_matrix([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
SITTING, STANDING, LAYING = (ACTIVITIES.index(a) for a in ("sitting", "standing", "laying"))

# Sagittal keypoints (deg) per gait mode and segment (after Winter 2009, Perry & Burnfield 2010,
# Novacheck 1998, McFadyen & Winter 1988; see docs/simulator.md). Stance points are
# (event, fraction towards the next event, angle) with events 0 HS, 1 FF, 2 HO, 3 TO; swing points
# (fraction of toe off -> next heel strike, angle). Angles scale with stride length / leg length.
_WALK = {
    "shank": ([(0, 0, 21), (1, 0, 14), (1, .5, 2), (2, 0, -14), (2, .5, -30), (3, 0, -44)],
              [(.12, -50), (.5, -6), (.85, 31)]),
    "foot": ([(0, 0, 18), (0, .35, 10), (1, 0, 0), (2, 0, 0), (2, .5, -12), (3, 0, -58)],
             [(.2, -45), (.5, -12), (.8, 12)]),
}
_RUN = {
    "shank": ([(0, 0, 10), (1, 0, 6), (2, 0, -18), (3, 0, -48)], [(.15, -80), (.5, -20), (.82, 38)]),
    "foot": ([(0, 0, 9), (1, 0, 0), (2, 0, 0), (2, .5, -18), (3, 0, -62)], [(.2, -85), (.55, -25), (.85, 15)]),
}
_UP = {
    "shank": ([(0, 0, -22), (1, 0, -18), (1, .5, -8), (2, 0, -4), (2, .5, -20), (3, 0, -38)],
              [(.25, -58), (.6, -18), (.85, -14)]),
    "foot": ([(0, 0, -4), (1, 0, 0), (2, 0, 0), (2, .5, -12), (3, 0, -40)], [(.25, -45), (.55, -5), (.85, 4)]),
}
_DOWN = {
    "shank": ([(0, 0, 12), (1, 0, 8), (1, .5, -10), (2, 0, -25), (2, .5, -32), (3, 0, -38)],
              [(.2, -42), (.55, 0), (.85, 18)]),
    "foot": ([(0, 0, -25), (1, 0, 0), (2, 0, 0), (2, .5, -10), (3, 0, -28)], [(.3, -22), (.6, -10), (.85, -22)]),
}
_SHAPES = {RUN: _RUN, UP: _UP, DOWN: _DOWN}
# Reference stride length / leg length at which the keypoint angles apply unscaled.
_REF_STRIDE_PER_LEG = {RUN: 2.4}
_REF_STRIDE_PER_LEG_WALK = 1.55
SIM_PLACEMENTS = ("shank", "foot")  # the segments this module (and so the simulator) models
SHANK_SENSOR_HEIGHT = 0.6  # shank sensor height above the ankle, fraction of shank length
CALF_RADIUS_M = 0.05  # distance of the sensor from the shank's long axis
# Per-session style variation of the keypoint curves (see SegmentKinematics._draw_style).
STYLE_KEY_DEG = 3.0
STYLE_GAIN = 0.06


class SegmentKinematics:
    """Noise-free motion of one segment (shank or foot) of one leg on a fine time grid.

    Parameters: placement ("shank" | "foot"), side ("left" | "right"), fine_rate_hz (grid rate, Hz),
    treadmill (constant heading when True), impact_scale (multiplies heel-strike transients),
    sensor_offset_m (sensor position in the segment frame relative to the ankle joint centre, m;
    None = derived: on the calf surface SHANK_SENSOR_HEIGHT up the shank, or the foot dorsum),
    mounting (3x3 sensor-to-segment rotation, used for that derivation: a shank sensor sits on
    the calf where its z axis points out of the skin; None = on the lateral side).

    `compute(subject, protocol, strides, rng, t_end)` fills:
      t_ (s, [N]), R_world_from_segment_ ([N, 3, 3] rotation matrices), acc_seg_ (specific force, m/s^2,
      segment frame, [N, 3]), gyr_seg_ (angular velocity, deg/s, segment frame), mag_seg_ (uT,
      segment frame), pitch_deg_ (sagittal angle), field_world_ (earth + disturbance field, uT,
      world frame), impact_times_ (contact times that got a transient, s), style_ (this session's
      sagittal keypoints per gait mode and segment, see _draw_style).
    """

    def __init__(self, placement: str = "shank", side: str = "left", fine_rate_hz: float = 1000.0,
                 treadmill: bool = False, impact_scale: float = 1.0, sensor_offset_m=None, mounting=None):
        if placement not in SIM_PLACEMENTS:
            raise GaitnodeError(f"simulator placement {placement!r} is not supported (shank or foot)")
        if side not in SIDES:
            raise GaitnodeError(f"side {side!r} is not one of {', '.join(SIDES)}")
        if not 200.0 <= fine_rate_hz <= 5000.0:
            raise GaitnodeError(f"fine_rate_hz {fine_rate_hz} is outside 200-5000 Hz")
        self.placement = placement
        self.side = side
        self.fine_rate_hz = float(fine_rate_hz)
        self.treadmill = bool(treadmill)
        self.impact_scale = float(impact_scale)
        self.sensor_offset_m = None if sensor_offset_m is None else np.asarray(sensor_offset_m, float).reshape(3)
        self.mounting = None if mounting is None else np.asarray(mounting, float).reshape(3, 3)

    # ------------------------------------------------------------------ public action
    def compute(self, subject: SubjectParams, protocol: Protocol, strides: pd.DataFrame,
                rng: np.random.Generator, t_end: float | None = None) -> "SegmentKinematics":
        """Simulate the segment from 0 to t_end (s; default the protocol duration). Returns self."""
        t_end = protocol.duration_s if t_end is None else float(t_end)
        dt = 1.0 / self.fine_rate_hz
        t = np.arange(0.0, t_end + 0.05, dt)
        speed, grade, act = protocol.sample(t)
        s = SIDES.index(self.side)
        leg = strides[strides["side"] == s].sort_values("t_hs")
        r_pose = np.random.default_rng(rng.integers(2 ** 63))
        r_yaw = np.random.default_rng(rng.integers(2 ** 63))
        r_mag = np.random.default_rng(rng.integers(2 ** 63))
        r_imp = np.random.default_rng(rng.integers(2 ** 63))
        self.style_ = self._draw_style(np.random.default_rng(rng.integers(2 ** 63)))

        theta, psi = self._posture_angles(t, act, r_pose)
        in_gait = np.zeros(len(t), bool)
        ankle = np.zeros((len(t), 2))
        slope_dist = self._surface(t, speed, grade, strides)
        ankle[:, 1] = 0.039 * subject.height_m
        for _, grp in leg.groupby("bout"):
            self._bout(t, grp, strides, subject, theta, psi, ankle, in_gait, slope_dist, r_pose)
        self._hold_between_bouts(ankle, in_gait, t, leg, strides)

        frontal, transverse = self._out_of_plane(t, leg, in_gait, r_pose)
        yaw = self._heading(t, in_gait, r_yaw)
        pitch = theta if self.placement == "shank" else psi
        rot = (_axis_rot(2, yaw) @ _NEUTRAL.as_matrix() @ _axis_rot(2, np.radians(pitch))
               @ _axis_rot(0, np.radians(frontal)) @ _axis_rot(1, np.radians(transverse)))

        acc_world = self._acceleration(t, ankle, yaw, rot, subject)
        f_world = acc_world + np.array([0.0, 0.0, G])
        acc_seg = np.einsum("nji,nj->ni", rot, f_world)  # R^T f
        gyr_seg = np.degrees(_body_rate(rot, dt))
        self.impact_times_ = self._impacts(t, leg, strides, acc_seg, gyr_seg, r_imp)
        field = _earth_field(t, self.treadmill, r_mag)

        self.t_ = t
        self.R_world_from_segment_ = rot
        self.pitch_deg_ = pitch
        self.yaw_rad_ = yaw
        self.acc_seg_ = acc_seg
        self.gyr_seg_ = gyr_seg
        self.field_world_ = field
        self.mag_seg_ = np.einsum("nji,nj->ni", rot, field)
        self.in_gait_ = in_gait
        return self

    @staticmethod
    def _draw_style(rng) -> dict:
        """Per-session gait style, so simulated people do not share one exact curve shape.

        Returns {(mode, segment): (stance, swing)} keypoints (mode None = walking) with each angle
        shifted (SD STYLE_KEY_DEG) and each curve scaled (SD STYLE_GAIN); foot-flat keypoints
        (0 deg) stay exactly flat.
        """
        style = {}
        for mode, shapes in {None: _WALK, **_SHAPES}.items():
            for seg, (stance, swing) in shapes.items():
                gain = rng.normal(1.0, STYLE_GAIN)
                st = [(e, f, v if (seg == "foot" and v == 0) else gain * v + rng.normal(0.0, STYLE_KEY_DEG))
                      for e, f, v in stance]
                sw = [(u, gain * v + rng.normal(0.0, STYLE_KEY_DEG)) for u, v in swing]
                style[(mode, seg)] = (st, sw)
        return style

    def _styled_shape(self, mode: int, segment: str):
        return self.style_[(mode if mode in _SHAPES else None, segment)]

    # ------------------------------------------------------------------ postures
    def _posture_angles(self, t, act, rng):
        """Static segment angles (deg) per activity with ~1 s transitions and postural sway."""
        n = len(t)
        seg_starts = np.flatnonzero(np.diff(np.concatenate([[-99], act])) != 0)
        th_target, ps_target = np.zeros(n), np.zeros(n)
        for i, a in enumerate(seg_starts):
            b = seg_starts[i + 1] if i + 1 < len(seg_starts) else n
            code = int(act[a])
            if code == SITTING:  # knee ~90-110 deg: shank near vertical, feet a little forward
                th, ps = rng.uniform(-5, 25), rng.uniform(-5, 10)
            elif code == LAYING:  # supine: shank horizontal, foot pointing up and plantarflexed
                th, ps = rng.uniform(80, 95), rng.uniform(55, 80)
            else:  # standing (and the standing phases around gait)
                th, ps = rng.uniform(-3, 5), 0.0
            th_target[a:b], ps_target[a:b] = th, ps
        win = max(int(1.0 * self.fine_rate_hz), 1)  # ~1 s transitions (moving average)
        theta = uniform_filter1d(uniform_filter1d(th_target, win, mode="nearest"), win, mode="nearest")
        psi = uniform_filter1d(uniform_filter1d(ps_target, win, mode="nearest"), win, mode="nearest")
        theta += _smooth_noise(rng, n, self.fine_rate_hz, 0.5, 0.4)
        return theta, psi

    # ------------------------------------------------------------------ gait
    def _surface(self, t, speed, grade, strides):
        """Distance along the path (m) and height of the walking surface (m) at each time."""
        dt = t[1] - t[0]
        dist = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * dt)])
        # Stairs climb rise/going per metre; a treadmill grade g % climbs g/100 (belt frame).
        rise = grade / 100.0
        if len(strides):
            i0 = np.searchsorted(t, strides["t_hs"].to_numpy())
            i1 = np.searchsorted(t, strides["t_next_hs"].to_numpy())
            for a, b, m in zip(i0, i1, strides["activity"].to_numpy()):
                if m == UP:
                    rise[a:b] = STAIR_RISE_M / STAIR_GOING_M
                elif m == DOWN:
                    rise[a:b] = -STAIR_RISE_M / STAIR_GOING_M
        height = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] * rise[1:] + speed[:-1] * rise[:-1]) * dt)])
        return dist, height

    def _bout(self, t, grp, strides, subject, theta, psi, ankle, in_gait, surface, rng):
        """Angles and ankle path of one leg for one walking bout, written into the arrays in place."""
        dist, height = surface
        init = initial_pushoffs(strides)
        init = init[(init["bout"] == grp["bout"].iloc[0])]
        onset = float(init["t_ho_prev"].min())
        term = terminal_contacts(grp).iloc[0]
        t_start = min(onset, float(grp["t_ho_prev"].iloc[0])) - 0.3
        t_stop = float(term.t_ff) + 0.4
        k0, k1 = np.searchsorted(t, [t_start, t_stop])
        k1 = min(k1, len(t) - 1)
        tt = t[k0:k1 + 1]
        leg_len = subject.leg_length_m
        keys = {"shank": ([t[k0]], [theta[k0]]), "foot": ([t[k0]], [psi[k0]])}
        slope = np.degrees(np.arctan(grp["grade_pct"].to_numpy() / 100.0))
        scale_noise = rng.normal(1.0, 0.04, len(grp))
        rows = list(grp.itertuples())
        for j, r in enumerate(rows):
            ref = _REF_STRIDE_PER_LEG.get(r.activity, _REF_STRIDE_PER_LEG_WALK)
            a = float(np.clip(r.stride_length_m / leg_len / ref, 0.45, 1.35)) * scale_noise[j]
            for seg in SIM_PLACEMENTS:
                stance, swing = self._styled_shape(r.activity, seg)
                off = slope[j] if seg == "foot" else -0.5 * slope[j]
                if j == 0:  # gait initiation: push-off and first swing
                    ev = (np.nan, np.nan, r.t_ho_prev, r.t_to_prev, r.t_hs)
                    for e, f, v in stance:
                        if e >= 2:
                            keys[seg][0].append(ev[e] + f * (ev[e + 1] - ev[e]) if e < 3 else ev[e])
                            keys[seg][1].append(0.75 * a * v + off)
                    for u, v in swing:
                        keys[seg][0].append(r.t_to_prev + u * (r.t_hs - r.t_to_prev))
                        keys[seg][1].append(a * v + off)
                ev = (r.t_hs, r.t_ff, r.t_ho, r.t_to, r.t_next_hs)
                for e, f, v in stance:
                    keys[seg][0].append(ev[e] + f * (ev[e + 1] - ev[e]))
                    keys[seg][1].append(a * v + off)
                for u, v in swing:
                    keys[seg][0].append(r.t_to + u * (r.t_next_hs - r.t_to))
                    keys[seg][1].append(a * v + off)
        # Final step: land, come flat, stand.
        last = rows[-1]
        for seg in SIM_PLACEMENTS:
            stance, _ = self._styled_shape(last.activity, seg)
            off = slope[-1] if seg == "foot" else -0.5 * slope[-1]
            keys[seg][0].extend([term.t_hs, term.t_ff, tt[-1]])
            keys[seg][1].extend([a * stance[0][2] + off, a * stance[1][2] * (seg == "shank") + off,
                             (theta if seg == "shank" else psi)[k1]])
        kt, kv = (np.asarray(x) for x in keys["shank"])
        o = np.argsort(kt, kind="stable")
        kt, kv = _dedupe(kt[o], kv[o])
        theta[k0:k1 + 1] = CubicSpline(kt, kv, bc_type="clamped")(tt)
        kt, kv = (np.asarray(x) for x in keys["foot"])
        o = np.argsort(kt, kind="stable")
        kt, kv = _dedupe(kt[o], kv[o])
        psi[k0:k1 + 1] = PchipInterpolator(kt, kv)(tt)  # PCHIP keeps foot flat exactly flat
        in_gait[k0:k1 + 1] = True
        self._ankle_path(t, k0, k1, grp, term, theta, psi, ankle, dist, height, subject)

    def _ankle_path(self, t, k0, k1, grp, term, theta, psi, ankle, dist, height, subject):
        """Ankle joint centre (forward, up; m) from contact mechanics and swing trajectories.

        Stance: the foot pivots about the heel (psi above the surface angle) or the ball (below it)
        of its contact, so the contact point does not slide. Swing: a reference point moves on a
        cubic Hermite curve between its toe-off and heel-strike states plus a clearance bump
        64 u^3 (1-u)^3 (zero slope and curvature at both ends); the reference point is the knee for
        the shank (it travels smoothly, the ankle follows from theta) and the ankle for the foot.
        """
        lf, ha = subject.foot_length_m, 0.039 * subject.height_m
        heel, ball = np.array([-0.2 * lf, -ha]), np.array([0.52 * lf, -ha])
        ref_local = np.array([0.0, subject.shank_length_m]) if self.placement == "shank" else np.zeros(2)
        lift0 = 0.02 if self.placement == "shank" else 0.05

        def surf(tc):
            return float(np.interp(tc, t, dist)), float(np.interp(tc, t, height))

        rows = list(grp.itertuples())
        # Contacts (time, forward, up): the initial standing one, one per stride, the final one.
        x0, z0 = surf(rows[0].t_ho_prev)
        contacts = [(t[k0], x0 - 0.5 * max(rows[0].stride_length_m, 0.2), z0)]
        contacts += [(r.t_hs, *surf(r.t_hs)) for r in rows]
        contacts.append((term.t_hs, *surf(term.t_hs)))
        g = grp["grade_pct"].to_numpy()
        flat = np.arctan(np.concatenate([g[:1], g, g[-1:]]) / 100.0)
        to_times = [r.t_to_prev for r in rows] + [rows[-1].t_to]
        tt = t[k0:k1 + 1]
        p = np.radians(psi[k0:k1 + 1])
        th = np.radians(theta[k0:k1 + 1])
        out = np.empty((len(tt), 2))

        def stance_ankle(c, pp):
            a_flat = np.array([contacts[c][1], contacts[c][2] + ha])
            hp, bp = a_flat + _rot2(flat[c], heel), a_flat + _rot2(flat[c], ball)
            pp = np.atleast_1d(pp)
            return np.where((pp >= flat[c])[:, None], hp - _rot2(pp, heel), bp - _rot2(pp, ball))

        def ref_state(c, tc):
            """Reference point position and velocity at time tc while contact c holds."""
            h = 1e-4
            tq = np.array([tc - h, tc, tc + h])
            q = stance_ankle(c, np.interp(tq, tt, p)) + _rot2(np.interp(tq, tt, th), ref_local)
            return q[1], (q[2] - q[0]) / (2 * h)

        for c in range(len(contacts)):
            a_t = contacts[c][0]
            b_t = to_times[c] if c < len(to_times) else tt[-1] + 1.0
            m = slice(*np.searchsorted(tt, [a_t, b_t]))
            out[m] = stance_ankle(c, p[m])
            if c < len(to_times):
                nxt = contacts[c + 1][0]
                m = slice(*np.searchsorted(tt, [b_t, nxt]))
                p0, v0 = ref_state(c, b_t)
                p1, v1 = ref_state(c + 1, nxt)
                T = nxt - b_t
                u = (tt[m] - b_t) / T
                h00, h10 = 2 * u ** 3 - 3 * u ** 2 + 1, u ** 3 - 2 * u ** 2 + u
                h01, h11 = -2 * u ** 3 + 3 * u ** 2, u ** 3 - u ** 2
                path = h00[:, None] * p0 + h10[:, None] * T * v0 + h01[:, None] * p1 + h11[:, None] * T * v1
                lift = lift0 + 0.5 * abs(contacts[c + 1][2] - contacts[c][2])
                path[:, 1] += lift * 64.0 * u ** 3 * (1 - u) ** 3
                out[m] = path - _rot2(th[m], ref_local)
        ankle[k0:k1 + 1] = out

    def _hold_between_bouts(self, ankle, in_gait, t, leg, strides):
        """Outside bouts the ankle stays where the last bout left it (no translation when static)."""
        last = ankle[0].copy()
        edges = np.flatnonzero(np.diff(np.concatenate([[0], in_gait.astype(np.int8), [0]])))
        starts, stops = edges[::2], edges[1::2]
        prev = 0
        for a, b in zip(starts, stops):
            ankle[prev:a] = last
            shift = ankle[a] - last  # make the bout start where the foot stands
            ankle[a:b] -= shift
            last = ankle[b - 1].copy()
            prev = b
        ankle[prev:] = last

    def _out_of_plane(self, t, leg, in_gait, rng):
        """Frontal and transverse angles (deg): cycle-locked oscillations in gait plus sway."""
        n = len(t)
        cyc = np.zeros(n)
        if len(leg):
            hs = np.concatenate([leg["t_hs"].to_numpy(), leg["t_next_hs"].to_numpy()[-1:]])
            hs = np.unique(hs)
            cyc = np.interp(t, hs, np.arange(len(hs)))
        env = uniform_filter1d(in_gait.astype(float), max(int(0.5 * self.fine_rate_hz), 1))
        a_fr, a_tr = (rng.uniform(2, 5), rng.uniform(3, 8)) if self.placement == "shank" else \
            (rng.uniform(3, 7), rng.uniform(2, 6))
        c1, c2 = rng.uniform(0, 2 * np.pi, 2)
        frontal = env * a_fr * np.sin(2 * np.pi * cyc + c1) + _smooth_noise(rng, n, self.fine_rate_hz, 0.3, 0.5)
        transverse = env * a_tr * np.sin(2 * np.pi * cyc + c2) + _smooth_noise(rng, n, self.fine_rate_hz, 0.4, 0.5)
        return frontal, transverse

    def _heading(self, t, in_gait, rng):
        """Heading (rad): constant on a treadmill; overground it wanders and turns while walking."""
        n = len(t)
        yaw = np.full(n, rng.uniform(-np.pi, np.pi))
        # Standing sway ~0.3 deg; while walking overground the path wanders (integrated noise).
        yaw += np.radians(_smooth_noise(rng, n, self.fine_rate_hz, 0.3, 0.3))
        env = uniform_filter1d(in_gait.astype(float), max(int(0.5 * self.fine_rate_hz), 1))
        wander = np.radians(1.0 if self.treadmill else 4.0) * _smooth_noise(rng, n, self.fine_rate_hz, 1.0, 0.5)
        yaw += np.cumsum(wander * env) / self.fine_rate_hz
        if not self.treadmill:
            dur = t[-1] - t[0]
            n_turns = rng.poisson(dur / 25.0)
            for tc in np.sort(rng.uniform(t[0], t[-1], n_turns)):
                k = min(np.searchsorted(t, tc), n - 1)
                if not in_gait[k]:
                    continue
                ang = rng.choice([-1, 1]) * rng.uniform(np.pi / 4, np.pi)
                width = rng.uniform(1.0, 2.5)
                u = np.clip((t - tc) / width, 0.0, 1.0)
                yaw += ang * (u * u * (3 - 2 * u))
        return yaw

    def _acceleration(self, t, ankle, yaw, rot, subject):
        """World acceleration of the sensor point (m/s^2): ankle path plus the lever arm R r."""
        dt = t[1] - t[0]
        # Ankle: sagittal path acceleration rotated by the heading, plus v * yaw_rate sideways.
        vx = np.gradient(ankle[:, 0], dt)
        ax, az = np.gradient(vx, dt), np.gradient(np.gradient(ankle[:, 1], dt), dt)
        yaw_rate = np.gradient(yaw, dt)
        c, s = np.cos(yaw), np.sin(yaw)
        acc = np.column_stack([ax * c - vx * yaw_rate * s, ax * s + vx * yaw_rate * c, az])
        r_local = self.sensor_offset(subject)
        lever = rot @ r_local
        acc += np.gradient(np.gradient(lever, dt, axis=0), dt, axis=0)
        # Rigid-body kinematics from C1 keypoint curves has acceleration steps at the keypoints and
        # contact switches; shoe and soft tissue smooth them: zero-phase low-pass at 20 Hz.
        # (Impact transients are added afterwards, unfiltered.)
        sos = butter(2, SMOOTH_ACC_HZ / (self.fine_rate_hz / 2), output="sos")
        return sosfiltfilt(sos, acc, axis=0)

    def sensor_offset(self, subject: SubjectParams) -> np.ndarray:
        """Sensor position (m) in the segment frame relative to the ankle joint centre."""
        if self.sensor_offset_m is not None:
            return self.sensor_offset_m
        if self.placement == "foot":
            return np.array([0.3 * subject.foot_length_m, -0.005, 0.0])
        if self.mounting is None:  # lateral side: -z on the left leg, +z on the right
            radial = np.array([0.0, 0.0, -1.0 if self.side == "left" else 1.0])
        else:  # the sensor's z axis (out of the skin) projected on the shank's cross-section
            radial = self.mounting[:, 2].copy()
            radial[1] = 0.0
            radial /= max(np.linalg.norm(radial), 1e-9)
        return np.array([0.0, SHANK_SENSOR_HEIGHT * subject.shank_length_m, 0.0]) + CALF_RADIUS_M * radial

    def _impacts(self, t, leg, strides, acc_seg, gyr_seg, rng):
        """Add heel-strike transients in place: damped sines starting exactly at contact.

        f(t) = A exp(-(t-t0)/tau) sin(2 pi f0 (t-t0)) for t >= t0, axial + anterior-posterior at the
        sensor, plus an angular-velocity jolt about z; a smaller one at foot flat when walking.
        """
        if not len(leg):
            return np.zeros(0)
        term = terminal_contacts(leg)
        times = np.concatenate([leg["t_hs"].to_numpy(), term["t_hs"].to_numpy()])
        modes = np.concatenate([leg["activity"].to_numpy(), term["activity"].to_numpy()])
        speeds = np.concatenate([leg["speed_ms"].to_numpy(), np.full(len(term), 0.5)])
        ff = np.concatenate([leg["t_ff"].to_numpy(), term["t_ff"].to_numpy()])
        session_gain = float(np.clip(np.exp(rng.normal(0.0, 0.1)), 0.85, 1.25)) * self.impact_scale  # shoes, surface, tissue
        placement_gain = 2.5 if self.placement == "foot" else 1.0
        dt = t[1] - t[0]
        span = int(0.12 / dt)
        for t0, m, v, tf in zip(times, modes, speeds, ff):
            if m == RUN:
                amp = G * (4.0 + 1.5 * v)
            elif m == UP:
                amp = G * 0.8
            elif m == DOWN:
                amp = G * 2.0
            else:
                amp = G * (1.5 + 1.8 * v)
            amp *= session_gain * placement_gain * rng.uniform(0.85, 1.15)
            for tc, gain in ((t0, 1.0), (tf, 0.25 if m != RUN else 0.0)):
                if gain == 0.0:
                    continue
                k = np.searchsorted(t, tc)
                sl = slice(k, min(k + span, len(t)))
                tau = t[sl] - tc
                f0, td = rng.uniform(25.0, 45.0), rng.uniform(0.008, 0.015)
                # Damped sine scaled so that its first (largest) peak is `gain`.
                t_pk = np.arctan(2 * np.pi * f0 * td) / (2 * np.pi * f0)
                peak = np.exp(-t_pk / td) * np.sin(2 * np.pi * f0 * t_pk)
                wave = gain / peak * np.exp(-tau / td) * np.sin(2 * np.pi * f0 * tau)
                direction = np.array([-0.35, 1.0, 0.15 * rng.standard_normal()])
                direction /= np.linalg.norm(direction)
                acc_seg[sl] += amp * wave[:, None] * direction
                gyr_seg[sl, 2] -= 15.0 * amp / G * wave  # deg/s: ~15 deg/s per g of impact
        return times


def _rot2(ang, v):
    """Rotate 2-D (forward, up) vector v by angle(s) ang (rad, + = toes up)."""
    c, s = np.cos(ang), np.sin(ang)
    return np.stack([v[0] * c - v[1] * s, v[0] * s + v[1] * c], axis=-1)


def _dedupe(kt, kv):
    """Drop keypoints closer than 1 ms to the previous one (splines need increasing knots)."""
    keep = np.concatenate([[True], np.diff(kt) > 1e-3])
    return kt[keep], kv[keep]


def _axis_rot(axis: int, ang) -> np.ndarray:
    """Rotation matrices [N, 3, 3] about a coordinate axis (0 x, 1 y, 2 z) by angles ang (rad)."""
    ang = np.asarray(ang, dtype=np.float64)
    c, s = np.cos(ang), np.sin(ang)
    m = np.zeros((len(ang), 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m[:, axis, axis] = 1.0
    m[:, i, i], m[:, j, j], m[:, i, j], m[:, j, i] = c, c, -s, s
    return m


def _body_rate(rot: np.ndarray, dt: float) -> np.ndarray:
    """Body-frame angular velocity (rad/s): log of R_k^T R_k+1 / dt, centred on the samples."""
    step = Rotation.from_matrix(np.einsum("nji,njk->nik", rot[:-1], rot[1:])).as_rotvec() / dt
    w = np.empty((len(rot), 3))
    w[1:-1] = 0.5 * (step[:-1] + step[1:])
    w[0], w[-1] = step[0], step[-1]
    return w


def _smooth_noise(rng, n, fs, rms, cutoff_hz):
    """Low-pass Gaussian noise with the given rms (same unit as rms) and cutoff (Hz)."""
    x = rng.standard_normal(n)
    if n < 32:
        return np.zeros(n)
    sos = butter(2, min(cutoff_hz / (fs / 2), 0.99), output="sos")
    y = sosfiltfilt(sos, x)
    sd = y.std()
    return y * (rms / sd) if sd > 0 else y


def _earth_field(t, treadmill, rng):
    """Earth field (uT, world frame) plus occasional soft disturbances; random per session.

    Total intensity 25-65 uT, inclination 40-75 deg (sign flipped for the southern hemisphere
    with probability 0.2), north at a random azimuth. Disturbances: ~1 per minute, Gaussian bumps
    of 2-15 uT lasting 1-5 s; a treadmill adds a constant 3-15 uT offset from its frame and motor.
    """
    total = rng.uniform(25.0, 65.0)
    incl = np.radians(rng.uniform(40.0, 75.0)) * (-1.0 if rng.random() < 0.2 else 1.0)
    az = rng.uniform(-np.pi, np.pi)
    base = total * np.array([np.cos(incl) * np.cos(az), np.cos(incl) * np.sin(az), -np.sin(incl)])
    field = np.tile(base, (len(t), 1))
    if treadmill:
        d = rng.standard_normal(3)
        field += rng.uniform(3.0, 15.0) * d / np.linalg.norm(d)
    for tc in rng.uniform(t[0], t[-1], rng.poisson((t[-1] - t[0]) / 60.0)):
        d = rng.standard_normal(3)
        width = rng.uniform(0.5, 2.5)
        field += (rng.uniform(2.0, 15.0) * np.exp(-0.5 * ((t - tc) / width) ** 2))[:, None] * (d / np.linalg.norm(d))
    return field
