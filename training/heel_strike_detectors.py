"""The heel-strike detectors `gaitnode evaluate heel-strike` can score, behind one interface.

Each has `detect(session) -> Detection` (see `heel_strike_eval`):

* `ModelDetector`: a trained model run through one of its runners ("float": the Keras
  model; "int8": the int8 .tflite in LiteRT; "tflm": the int8 .tflite in the real
  TFLite-Micro interpreter with the measured arena), windows stitched into a per-sample
  probability (`training.predict`), then the firmware's own C event picker.
* `ClassicalDetector`: the firmware's C gyro detector (sagittal angular-velocity rule).

Neither re-implements device logic in Python: the picker and the gyro rule are the C core
(`gaitnode.ccore`), compiled for the host.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Session
from gaitnode.training.heel_strike_eval import Detection
from gaitnode.training.labels import DEFAULT_HALF_WIDTH, mark_around

MODEL_KINDS = ("float", "int8", "tflm", "classical")


class ModelDetector:
    """A trained heel-strike model (model dir) run by `kind` ("float" | "int8" | "tflm")."""

    def __init__(self, model_dir, kind: str = "float", *, threshold: float | None = None,
                 min_interval_s: float | None = None):
        from gaitnode.training.model_dir import load_meta, load_model_dir

        if kind not in ("float", "int8", "tflm"):
            raise GaitnodeError(f"unknown model kind {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
        self.model_dir = Path(model_dir)
        self.kind = kind
        # the Keras model only for "float"; the int8 runners need the metadata alone
        if kind == "float":
            model, self.meta = load_model_dir(self.model_dir)
        else:
            model, self.meta = None, load_meta(self.model_dir)
        self.threshold = float(self.meta["threshold"] if threshold is None else threshold)
        self.min_interval_s = float(self.meta["min_interval_s"] if min_interval_s is None else min_interval_s)
        self.runner = self._runner(model)

    def _runner(self, model):
        if self.kind == "float":
            from gaitnode.training.predict import KerasModelRunner

            return KerasModelRunner(model)
        from gaitnode.quantize.quantizer import output_paths

        outputs = output_paths(self.model_dir)
        tflite, qpath = outputs["int8_tflite"], outputs["report"]
        if not tflite.is_file():
            raise GaitnodeError(f"{tflite}: not found; run `gaitnode quantize heel-strike {self.model_dir}` first")
        if self.kind == "int8":
            from gaitnode.quantize.runners import LiteRTRunner

            return LiteRTRunner(tflite)
        from gaitnode.quantize.runners import TFLMRunner

        if not qpath.is_file():
            raise GaitnodeError(f"{qpath}: not found; run `gaitnode quantize heel-strike {self.model_dir}` first")
        arena = int(json.loads(qpath.read_text())["arena_bytes"])
        return TFLMRunner(tflite.read_bytes(), arena)

    def detect(self, session: Session) -> Detection:
        from gaitnode.ccore.hs_picker import HeelStrikePicker
        from gaitnode.training.predict import predict_session

        p = predict_session(session, self.meta, self.runner)
        picker = HeelStrikePicker(threshold=self.threshold, min_interval_s=self.min_interval_s,
                                  rate_hz=float(session.meta.rate_hz)).pick(p, t_s=session.imu.t_s)
        covered = np.isfinite(p)
        return Detection(events_s=picker.events_s_, sample_pred=covered & (np.nan_to_num(p) >= self.threshold),
                         covered=covered, prob=p)


class ClassicalDetector:
    """The C gyro rule for the session's own placement; per-sample output = events +- half width."""

    def __init__(self, label_half_width: int = DEFAULT_HALF_WIDTH, placement: str | None = None):
        self.label_half_width = int(label_half_width)
        self.placement = placement

    def detect(self, session: Session) -> Detection:
        from gaitnode.ccore.gyro_hs import GyroHeelStrikeDetector

        placement = self.placement or session.meta.placement
        if placement not in ("shank", "foot"):
            raise GaitnodeError(f"the classical detector has rules for shank and foot, not {placement!r}")
        d = GyroHeelStrikeDetector(placement=placement, rate_hz=float(session.meta.rate_hz)).detect(
            session.imu.gyr, t_s=session.imu.t_s)
        pred = mark_around(d.events_idx_, len(session.imu), self.label_half_width)
        return Detection(events_s=d.events_s_, sample_pred=pred, covered=np.ones(len(pred), dtype=bool))


def make_detector(kind: str, model_dir=None, *, label_half_width: int | None = None, **kw):
    """The detector for `--model KIND` (classical needs no model dir)."""
    if kind == "classical":
        return ClassicalDetector(DEFAULT_HALF_WIDTH if label_half_width is None else label_half_width)
    if model_dir is None:
        raise GaitnodeError(f"--model {kind} needs a model directory (from `gaitnode train heel-strike`)")
    return ModelDetector(model_dir, kind, **kw)
