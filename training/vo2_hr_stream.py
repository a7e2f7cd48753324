"""The VO2-from-HR model one second at a time, in numpy: a live stream on the host, and the step a node would run.

`StepWeights.from_model` takes the trained tf_keras model's weights; `Vo2HrStream.push` runs one second:
features -> standardisation -> encoder (Dense + LeakyReLU 0.1) -> GRU step (Keras's reset_after
formulation) -> heads -> the clipped Kalman update and blend ("kalman"), or the direct pathway
("gru"). It computes exactly what the Keras model computes over a whole recording (tests compare
them), so a monitor can show VO2 every second without re-running the recording.

Live differences from `predict_recordings` (which sees the whole recording): a heart rate outside
25-250 bpm holds the last physiological value (the batch path interpolates across the gap, which needs
the future); before the first physiological value the stream refuses to start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_data import HR_MAX_BPM, HR_MIN_BPM, SEX_CODE, check_target


def _sigmoid(x):
    return expit(x)


def _softplus(x):
    return np.logaddexp(0.0, x)


@dataclass
class StepWeights:
    """Float64 weights of one model: encoder (enc_w [F, E], enc_b), GRU (input kernel [E, 3H], input bias,
    recurrent kernel [H, 3H], recurrent bias), heads (head_w [H, K], head_b; K = 7 for "kalman": obs,
    gain, up, down, trend, blend, direct; K = 1 for "gru": direct)."""

    architecture: str
    enc_w: np.ndarray
    enc_b: np.ndarray
    in_w: np.ndarray
    in_b: np.ndarray
    rec_w: np.ndarray
    rec_b: np.ndarray
    head_w: np.ndarray
    head_b: np.ndarray

    @property
    def units(self) -> int:
        return self.rec_w.shape[0]

    @classmethod
    def from_model(cls, model, meta: dict) -> "StepWeights":
        arch = meta["architecture"]

        def weights(layer_name):
            return [np.asarray(w, np.float64) for w in model.get_layer(layer_name).get_weights()]

        enc_w, enc_b = weights("enc")
        if arch == "kalman":
            in_w, in_b = weights("gru_input")
            cell = model.get_layer("kalman").cell
            rec_w, rec_b, head_w, head_b = (np.asarray(v.numpy(), np.float64) for v in (
                cell.recurrent_kernel, cell.recurrent_bias, cell.head_kernel, cell.head_bias))
            return cls(arch, enc_w, enc_b, in_w, in_b, rec_w, rec_b, head_w, head_b)
        kernel, recurrent, bias = weights("gru")  # Keras GRU: bias [2, 3H] = (input, recurrent)
        head_w, head_b = weights("direct_delta")
        return cls(arch, enc_w, enc_b, kernel, bias[0], recurrent, bias[1], head_w, head_b)

    def gru_step(self, x_norm: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Encoder and GRU for one second: normalised features [F], state [H] -> new state [H]."""
        e = x_norm @ self.enc_w + self.enc_b
        e = np.where(e > 0, e, 0.1 * e)
        H = self.units
        xp = e @ self.in_w + self.in_b
        rec = h @ self.rec_w + self.rec_b
        z = _sigmoid(xp[:H] + rec[:H])
        r = _sigmoid(xp[H:2 * H] + rec[H:2 * H])
        hh = np.tanh(xp[2 * H:] + r * rec[2 * H:])
        return hh + z * (h - hh)


def kalman_update(heads: np.ndarray, v0: float, v1: float, v2: float) -> tuple[float, float]:
    """(blended VO2, new filter state v_t) from the 7 raw head outputs and the state (v_{t-1}, v_{t-2})."""
    o_obs, o_gain, o_up, o_down, o_trend, o_blend, o_direct = (float(v) for v in heads)
    prior = v1 + np.tanh(o_trend) * (v1 - v2)
    step = prior - v1 + _sigmoid(o_gain) * (v0 + o_obs - prior)
    v = v1 + min(max(step, -_softplus(o_down)), _softplus(o_up))
    return v + _sigmoid(o_blend) * (v0 + o_direct - v), v


