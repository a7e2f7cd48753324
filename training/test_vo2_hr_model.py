"""The neural-Kalman cell and the paper's losses: calibration start, rate limits, causality, loss terms."""

import numpy as np
import pytest

from gaitnode import tf_env
from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_model import HEADS, build_model, curriculum, paper_loss


def run(model, x, v0):
    return np.asarray(model({"x": x.astype(np.float32), "v0": np.asarray(v0, np.float32)}))


@pytest.fixture(scope="module")
def kalman():
    return build_model("kalman", 3, enc_units=4, gru_units=5, seed=1)


def set_heads(model, **bias):
    """Zero head weights and the given raw head biases (the rest 0)."""
    cell = model.get_layer("kalman").cell
    cell.head_kernel.assign(np.zeros(cell.head_kernel.shape, np.float32))
    cell.head_bias.assign(np.array([bias.get(h, 0.0) for h in HEADS], np.float32))


def test_both_architectures_map_a_batch_of_sequences_to_vo2_per_second():
    x = np.random.default_rng(0).normal(size=(3, 7, 3))
    for arch in ("kalman", "gru"):
        m = build_model(arch, 3, enc_units=4, gru_units=5)
        y = run(m, x, [[1.0], [2.0], [0.5]])
        assert y.shape == (3, 7)
        # at initialisation every pathway starts at the calibration value v0
        assert np.allclose(y, np.array([1.0, 2.0, 0.5])[:, None], atol=0.15)


def test_the_kalman_step_is_clipped_to_the_learned_rate_limit(kalman):
    up = np.log(np.expm1(0.02))  # softplus -> 0.02 per second
    set_heads(kalman, obs=5.0, gain=20.0, up=up, down=up, blend=-30.0)  # observation far above, gain ~1
    y = run(kalman, np.zeros((1, 10, 3)), [[1.0]])[0]
    assert np.allclose(np.diff(np.concatenate([[1.0], y])), 0.02, atol=1e-5)


def test_the_kalman_state_moves_by_gain_times_innovation_within_the_limits(kalman):
    big = np.log(np.expm1(10.0))
    set_heads(kalman, obs=1.0, gain=0.0, up=big, down=big, blend=-30.0)  # gain 0.5, obs = v0 + 1
    y = run(kalman, np.zeros((1, 3, 3)), [[2.0]])[0]
    assert np.allclose(y, [2.5, 2.75, 2.875], atol=1e-4)  # v_t = v_{t-1} + 0.5 (3 - v_{t-1})


def test_the_blend_weighs_the_direct_pathway(kalman):
    set_heads(kalman, obs=0.0, direct=1.0, blend=30.0)  # blend -> 1: the direct pathway v0 + 1
    assert np.allclose(run(kalman, np.zeros((1, 4, 3)), [[2.0]]), 3.0, atol=1e-4)


def test_outputs_are_causal():
    m = build_model("kalman", 3, enc_units=4, gru_units=5, seed=2)
    x = np.random.default_rng(1).normal(size=(1, 20, 3))
    x2 = x.copy()
    x2[:, 12:] += 3.0
    a, b = run(m, x, [[1.0]]), run(m, x2, [[1.0]])
    assert np.allclose(a[:, :12], b[:, :12]) and not np.allclose(a[:, 12:], b[:, 12:])


def test_bad_architecture_or_sizes_are_refused():
    with pytest.raises(GaitnodeError, match="not one of kalman, gru"):
        build_model("lstm", 3)
    with pytest.raises(GaitnodeError, match="gru_units must be a positive integer"):
        build_model("kalman", 3, gru_units=0)


def loss(y, p, m=None, w=(1.0, 1.0, 1.0)):
    tf, _ = tf_env.load()
    y, p = np.asarray(y, np.float32), np.asarray(p, np.float32)
    m = np.ones_like(y) if m is None else np.asarray(m, np.float32)
    total, parts = paper_loss(tf.constant(y), tf.constant(p), tf.constant(m), w, alpha=1.0, beta=1.0)
    return float(total), {k: float(v) for k, v in parts.items()}


def test_paper_loss_terms():
    y = np.linspace(1, 2, 50)[None]
    assert loss(y, y)[0] == pytest.approx(0.0, abs=1e-6)
    _, shifted = loss(y, y + 0.1)  # right shape, wrong level: MAE and mean moment only
    assert shifted["mae"] == pytest.approx(0.1, abs=1e-5) and shifted["derivative"] == pytest.approx(0.0, abs=1e-5)
    assert shifted["moments"] == pytest.approx(0.1, abs=1e-4)
    wiggly = y + 0.05 * (-1.0) ** np.arange(50)  # right level, wrong dynamics
    _, w = loss(y, wiggly)
    assert w["derivative"] > 0.1 and w["moments"] > 0.05


def test_paper_loss_ignores_masked_seconds():
    y = np.linspace(1, 2, 20)[None]
    p = y.copy()
    p[0, 15:] = 9.0
    m = np.ones_like(y)
    m[0, 15:] = 0
    assert loss(y, p, m)[1]["mae"] == pytest.approx(0.0, abs=1e-6)


def test_curriculum_follows_the_paper():
    assert curriculum(0) == pytest.approx((1.0, 0.0, 0.10))
    assert curriculum(10) == pytest.approx((0.5, 0.5, 0.20))
    assert curriculum(30) == pytest.approx((0.30, 0.70, 0.30))
