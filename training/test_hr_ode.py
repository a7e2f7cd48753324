import numpy as np

from gaitnode.training.hr_data import N_FEATURES
from gaitnode.training.hr_testing import tiny_model


def _constant_demand(model, d: float):
    """Demand MLP -> the constant d (latent units), time constant -> its initial value."""
    model.demand.l2.kernel.assign(np.zeros(model.demand.l2.kernel.shape, np.float32))
    model.demand.l2.bias.assign([d])
    model.rate.l2.kernel.assign(np.zeros(model.rate.l2.kernel.shape, np.float32))
    model.rate.l2.bias.assign([0.0])


def _call(model, y, anchor, observe=None, t=None):
    t = len(y) if t is None else t
    observe = np.zeros(t, np.float32) if observe is None else observe
    x = np.random.default_rng(0).normal(size=(1, t, N_FEATURES)).astype(np.float32)
    return model(x, np.asarray(y, np.float32)[None], np.asarray(anchor, np.float32)[None], observe[None]).numpy()[0]


def test_rk4_follows_the_exact_first_order_response():
    m = tiny_model("neural_ode")
    _constant_demand(m, 1.0)  # demand 130 bpm
    tau = m.config["tau_init_s"]
    n = 200
    y = np.zeros(n, np.float32)
    y[0] = 70.0
    anchor = np.zeros(n, np.float32)
    anchor[0] = 1
    hr = _call(m, y, anchor)
    exact = 130.0 + (70.0 - 130.0) * np.exp(-np.arange(n) / tau)
    np.testing.assert_allclose(hr, exact, atol=1e-3)


def test_known_seconds_reset_the_state_and_output_is_clipped():
    m = tiny_model("neural_ode")
    _constant_demand(m, 10.0)  # demand 400 bpm: beyond physiology
    n = 100
    y = np.full(n, 90.0, np.float32)
    anchor = np.zeros(n, np.float32)
    anchor[[0, 60]] = 1
    observe = np.zeros(n, np.float32)
    observe[30] = 1
    hr = _call(m, y, anchor, observe)
    assert hr[0] == hr[30] == hr[60] == np.float32(90.0)
    assert hr[31] > 90.0 and hr.max() <= 220.0 + 1e-4


def test_output_depends_only_on_the_past():
    m = tiny_model("neural_ode")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 50, N_FEATURES)).astype(np.float32)
    y = np.full((1, 50), 100.0, np.float32)
    a = np.zeros((1, 50), np.float32)
    a[0, 0] = 1
    o = np.zeros_like(a)
    full = m(x, y, a, o).numpy()[0]
    x2 = x.copy()
    x2[0, 30:] += 5.0
    changed = m(x2, y, a, o).numpy()[0]
    np.testing.assert_allclose(full[:30], changed[:30], atol=1e-5)  # step 29 -> 30 uses the drive at 30
    assert np.abs(full[31:] - changed[31:]).max() > 1e-3
