"""VO2 estimators for evaluation: a model (float, int8 in LiteRT, int8 in TFLite-Micro) or the ACSM
walking equation, each turning one session into the node's estimates (vo2_estimate.Estimates).

* ModelVo2Estimator(model_dir, kind): the model's per-window outputs through the node's estimate
  stage (period means, smoothing with model.json smooth_tau_s). kind "tflm" is the int8 model in
  the real TFLite-Micro interpreter with the arena from quantize.json, as on the device.
* AcsmSessionEstimator(): paper 000's theoretical baseline as the node computes it: heel strikes
  from the firmware's classical gyro detector (gaitnode.ccore.gyro_hs, the C code) on the same
  session, then the C estimate stage (gaitnode.ccore.acsm.AcsmVo2Estimator: stride time -> speed
  = k * height * strides/s -> ACSM walking VO2 -> smoothing, every estimate period). The node does
  not know the grade, so it runs at grade 0 (grade_frac): uphill walking is under-estimated by
  1.8 * speed * grade.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.datasets import session_name
from gaitnode.training.vo2_estimate import DEFAULT_PERIOD_S, Estimates
from gaitnode.training.vo2_predict import predict_vo2_session, session_estimates

MODEL_KINDS = ("float", "int8", "tflm")
ESTIMATOR_KINDS = MODEL_KINDS + ("acsm",)
ACSM_TAU_S = 30.0  # VO2 on-kinetics, the middle of the 20-45 s of healthy adults (Poole & Jones 2012)


class ModelVo2Estimator:
    """A VO2 model dir as an estimator; `runner` predicts windows, `estimate(session)` -> Estimates.

    kind: "float" (Keras), "int8" (LiteRT reference kernels) or "tflm" (TFLite-Micro, arena from
    quantize.json). period_s: the node's estimate period. float_runner: the Keras runner as well
    (for int8 kinds), so that `outputs(session)` can compare int8 with float window by window.
    """

    def __init__(self, model_dir, kind: str = "float", *, period_s: float = DEFAULT_PERIOD_S):
        from gaitnode.quantize.quantizer import output_paths
        from gaitnode.quantize.runners import KerasRunner, LiteRTRunner, TFLMRunner
        from gaitnode.training.model_dir import is_vo2_meta, load_meta

        if kind not in MODEL_KINDS:
            raise GaitnodeError(f"VO2 model kind {kind!r} is not one of {', '.join(MODEL_KINDS)}")
        self.model_dir, self.kind, self.period_s = Path(model_dir), kind, float(period_s)
        self.meta = load_meta(self.model_dir)
        if not is_vo2_meta(self.meta):
            raise GaitnodeError(f"{self.model_dir}: a {self.meta.get('task')} model, not a VO2 model "
                                f"(train one with `gaitnode train vo2`)")
        self.float_runner = KerasRunner(self.model_dir)
        if kind == "float":
            self.runner = self.float_runner
            return
        paths = output_paths(self.model_dir, "vo2")
        if not paths["int8_tflite"].is_file() or not paths["report"].is_file():
            raise GaitnodeError(f"{self.model_dir}: no int8 model; run `gaitnode quantize vo2 {self.model_dir} "
                                f"--data SESSIONS` first")
        if kind == "int8":
            self.runner = LiteRTRunner(paths["int8_tflite"])
        else:
            try:
                arena = int(json.loads(paths["report"].read_text(encoding="utf-8"))["arena_bytes"])
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise GaitnodeError(f"{paths['report']}: cannot read arena_bytes ({e})") from None
            self.runner = TFLMRunner(paths["int8_tflite"].read_bytes(), arena, what=f"{paths['int8_tflite']} (TFLM)")

    def outputs(self, session: Session) -> tuple[np.ndarray, np.ndarray]:
        """(window end times [n] s, outputs [n] ml/kg/min) of this estimator's runner."""
        return predict_vo2_session(session, self.meta, self.runner)

    def estimate(self, session: Session) -> Estimates:
        return session_estimates(session, self.meta, self.runner, period_s=self.period_s)

    def compare_with_float(self, sessions, estimates) -> dict:
        """This runner's outputs against the float model's on `sessions` (their `estimates` by this
        estimator): {"windows", "estimates"}, each vo2_eval.window_relative_error of the per-window
        outputs and of the smoothed estimates the node reports (fractions of the float value)."""
        from gaitnode.training.vo2_eval import window_relative_error

        fw, qw, fe, qe = [], [], [], []
        for s, e in zip(sessions, estimates):
            fw.append(predict_vo2_session(s, self.meta, self.float_runner)[1])
            qw.append(self.outputs(s)[1])
            fe.append(session_estimates(s, self.meta, self.float_runner, period_s=self.period_s).smoothed)
            qe.append(np.asarray(e.smoothed, np.float64))
        return {"windows": window_relative_error(np.concatenate(fw), np.concatenate(qw)),
                "estimates": window_relative_error(np.concatenate(fe), np.concatenate(qe))}


