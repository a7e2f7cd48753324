"""Cut a time span out of a session (IMU, labels, events and reference series together).

Used where only part of a recording may be used, e.g. fine-tuning a model on the first two
minutes of a new subject's data and evaluating on the rest.
"""

from __future__ import annotations

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Events, Imu, Series, Session, SessionMeta


def time_slice(session: Session, start_s: float = 0.0, end_s: float | None = None) -> Session:
    """The part of `session` from start_s to end_s (s since its first IMU sample; end exclusive).

    Events and series points inside the span are kept on their original device-clock times;
    per-sample phase/activity labels follow the IMU samples. Raises GaitnodeError for an
    empty or inverted span.
    """
    if len(session.imu) == 0:
        raise GaitnodeError("time slice: the session has no IMU samples")
    t0 = session.imu.t_s[0]
    end_s = np.inf if end_s is None else float(end_s)
    if not (start_s >= 0 and end_s > start_s):
        raise GaitnodeError(f"time slice: need 0 <= start < end, got {start_s:g}..{end_s:g} s")
    lo, hi = t0 + start_s, t0 + end_s
    t = session.imu.t_s
    m = (t >= lo) & (t < hi)
    if not m.any():
        raise GaitnodeError(f"time slice {start_s:g}..{end_s:g} s holds no samples "
                            f"(the session lasts {session.duration_s:.1f} s)")
    imu = Imu(session.imu.t_us[m], session.imu.acc[m], session.imu.gyr[m], session.imu.mag[m], session.imu.host_s[m])
    ev = session.events
    em = (ev.t_s >= lo) & (ev.t_s < hi)
    series = {}
    for name, s in session.series.items():
        sm = (s.t_s >= lo) & (s.t_s < hi)
        series[name] = Series(s.t_s[sm], s.value[sm])
    meta = SessionMeta.from_dict(session.meta.to_dict())
    meta.extra = {**meta.extra, "time_slice_s": [float(start_s), None if np.isinf(end_s) else float(end_s)]}
    return Session(meta=meta, imu=imu, events=Events(ev.t_s[em], ev.kind[em], ev.side[em]),
                   phase=None if session.phase is None else session.phase[m],
                   activity=None if session.activity is None else session.activity[m], series=series)
