"""Fill heart-rate dropouts (chest strap or optical signal loss) with an HR dynamics model.

On the session's 1 Hz grid (hr_data: HR samples up to MAX_HR_STEP_S apart are joined linearly),
every second without HR belongs to a gap. The model runs once over the whole session: it starts
from the first HR second, takes in every measured second (the neural Kalman model through its
learned gain, the neural ODE by resetting its state) and predicts from the drive (cadence, speed,
grade) through each gap. The gap is then tied to the measurements at its edges: with
residuals r_a = HR - model at the last measured second before the gap and r_b at the first one
after it, the fill is model + r_a + (r_b - r_a) * (t - t_a) / (t_b - t_a). With bridge=False (a live
stream, where the end of a gap is not known yet) and for a gap that runs to the session's end, the
fill is model + r_a. Measured seconds are returned unchanged.

The grid spans the HR series' first sample to the session's last data (HR, drive series, events or
IMU), so a dropout at the end is filled too; seconds before the first HR sample are not (there is no
HR to start from).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Series, Session
from gaitnode.training.datasets import session_name
from gaitnode.training.hr_data import MIN_SECONDS, sequence_from_session
from gaitnode.training.hr_predict import run


def session_end_s(session: Session) -> float:
    """The last time (s) the session has any data for."""
    ends = [float(s.t_s[-1]) for s in session.series.values() if len(s)]
    if len(session.events):
        ends.append(float(session.events.t_s[-1]))
    if len(session.imu):
        ends.append(float(session.imu.t_s[-1]))
    return max(ends)


def find_gaps(missing: np.ndarray) -> list[tuple[int, int]]:
    """[(start, end)) index ranges of the runs of True in `missing`."""
    m = np.concatenate([[False], np.asarray(missing, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


class HrGapFiller:
    """Fill HR dropouts of a session (see the module docstring).

    Parameters
    ----------
    model_dir : an HR dynamics model folder (`gaitnode train hr-dynamics`); or
    model : an HR dynamics model already in memory (one of the two).
    bridge : tie each gap to the measured HR after it (offline use); False: forward prediction only.
    min_seconds : shortest session accepted (s).

    Results (after `fill(session)`)
    -------------------------------
    t_s_ : float64 [N], session time of each second (from the first HR sample).
    hr_ : Series(t_s_, HR bpm) with every second filled.
    filled_ : bool [N], True where hr_ comes from the model.
    model_hr_ : float64 [N], the model's own HR before tying gaps to their edges.
    gaps_ : list of {"start_s", "end_s", "seconds", "closed"} (closed: measured HR follows the gap).
    session_ : a copy of the session whose "hr" series is hr_, plus a series "hr_filled" (1 = filled).
    """

    def __init__(self, model_dir=None, *, model=None, bridge: bool = True, min_seconds: int = MIN_SECONDS):
        self.model_dir = model_dir
        self.model = model
        self.bridge = bridge
        self.min_seconds = min_seconds

    def _model(self):
        if (self.model_dir is None) == (self.model is None):
            raise GaitnodeError("HrGapFiller: give exactly one of model_dir and model")
        if self.model is None:
            from gaitnode.training.hr_model_dir import load_hr_model

            self.model, self.meta_ = load_hr_model(self.model_dir)
        return self.model

    def fill(self, session: Session) -> "HrGapFiller":
        """Fill the session's HR dropouts; results in the trailing-underscore attributes. Returns self."""
        model = self._model()
        hr_series = session.series.get("hr")
        if hr_series is None or len(hr_series) == 0:
            raise GaitnodeError(f"{session_name(session)}: no heart-rate series ('hr') to fill")
        end = session_end_s(session)
        seq = sequence_from_session(session, min_seconds=self.min_seconds, end_s=end)
        hr = seq.hr
        measured = np.isfinite(hr)
        gaps = find_gaps(~measured)
        observe = measured.astype(np.float32)
        anchor = np.zeros(len(hr), np.float32)
        anchor[0] = 1.0
        observe[0] = 0.0
        for _, b in gaps:  # the model's own (free) value at the first second after each gap
            if b < len(hr):
                observe[b] = 0.0
        pred = run(model, seq.x, hr, anchor, observe)
        out = np.where(measured, hr, pred)
        table = []
        for a, b in gaps:
            ra = hr[a - 1] - pred[a - 1]
            closed = b < len(hr)
            if closed and self.bridge:
                rb = hr[b] - pred[b]
                frac = (np.arange(a, b) - (a - 1)) / (b - (a - 1))
                out[a:b] = pred[a:b] + ra + (rb - ra) * frac
            else:
                out[a:b] = pred[a:b] + ra
            t0 = float(hr_series.t_s[0])
            table.append({"start_s": t0 + float(seq.t_s[a]), "end_s": t0 + float(seq.t_s[b - 1]) + 1.0,
                          "seconds": int(b - a), "closed": bool(closed)})
        t_s = float(hr_series.t_s[0]) + seq.t_s
        self.t_s_ = t_s
        self.hr_ = Series(t_s, out)
        self.filled_ = ~measured
        self.model_hr_ = pred
        self.gaps_ = table
        series = dict(session.series)
        series["hr"] = self.hr_
        series["hr_filled"] = Series(t_s, self.filled_.astype(np.float64))
        self.session_ = dataclasses.replace(session, series=series)
        return self
