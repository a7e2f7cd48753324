import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_data import N_FEATURES
from gaitnode.training.hr_predict import anchor_mask, run, run_many
from gaitnode.training.hr_testing import tiny_model


def test_standard_mode_anchors_each_window_start_and_generative_only_the_first():
    hr = np.full(150, 100.0)
    np.testing.assert_array_equal(np.flatnonzero(anchor_mask(hr, "standard", 60)), [0, 60, 120])
    np.testing.assert_array_equal(np.flatnonzero(anchor_mask(hr, "generative")), [0])


def test_a_window_starting_in_a_dropout_is_anchored_at_its_first_measured_second():
    hr = np.full(150, 100.0)
    hr[58:65] = np.nan
    np.testing.assert_array_equal(np.flatnonzero(anchor_mask(hr, "standard", 60)), [0, 65, 120])


@pytest.mark.parametrize("mode, window, message", [("live", 60, "not one of"), ("standard", 1, "at least 2")])
def test_bad_mode_or_window(mode, window, message):
    with pytest.raises(GaitnodeError, match=message):
        anchor_mask(np.ones(10), mode, window)


def test_batched_runs_equal_single_runs_and_need_a_known_start():
    m = tiny_model("neural_kalman")
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(n, N_FEATURES)).astype(np.float32) for n in (40, 70)]
    hrs = [np.full(40, 90.0), np.full(70, 120.0)]
    anchors = [anchor_mask(h, "standard", 20) for h in hrs]
    both = run_many(m, xs, hrs, anchors)
    for x, h, a, b in zip(xs, hrs, anchors, both):
        np.testing.assert_allclose(run(m, x, h, a), b, atol=1e-4)
    with pytest.raises(GaitnodeError, match="first second"):
        run(m, xs[0], hrs[0], np.zeros(40, np.float32))
    gap = hrs[0].copy()
    gap[5] = np.nan
    with pytest.raises(GaitnodeError, match="no HR value"):
        run(m, xs[0], gap, np.ones(40, np.float32))