class Vo2HrStream:
    """VO2 of one subject, one second at a time (see the module docstring).

    Parameters
    ----------
    weights : StepWeights of the model; meta : its model.json dict.
    age, height_m, mass_kg, sex : the subject ("male" | "female" | None).
    vo2_cal_ml_min : calibration VO2 (ml/min) of the first second, e.g. the first second of a metabolic
        cart, or the ACSM resting value 3.5 ml/kg/min x mass when no VO2 is known.

    `push(hr_bpm, cadence_spm=None)` takes one second and returns VO2 in ml/min (`last_ml_kg_min` holds the
    same in ml/kg/min).
    """

    def __init__(self, weights: StepWeights, meta: dict, *, age: float, height_m: float, mass_kg: float,
                 sex: str | None, vo2_cal_ml_min: float):
        if sex not in SEX_CODE:
            raise GaitnodeError(f"sex {sex!r} is not 'male', 'female' or None")
        for what, v, lo, hi in (("age", age, 5, 120), ("height_m", height_m, 0.5, 2.5), ("mass_kg", mass_kg, 20, 300),
                                ("vo2_cal_ml_min", vo2_cal_ml_min, 50, 8000)):
            if v is None or not np.isfinite(v) or not lo <= v <= hi:
                raise GaitnodeError(f"{what} {v!r} is missing or outside physiology ({lo}-{hi})")
        self.w, self.meta = weights, meta
        self.scale = check_target(meta["target"])
        self.use_cadence = "cadence" in meta["features"]
        self.mean = np.asarray(meta["norm_mean"], np.float64)
        self.std = np.asarray(meta["norm_std"], np.float64)
        self.age, self.height_m, self.mass_kg, self.sex = float(age), float(height_m), float(mass_kg), sex
        cal = float(vo2_cal_ml_min) / (self.mass_kg if meta["target"] == "vo2_ml_kg_min" else 1.0)
        self.v0 = cal / self.scale
        self.h = np.zeros(weights.units)
        self.v1 = self.v2 = self.v0
        self.t = 0
        self.hr0 = self.last_hr = None
        self.last_ml_kg_min = float("nan")

    def push(self, hr_bpm: float, cadence_spm: float | None = None) -> float:
        hr = float(hr_bpm) if hr_bpm is not None else float("nan")
        if np.isfinite(hr) and HR_MIN_BPM <= hr <= HR_MAX_BPM:
            self.last_hr = hr
        elif self.last_hr is None:
            raise GaitnodeError(f"second {self.t}: heart rate {hr_bpm!r} is outside physiology "
                                f"({HR_MIN_BPM:g}-{HR_MAX_BPM:g} bpm) and none was seen before; the stream "
                                f"starts at the first physiological heart rate")
        hr = self.last_hr
        if self.hr0 is None:
            self.hr0 = hr
        row = [hr, hr - self.hr0, hr / (208.0 - 0.7 * self.age), self.t / 60.0, self.age, self.height_m, self.mass_kg,
               SEX_CODE[self.sex], self.v0 * self.scale]
        if self.use_cadence:
            if cadence_spm is None or not np.isfinite(cadence_spm):
                raise GaitnodeError(f"second {self.t}: the model uses cadence; give it (steps/min, 0 when standing)")
            row.append(float(cadence_spm))
        x = (np.asarray(row) - self.mean) / self.std
        self.h = self.w.gru_step(x, self.h)
        heads = self.h @ self.w.head_w + self.w.head_b
        if self.w.architecture == "kalman":
            out, v = kalman_update(heads, self.v0, self.v1, self.v2)
            self.v2, self.v1 = self.v1, v
        else:
            out = self.v0 + float(heads[0])
        self.t += 1
        value = out * self.scale
        ml_min = value * self.mass_kg if self.meta["target"] == "vo2_ml_kg_min" else value
        self.last_ml_kg_min = ml_min / self.mass_kg
        return ml_min
