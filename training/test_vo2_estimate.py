import ctypes

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_estimate import device_estimates, fit_smoothing, period_means, smooth


def test_smooth_is_the_exact_first_order_step_response():
    t = np.arange(0.0, 121.0, 5.0)
    u = np.where(t >= 10.0, 20.0, 5.0)
    x = smooth(t, u, 30.0)
    # x starts at the first input; after the step at t=10 it follows 20 - 15 exp(-(t - 5) / 30): the
    # input of an estimate is held over the interval before it (the node's convention).
    after = t >= 10.0
    np.testing.assert_allclose(x[after], 20.0 - 15.0 * np.exp(-(t[after] - 5.0) / 30.0), rtol=1e-12)
    assert x[0] == 5.0 and x[1] == 5.0
    np.testing.assert_array_equal(smooth(t, u, 0.0), u)
    with pytest.raises(GaitnodeError, match="time constant must be >= 0"):
        smooth(t, u, -1.0)


def test_period_means_average_per_period_and_hold_empty_periods():
    t_end = np.array([1.28, 2.28, 3.28, 4.28, 5.28, 6.28, 12.0])
    t, m = period_means(t_end, [1, 2, 3, 4, 5, 6, 7], period_s=5.0, t_last=21.0)
    np.testing.assert_allclose(t, [5.0, 10.0, 15.0, 20.0])
    np.testing.assert_allclose(m, [2.5, 5.5, 7.0, 7.0])  # 15 s holds the 10-15 s mean, 20 s holds it again
    t, m = period_means([6.0, 7.0], [4.0, 6.0], period_s=5.0, t0=0.0, t_last=10.0)
    np.testing.assert_allclose(t, [10.0])  # no estimate before the first output
    np.testing.assert_allclose(m, [5.0])
    t, m = period_means([5.0], [3.0], period_s=5.0, t_last=5.0)  # a window ending on a boundary is in it
    np.testing.assert_allclose((t, m), ([5.0], [3.0]))
    with pytest.raises(GaitnodeError, match="2 window times for 1 outputs"):
        period_means([1.0, 2.0], [1.0], period_s=5.0)


def test_fit_smoothing_finds_the_time_constant_of_the_reference():
    t_end = np.arange(1.0, 600.0, 1.0)
    demand = np.where((t_end // 120) % 2 == 1, 25.0, 8.0)  # steps every 2 minutes
    ref = device_estimates(t_end, demand, tau_s=30.0, period_s=5.0).smoothed
    grid_t = device_estimates(t_end, demand, tau_s=30.0, period_s=5.0).t_s
    reference = lambda t: np.interp(t, grid_t, ref, left=np.nan, right=np.nan)  # noqa: E731
    tau, scores = fit_smoothing([(t_end, demand, 0.0, reference)], period_s=5.0, grid=(0.0, 10.0, 30.0, 60.0))
    assert tau == 30.0 and scores[30.0] < 1e-9 < min(scores[0.0], scores[10.0], scores[60.0])
    with pytest.raises(GaitnodeError, match="no estimate has a positive VO2 reference"):
        fit_smoothing([(t_end, demand, 0.0, lambda t: np.full(len(t), np.nan))], grid=(0.0,))


def test_estimates_match_the_c_estimate_stage():
    """The CNN-LSTM path of the firmware's gn_vo2 (int8 outputs -> period means -> smoothing) gives
    the same estimates as vo2_estimate on the dequantised outputs."""
    from gaitnode.ccore import abi

    lib = abi.core()
    lib.gn_vo2_model_output.argtypes = [ctypes.c_void_p, ctypes.c_int8]
    lib.gn_vo2_model_output.restype = None
    rate, hop, window, period, tau, scale, zp = 100.0, 100, 128, 5.0, 25.0, 0.25, -100
    p = abi.Vo2Params()
    lib.gn_vo2_default_params(ctypes.byref(p))
    p.rate_hz, p.model_tau_s, p.model_out_scale, p.model_out_zero_point = rate, tau, scale, zp
    state = abi.new_state(lib.gn_vo2_size())
    cadence = abi.new_state(lib.gn_cadence_size())
    cp = abi.CadenceParams()
    lib.gn_cadence_default_params(ctypes.byref(cp))
    assert lib.gn_cadence_init(cadence, ctypes.byref(cp)) == 0 and lib.gn_vo2_init(state, ctypes.byref(p)) == 0
    n_samples = 6000
    ends = np.arange(window - 1, n_samples, hop)  # sample index of each window's last sample
    q = np.random.default_rng(0).integers(-100, 60, len(ends)).astype(np.int8)
    period_samples = int(period * rate)
    res = abi.Vo2Result()
    c_t, c_x = [], []
    k = 0
    for tick in range(period_samples, n_samples, period_samples):
        while k < len(ends) and ends[k] <= tick:
            lib.gn_vo2_model_output(state, int(q[k]))
            k += 1
        lib.gn_vo2_estimate(state, tick, cadence, 0, 0.0, ctypes.byref(res))
        if res.has_model:
            c_t.append(tick / rate)
            c_x.append(res.model)
    est = device_estimates(ends / rate, scale * (q.astype(np.float64) - zp), tau_s=tau, period_s=period,
                           t0=0.0, t_last=(n_samples - 1) / rate)
    np.testing.assert_allclose(est.t_s, c_t)
    np.testing.assert_allclose(est.smoothed, c_x, rtol=1e-5, atol=1e-4)
