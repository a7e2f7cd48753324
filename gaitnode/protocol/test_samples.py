import numpy as np

from gaitnode.protocol.samples import Ranges, from_counts, to_counts

R = Ranges(acc_g=16, gyr_dps=2000, mag_ut=4900)


def test_counts_round_trip_within_half_a_count():
    rng = np.random.default_rng(0)
    acc, gyr, mag = rng.normal(0, 30, (50, 3)), rng.normal(0, 300, (50, 3)), rng.normal(0, 50, (50, 3))
    raw, clipped = to_counts(acc, gyr, mag, R)
    assert raw.dtype == np.int16 and raw.shape == (50, 9) and clipped == 0
    a, g, m = from_counts(raw, R)
    step = R.per_count()
    assert np.all(np.abs(a - acc) <= step[0] / 2 + 1e-6)
    assert np.all(np.abs(g - gyr) <= step[3] / 2 + 1e-6)
    assert np.all(np.abs(m - mag) <= step[6] / 2 + 1e-6)


def test_out_of_range_values_saturate_and_are_counted():
    acc = np.array([[20 * 9.80665, -20 * 9.80665, 0.0]])
    raw, clipped = to_counts(acc, np.zeros((1, 3)), np.full((1, 3), np.nan), R)
    assert clipped == 2
    assert raw[0, 0] == 32767 and raw[0, 1] == -32768 and raw[0, 2] == 0
    assert np.all(raw[0, 6:] == 0)  # missing mag -> 0 counts
