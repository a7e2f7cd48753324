"""VO2 from heart rate on the host: a trained model over a session or a CPET recording, with its errors.

`Vo2HrEstimator(model_dir).estimate(recording)` runs the model over a whole recording (a `Session`
with an "hr" series, or a `Vo2Sequence`) from its first second and, when the recording has a VO2
reference, scores it. For a live stream one second at a time see `vo2_hr_stream.Vo2HrStream`
(`Vo2HrEstimator.stream(...)` builds one with this model).

Calibration: "first_second" (the Savitzky-Golay-filtered reference VO2 at the first second; needs a
reference), "resting" (ACSM resting VO2 3.5 ml/kg/min x mass: no VO2 known, the subject at rest at the
start) or a number (ml/min, e.g. a metabolic cart's first second entered by hand).
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.regression import regression_report
from gaitnode.training.vo2_hr_data import Vo2Sequence, session_sequence, smooth_vo2
from gaitnode.training.vo2_hr_trainer import CALIBRATIONS, Prepared, load_model_dir, predict_recordings


def _errors(ref, est) -> dict | None:
    ref = np.asarray(ref, dtype=np.float64)
    ok = np.isfinite(ref) & np.isfinite(est) & (ref > 0)
    if ok.sum() < 2:
        return None
    r = regression_report(ref[ok], est[ok])
    return {"n": r.n, "mae": r.mae, "rmse": r.rmse, "mape_pct": r.mape_pct, "bias": r.bias, "r2": r.r2}


class Vo2HrEstimator:
    """Run a VO2-from-HR model over recordings (see the module docstring).

    Parameters
    ----------
    model_dir : folder from `gaitnode train vo2-hr` (model.keras + model.json).
    calibration : "first_second" | "resting" | VO2 in ml/min.
    hr_gap_filler : None, or a `gaitnode.training.hr_gaps.HrGapFiller` (the HR dynamics model): a
        session's heart-rate dropouts (strap gaps) are filled by it before VO2 is estimated, instead
        of being bridged linearly (docs/hr-dynamics.md: the neural ODE fill beats linear
        interpolation on 60 s gaps).

    Results (after `estimate`)
    --------------------------
    name_ : the recording. synthetic_ : whether it is simulator data.
    t_s_ : float64 [T] seconds since the recording start (1 Hz).
    vo2_ml_min_, vo2_ml_kg_min_ : float64 [T] the estimate.
    calibration_ml_min_ : the VO2 the model started from.
    hr_masked_ : seconds whose heart rate was outside 25-250 bpm (bridged).
    hr_filled_ : seconds of heart rate the gap filler supplied (0 without one).
    errors_ : {"vo2_filtered", "vo2_raw", "vo2_true"} -> {n, mae, rmse, mape_pct, bias, r2} (ml/min)
        against the filtered and raw reference and, for simulator sessions, the noise-free VO2; a
        key is absent when there is no such reference.
    """

    def __init__(self, model_dir, calibration="first_second", hr_gap_filler=None):
        self.model_dir = model_dir
        self.calibration = calibration
        self.hr_gap_filler = hr_gap_filler
        self._model, self.meta = load_model_dir(model_dir)

    def estimate(self, recording) -> "Vo2HrEstimator":
        """Estimate VO2 over `recording` (a Session or a Vo2Sequence). Returns self."""
        cal = self.calibration
        self.hr_filled_ = 0
        if isinstance(recording, Vo2Sequence):
            seq = recording
        else:
            if self.hr_gap_filler is not None:
                filled = self.hr_gap_filler.fill(recording)
                recording, self.hr_filled_ = filled.session_, int(np.sum(filled.filled_))
            seq = session_sequence(recording, need_vo2=cal == "first_second")
        if cal not in CALIBRATIONS:
            try:
                float(cal)
            except (TypeError, ValueError):
                raise GaitnodeError(f"calibration {cal!r} is not one of {', '.join(CALIBRATIONS)} or a VO2 "
                                    f"in ml/min") from None
        vo2 = predict_recordings(self._model, self.meta, [seq], cal)[0]
        p = Prepared(seq, self.meta["target"], "cadence" in self.meta["features"], need_target=cal == "first_second")
        v0 = p.calibration(cal) * self.meta["target_scale"]
        self.calibration_ml_min_ = float(v0 * seq.mass_kg if self.meta["target"] == "vo2_ml_kg_min" else v0)
        self.name_, self.synthetic_ = seq.name, seq.synthetic
        self.t_s_ = np.asarray(seq.t_s, dtype=np.float64)
        self.vo2_ml_min_ = vo2
        self.vo2_ml_kg_min_ = vo2 / seq.mass_kg
        self.hr_masked_ = seq.hr_masked
        errors = {}
        if seq.vo2_ml_min is not None:
            for key, ref in (("vo2_filtered", smooth_vo2(seq.vo2_ml_min)), ("vo2_raw", seq.vo2_ml_min)):
                e = _errors(ref, vo2)
                if e is not None:
                    errors[key] = e
        if "vo2_true" in seq.extra:
            e = _errors(seq.extra["vo2_true"], vo2)
            if e is not None:
                errors["vo2_true"] = e
        self.errors_ = errors
        return self

    def stream(self, *, age: float, height_m: float, mass_kg: float, sex, vo2_cal_ml_min: float):
        """A `Vo2HrStream` of this model for one subject (push one second at a time)."""
        from gaitnode.training.vo2_hr_stream import StepWeights, Vo2HrStream

        return Vo2HrStream(StepWeights.from_model(self._model, self.meta), self.meta, age=age, height_m=height_m,
                           mass_kg=mass_kg, sex=sex, vo2_cal_ml_min=vo2_cal_ml_min)
