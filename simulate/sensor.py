"""IMU sensor model: mounting, errors, filtering, sampling, saturation, int16 quantisation, drops.

`SensorModel(...).measure(t_fine, acc_seg, gyr_seg, mag_seg, mounting, rate_hz, rng)` turns the
noise-free segment-frame signals of `SegmentKinematics` into an `Imu` as a 9-axis node would
record it. Constants and sources: docs/simulator.md, "Sensor".
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi
from scipy.spatial.transform import Rotation

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import STANDARD_GRAVITY as G, Imu


def lsb(full_scale: float) -> float:
    """Value of one int16 count for a symmetric full scale (same unit): full_scale / 32768."""
    return full_scale / 32768.0


def quantize_int16(x: np.ndarray, full_scale: float) -> np.ndarray:
    """Saturate at +-full_scale and round to int16 counts; returns the counts (int16)."""
    q = np.round(np.asarray(x, dtype=np.float64) / lsb(full_scale))
    return np.clip(q, -32768, 32767).astype(np.int16)


def nominal_mounting(placement: str, side: str) -> np.ndarray:
    """Default sensor-to-segment rotation (3x3; columns = sensor axes in the segment frame).

    Shank: on the lateral calf, sensor x up the shank (segment y), sensor z out of the skin
    (lateral: segment -z on the left leg, +z on the right). Foot: on the dorsum, sensor x
    anterior (segment x), sensor z up (segment y).
    """
    if placement == "shank":
        out = np.array([0.0, 0.0, -1.0 if side == "left" else 1.0])
        x = np.array([0.0, 1.0, 0.0])
    elif placement == "foot":
        out = np.array([0.0, 1.0, 0.0])
        x = np.array([1.0, 0.0, 0.0])
    else:
        raise GaitnodeError(f"no nominal mounting for placement {placement!r} (shank or foot)")
    return np.column_stack([x, np.cross(out, x), out])


def draw_mounting(placement: str, side: str, mode, rng: np.random.Generator) -> np.ndarray:
    """A sensor-to-segment rotation matrix (3x3) for mode "nominal", "random", "random_any" or a matrix.

    "random": rotation about the limb's long axis (shank: uniform +-180 deg, the sensor can sit
    anywhere around the calf; foot: about the dorsum normal, +-180 deg), then a tilt of up to
    15 deg about a random axis perpendicular to it, then +-10 deg in the board plane.
    "random_any": as "random", and the board axes permuted/flipped (one of the 24 proper
    rotations of the axes), as when the board is fitted any way round in its case.
    """
    if isinstance(mode, str) and mode == "nominal":
        return nominal_mounting(placement, side)
    if isinstance(mode, str) and mode in ("random", "random_any"):
        base = nominal_mounting(placement, side)
        long_axis = np.array([0.0, 1.0, 0.0])  # segment y: shank long axis / dorsum normal
        around = Rotation.from_rotvec(long_axis * rng.uniform(-np.pi, np.pi))
        tilt_axis = np.array([np.cos(a := rng.uniform(0, 2 * np.pi)), 0.0, np.sin(a)])
        tilt = Rotation.from_rotvec(tilt_axis * np.radians(rng.uniform(0.0, 15.0)))
        in_plane = Rotation.from_rotvec([0.0, 0.0, np.radians(rng.uniform(-10.0, 10.0))])
        m = (tilt * around).as_matrix() @ base @ in_plane.as_matrix()
        if mode == "random_any":
            perms = Rotation.create_group("O").as_matrix()
            m = m @ np.round(perms[int(rng.integers(len(perms)))])
        return m
    m = np.asarray(mode, dtype=np.float64)
    if m.shape != (3, 3) or not np.allclose(m @ m.T, np.eye(3), atol=1e-6) or np.linalg.det(m) < 0:
        raise GaitnodeError(f"mounting must be 'nominal', 'random', 'random_any' or a 3x3 rotation matrix, got {mode!r}")
    return m


class SensorModel:
    """A 9-axis MEMS IMU (defaults like an ICM-20948 / LSM9DS1) sampled by a node.

    Parameters (units): acc_range_g (+-g), gyr_range_dps (+-deg/s), mag_range_ut (+-uT),
    acc_noise_ug_rthz (ug/sqrt(Hz)), gyr_noise_dps_rthz (deg/s/sqrt(Hz)), mag_noise_ut (uT rms),
    acc_bias_g (1-sigma turn-on bias, g), gyr_bias_dps (deg/s), acc_bias_rw (m/s^2/sqrt(s)),
    gyr_bias_rw (deg/s/sqrt(s)), gyr_warmup_dps (1-sigma warm-up drift, deg/s, time constant
    warmup_s), scale_error (1-sigma, fraction), misalignment_deg (1-sigma cross-axis angle),
    hard_iron_ut (1-sigma), soft_iron (1-sigma off-identity), jitter_us (range of the timestamp
    jitter sd, us), clock_ppm (1-sigma crystal error), drop_prob (per sample), burst_prob
    (chance that a drop is a burst of 2-20 samples), bandwidth_frac (anti-alias cut-off as a
    fraction of the output rate). Each session draws its own errors from these.

    `measure(...)` returns self and fills imu_ (gaitnode Imu), true_t_s_ (true sample times, s),
    dropped_ (indices of dropped samples in the undropped sequence), saturated_ (count of clipped
    values per sensor), params_ (the drawn errors, JSON-serialisable).
    """

    def __init__(self, acc_range_g=16.0, gyr_range_dps=2000.0, mag_range_ut=4912.0,
                 acc_noise_ug_rthz=230.0, gyr_noise_dps_rthz=0.015, mag_noise_ut=0.3,
                 acc_bias_g=0.02, gyr_bias_dps=1.0, acc_bias_rw=2e-4, gyr_bias_rw=3e-3,
                 gyr_warmup_dps=0.5, warmup_s=300.0, scale_error=0.015, misalignment_deg=0.8,
                 hard_iron_ut=10.0, soft_iron=0.03, jitter_us=(10.0, 100.0), clock_ppm=20.0,
                 drop_prob=1e-4, burst_prob=0.1, bandwidth_frac=0.4, mag_lsb_ut=0.15):
        for name, v in (("acc_range_g", acc_range_g), ("gyr_range_dps", gyr_range_dps), ("mag_range_ut", mag_range_ut)):
            if not v > 0:
                raise GaitnodeError(f"SensorModel: {name} must be positive, got {v!r}")
        if not 0.0 <= drop_prob < 0.5:
            raise GaitnodeError(f"SensorModel: drop_prob must be in [0, 0.5), got {drop_prob!r}")
        if not 0.05 <= bandwidth_frac <= 0.5:
            raise GaitnodeError(f"SensorModel: bandwidth_frac must be in [0.05, 0.5], got {bandwidth_frac!r}")
        self.acc_range_g, self.gyr_range_dps, self.mag_range_ut = acc_range_g, gyr_range_dps, mag_range_ut
        self.acc_noise_ug_rthz, self.gyr_noise_dps_rthz, self.mag_noise_ut = acc_noise_ug_rthz, gyr_noise_dps_rthz, mag_noise_ut
        self.acc_bias_g, self.gyr_bias_dps = acc_bias_g, gyr_bias_dps
        self.acc_bias_rw, self.gyr_bias_rw = acc_bias_rw, gyr_bias_rw
        self.gyr_warmup_dps, self.warmup_s = gyr_warmup_dps, warmup_s
        self.scale_error, self.misalignment_deg = scale_error, misalignment_deg
        self.hard_iron_ut, self.soft_iron = hard_iron_ut, soft_iron
        self.jitter_us, self.clock_ppm = tuple(jitter_us), clock_ppm
        self.drop_prob, self.burst_prob = drop_prob, burst_prob
        self.bandwidth_frac, self.mag_lsb_ut = bandwidth_frac, mag_lsb_ut

    def get_params(self) -> dict:
        """Constructor parameters (JSON-serialisable)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(self).items() if not k.endswith("_")}

    def lsbs(self) -> dict:
        """One int16 count per sensor: acc m/s^2, gyr deg/s, mag uT."""
        return {"acc": lsb(self.acc_range_g * G), "gyr": lsb(self.gyr_range_dps), "mag": self.mag_lsb_ut}

    def measure(self, t_fine, acc_seg, gyr_seg, mag_seg, mounting, rate_hz: float,
                rng: np.random.Generator) -> "SensorModel":
        """Sample the segment-frame signals as the node would. Returns self.

        t_fine: uniform fine grid (s); acc_seg specific force (m/s^2), gyr_seg (deg/s), mag_seg (uT),
        all [N, 3] in the segment frame; mounting: 3x3 sensor-to-segment rotation; rate_hz: nominal
        output rate. Order: mounting -> scale/misalignment -> bias -> anti-alias low-pass ->
        sampling at the true sample instants -> white noise -> saturation -> int16 -> drops.
        """
        t_fine = np.asarray(t_fine, dtype=np.float64)
        dt = t_fine[1] - t_fine[0]
        if not np.allclose(np.diff(t_fine), dt, rtol=1e-6, atol=1e-9):
            raise GaitnodeError("SensorModel.measure: t_fine must be a uniform grid")
        if not 2 * rate_hz <= 1.0 / dt * 1.0001:
            raise GaitnodeError(f"SensorModel.measure: fine grid ({1 / dt:g} Hz) must be at least twice the rate {rate_hz:g} Hz")
        m = np.asarray(mounting, dtype=np.float64)
        r_err, r_t, r_drop = (np.random.default_rng(s) for s in rng.integers(2 ** 63, size=3))
        lsbs = self.lsbs()
        params = {}

        # True sample instants: random phase, crystal error; timestamps add read-out jitter.
        ppm = r_t.normal(0.0, self.clock_ppm) * 1e-6
        period = (1.0 + ppm) / rate_hz
        t0 = t_fine[0] + r_t.uniform(0.0, 1.0 / rate_hz)
        n = int(np.floor((t_fine[-1] - t0) / period)) + 1
        t_true = t0 + np.arange(n) * period
        jit = r_t.uniform(*self.jitter_us)
        t_us = np.round((t_true + np.abs(r_t.normal(0.0, jit, n)) * 1e-6) * 1e6).astype(np.int64)
        params.update(clock_ppm=float(ppm * 1e6), jitter_us=float(jit), phase_s=float(t0 - t_fine[0]))

        sos = butter(2, self.bandwidth_frac * rate_hz / (0.5 / dt), output="sos")
        out = {}
        for name, x, fs, noise in (
                ("acc", acc_seg, self.acc_range_g * G, self.acc_noise_ug_rthz * 1e-6 * G * np.sqrt(rate_hz / 2)),
                ("gyr", gyr_seg, self.gyr_range_dps, self.gyr_noise_dps_rthz * np.sqrt(rate_hz / 2)),
                ("mag", mag_seg, self.mag_range_ut, self.mag_noise_ut)):
            v = np.asarray(x, dtype=np.float64) @ m  # segment -> sensor frame: v_s = M^T v_seg
            scale = 1.0 + np.clip(r_err.normal(0.0, self.scale_error, 3), -3 * self.scale_error, 3 * self.scale_error)
            mis = np.radians(self.misalignment_deg) * r_err.standard_normal((3, 3))
            np.fill_diagonal(mis, 0.0)
            T = np.diag(scale) + mis
            v = v @ T.T
            if name == "mag":  # soft iron (symmetric) and hard iron
                s = self.soft_iron * r_err.standard_normal((3, 3))
                v = v @ (np.eye(3) + 0.5 * (s + s.T)).T + self.hard_iron_ut * r_err.standard_normal(3)
            else:
                bias0 = (self.acc_bias_g * G if name == "acc" else self.gyr_bias_dps) * r_err.standard_normal(3)
                rw = self.acc_bias_rw if name == "acc" else self.gyr_bias_rw
                walk = np.cumsum(r_err.standard_normal((len(t_fine) // 100 + 2, 3)), axis=0) * rw * np.sqrt(100 * dt)
                bias = bias0 + np.repeat(walk, 100, axis=0)[:len(t_fine)]
                if name == "gyr":
                    warm = self.gyr_warmup_dps * r_err.standard_normal(3)
                    bias = bias + warm * (1.0 - np.exp(-(t_fine - t_fine[0]) / self.warmup_s))[:, None]
                v = v + bias
                params[f"{name}_bias0"] = bias0.tolist()
            params[f"{name}_scale"] = scale.tolist()
            v = sosfilt(sos, v, axis=0, zi=sosfilt_zi(sos)[:, :, None] * v[0][None, None, :])[0]
            vs = np.column_stack([np.interp(t_true, t_fine, v[:, i]) for i in range(3)])
            vs += noise * r_err.standard_normal(vs.shape)
            counts = np.round(vs / lsbs[name])
            full = np.floor(fs / lsbs[name])
            sat = int(np.count_nonzero(np.abs(counts) > min(full, 32767)))
            counts = np.clip(counts, -min(full, 32768), min(full, 32767))
            out[name] = counts * lsbs[name]
            params[f"{name}_saturated"] = sat

        keep = np.ones(n, bool)
        starts = np.flatnonzero(r_drop.random(n) < self.drop_prob)
        for s0 in starts:
            length = int(r_drop.integers(2, 21)) if r_drop.random() < self.burst_prob else 1
            keep[s0:s0 + length] = False
        keep &= np.concatenate([[True], np.diff(t_us) > 0])  # jitter never reorders, kept for safety
        self.true_t_s_ = t_true[keep]
        self.dropped_ = np.flatnonzero(~keep)
        self.saturated_ = {k: params[f"{k}_saturated"] for k in ("acc", "gyr", "mag")}
        self.params_ = params
        self.imu_ = Imu(t_us[keep], out["acc"][keep], out["gyr"][keep], out["mag"][keep])
        return self

