import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.slicing import time_slice
from gaitnode.sessions.test_store import full_session


def test_slice_keeps_everything_inside_the_span_on_the_original_clock():
    s = full_session(2000)
    t = s.imu.t_s
    part = time_slice(s, 2.0, 5.0)
    m = (t >= t[0] + 2.0) & (t < t[0] + 5.0)
    assert np.array_equal(part.imu.t_us, s.imu.t_us[m])
    assert np.array_equal(part.imu.gyr, s.imu.gyr[m])
    assert np.array_equal(part.phase, s.phase[m])
    em = (s.events.t_s >= t[0] + 2.0) & (s.events.t_s < t[0] + 5.0)
    assert np.array_equal(part.events.t_s, s.events.t_s[em]) and em.sum() > 0
    for name, ser in part.series.items():
        src = s.series[name]
        assert np.array_equal(ser.t_s, src.t_s[(src.t_s >= t[0] + 2.0) & (src.t_s < t[0] + 5.0)])
    part.validate()
    assert part.meta.extra["time_slice_s"] == [2.0, 5.0]


def test_head_of_session_and_bad_spans():
    s = full_session(2000)
    head = time_slice(s, 0.0, 1.0)
    assert head.imu.t_s[-1] - head.imu.t_s[0] < 1.0
    with pytest.raises(GaitnodeError, match="start < end"):
        time_slice(s, 3.0, 2.0)
    with pytest.raises(GaitnodeError, match="holds no samples"):
        time_slice(s, 1e6)
