"""The C input stage (gn_input) against the Python the models were trained and quantised with.

Reference: training.windows.normalise (float32 (x - mean) / std) and quantize.runners.quantize_input
(x / scale in double, halves away from zero like TFLite, clipped). The C core decides the rounding
on the real quotient x_norm / scale, as the double division does, so the two agree value by value:
the tests compare exactly, including inputs whose float32 quotient lands on a half although the real
quotient does not (there roundf(x / scale) in float would be off by one).
"""

import numpy as np
import pytest

from gaitnode.ccore.input_quant import InputQuantizer, physical_units
from gaitnode.errors import GaitnodeError
from gaitnode.quantize.runners import quantize_input
from gaitnode.training.windows import normalise


def _reference(phys, channels, mean, std, scale, zero_point):
    x = normalise(np.asarray(phys, np.float32)[:, channels], mean, std)
    return quantize_input(x, scale, zero_point, np.int8)


def _random_physical(rng, n):
    """float32 [n, 9]: acc (m/s^2), gyr (deg/s), mag (uT) over and beyond their usual ranges."""
    spread = np.array([30, 30, 30, 600, 600, 600, 80, 80, 80], np.float32)
    return (rng.standard_normal((n, 9)).astype(np.float32) * spread).astype(np.float32)


@pytest.mark.parametrize("seed, channels", [(0, [0, 1, 2, 3, 4, 5]), (1, [8, 3, 0, 6, 1, 7, 2, 5, 4]), (2, [4])])
def test_random_samples_quantise_exactly_like_python(seed, channels):
    rng = np.random.default_rng(seed)
    phys = _random_physical(rng, 4000)
    mean = (rng.standard_normal(len(channels)) * 5).astype(np.float32)
    std = rng.uniform(1.0, 300.0, len(channels)).astype(np.float32)
    scale = float(np.float32(rng.uniform(0.01, 0.06)))
    zero_point = int(rng.integers(-20, 20))
    got = InputQuantizer(channels, mean, std, scale, zero_point).quantize(phys)
    want = _reference(phys, channels, mean, std, scale, zero_point)
    assert got.dtype == np.int8 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert (got == 127).any() and (got == -128).any()  # the clamping was exercised too


def test_near_halves_are_rounded_on_the_real_quotient():
    # x just beside (k + 1/2) * scale: many of these have a float32 quotient of exactly k + 1/2
    rng = np.random.default_rng(5)
    xs, scales = [], []
    for _ in range(300):
        scale = np.float32(rng.uniform(0.01, 0.3))
        k = int(rng.integers(-120, 120))
        x = np.float32((k + 0.5) * float(scale))
        for steps in range(-3, 4):
            v = x
            for _ in range(abs(steps)):
                v = np.nextafter(v, np.float32(np.inf if steps > 0 else -np.inf))
            xs.append(v)
            scales.append(scale)
    xs = np.array(xs, np.float32)
    scales = np.array(scales, np.float32)
    naive_disagrees = 0
    for scale in np.unique(scales):
        sel = scales == scale
        phys = np.zeros((sel.sum(), 9), np.float32)
        phys[:, 0] = xs[sel]
        got = InputQuantizer([0], [0.0], [1.0], float(scale), 0).quantize(phys)[:, 0]
        want = _reference(phys, [0], np.float32([0.0]), np.float32([1.0]), float(scale), 0)[:, 0]
        np.testing.assert_array_equal(got, want)
        q32 = xs[sel] / scale  # what rounding the float32 quotient would do
        naive = np.clip(np.sign(q32) * np.floor(np.abs(q32) + np.float32(0.5)), -128, 127)
        naive_disagrees += int(np.sum(naive != want))
    assert naive_disagrees > 0  # the set holds cases where the float32 quotient alone would round wrongly


def test_exact_halves_round_away_from_zero():
    phys = np.zeros((6, 9), np.float32)
    phys[:, 3] = [0.125, -0.125, 0.375, -0.375, 31.875, -32.125]  # /0.25: +-0.5, +-1.5, 127.5, -128.5
    got = InputQuantizer([3], [0.0], [1.0], 0.25, 0).quantize(phys)[:, 0]
    assert got.tolist() == [1, -1, 2, -2, 127, -128]
    np.testing.assert_array_equal(got, _reference(phys, [3], np.float32([0]), np.float32([1]), 0.25, 0)[:, 0])


def test_physical_units_match_numpy_float32():
    rng = np.random.default_rng(3)
    raw = rng.integers(-32768, 32768, (500, 9)).astype(np.int16)
    angle = 0.7
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]], np.float32)
    got = physical_units(raw, 16, 2000, 4900, rot)
    per_lsb = np.array([np.float32(16) * np.float32(9.80665) / np.float32(32768), np.float32(2000) / np.float32(32768),
                        np.float32(4900) / np.float32(32768)], np.float32)
    v = raw.astype(np.float32).reshape(-1, 3, 3) * per_lsb[None, :, None]
    want = np.einsum("ij,ntj->nti", rot, v).reshape(-1, 9)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(physical_units(raw, 16, 2000, 4900), v.reshape(-1, 9))


def test_bad_parameters_are_one_clear_error():
    with pytest.raises(GaitnodeError, match="std must be finite"):
        InputQuantizer([0, 1], [0, 0], [1, 0], 0.05, 0)
    with pytest.raises(GaitnodeError, match="channel index"):
        InputQuantizer([9], [0], [1], 0.05, 0)
    with pytest.raises(GaitnodeError, match="zero point"):
        InputQuantizer([0], [0], [1], 0.05, 200)
    with pytest.raises(GaitnodeError, match="scale"):
        InputQuantizer([0], [0], [1], 0.0, 0)
    with pytest.raises(GaitnodeError, match="channels"):
        InputQuantizer([], [], [], 0.05, 0)
    with pytest.raises(GaitnodeError, match="ranges"):
        physical_units(np.zeros((1, 9), np.int16), 0, 2000, 4900)