class AcsmSessionEstimator:
    """The ACSM walking equation from the node's own heel strikes (see the module docstring).

    tau_s: smoothing of the ACSM estimate (s); grade_frac: the grade the node assumes (0: unknown);
    period_s: estimate period (s). Needs the subject's height (and uses the sex when known).
    """

    def __init__(self, *, tau_s: float = ACSM_TAU_S, grade_frac: float = 0.0, period_s: float = DEFAULT_PERIOD_S):
        self.tau_s, self.grade_frac, self.period_s = float(tau_s), float(grade_frac), float(period_s)

    def heel_strikes(self, session: Session) -> np.ndarray:
        """Heel-strike times (s) of the session's own leg from the firmware's classical C detector."""
        from gaitnode.ccore.gyro_hs import GyroHeelStrikeDetector

        m = session.meta
        if m.placement not in ("shank", "foot"):
            raise GaitnodeError(f"{session_name(session)}: the classical heel-strike detector has rules for shank "
                                f"and foot, not {m.placement!r}")
        det = GyroHeelStrikeDetector(m.placement, float(m.rate_hz)).detect(session.imu.gyr, t_s=session.imu.t_s)
        return det.events_s_

    def estimate(self, session: Session) -> Estimates:
        from gaitnode.ccore.acsm import AcsmVo2Estimator

        subject = session.meta.subject
        if subject.height_m is None or not np.isfinite(subject.height_m) or subject.height_m <= 0:
            raise GaitnodeError(f"{session_name(session)}: subject {subject.id!r} has no height "
                                f"(meta.subject.height_m); the ACSM estimate needs it for the step length")
        t = session.imu.t_s
        hs = self.heel_strikes(session)
        hs = hs[hs >= t[0]]
        est = AcsmVo2Estimator(height_m=float(subject.height_m), sex=subject.sex, grade_frac=self.grade_frac,
                               tau_s=self.tau_s, rate_hz=float(session.meta.rate_hz), estimate_period_s=self.period_s,
                               start_s=float(t[0])).estimate(hs, t)
        return Estimates(t_s=est.estimate_t_s_, raw=est.estimate_raw_, smoothed=est.estimate_vo2_)


def make_vo2_estimator(kind: str, model_dir=None, *, period_s: float = DEFAULT_PERIOD_S,
                       acsm_tau_s: float = ACSM_TAU_S):
    """The estimator for `--model KIND` (acsm needs no model dir)."""
    if kind == "acsm":
        return AcsmSessionEstimator(tau_s=acsm_tau_s, period_s=period_s)
    if kind not in MODEL_KINDS:
        raise GaitnodeError(f"--model {kind!r} is not one of {', '.join(ESTIMATOR_KINDS)}")
    if model_dir is None:
        raise GaitnodeError(f"--model {kind} needs --model-dir (a folder from `gaitnode train vo2`)")
    return ModelVo2Estimator(model_dir, kind, period_s=period_s)
