import numpy as np

from gaitnode.training.hr_data import HR_CENTER, HR_SCALE, N_FEATURES
from gaitnode.training.hr_kalman import GAMMA, P_MIN, V_MAX_BPM_S
from gaitnode.training.hr_testing import tiny_model

O_BPM = 160.0


def _fixed(model):
    """Zero every learned head's last layer: constant pseudo-observation, Q, R; no acceleration;
    the gain is the classical P_g / (P_g + R)."""
    for layer in (model.obs.l2, model.noise.l2, model.meas.l2, model.gain.l2, model.tr_out):
        layer.kernel.assign(np.zeros(layer.kernel.shape, np.float32))
        layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
    model.obs.l2.bias.assign([(O_BPM - HR_CENTER) / HR_SCALE])


def _reference(model, y, anchor, observe):
    """The documented recursion in numpy (latent units)."""
    q = np.exp(model.q_bias.numpy())
    r = np.exp(model.r_bias.numpy())
    r_hr = np.exp(model.log_r_hr.numpy())
    pg, pv = np.exp(model.log_p0.numpy())
    o = (O_BPM - HR_CENTER) / HR_SCALE
    vmax = V_MAX_BPM_S / HR_SCALE
    g = v = 0.0
    out = []
    yn = (np.asarray(y) - HR_CENTER) / HR_SCALE

    def update(g, v, pg, pv, k, nu):
        return (g + k * nu, np.clip(v + GAMMA * k * nu, -vmax, vmax),
                max(pg * (1 - k), P_MIN), max(pv * (1 - GAMMA * k), P_MIN))

    for t in range(len(y)):
        if observe[t]:
            g, v, pg, pv = update(g, v, pg, pv, pg / (pg + r_hr), yn[t] - g)
        if anchor[t]:
            g, pg = yn[t], P_MIN
        out.append(g)
        g, pg, pv = g + v, pg + q[0], pv + q[1]
        if not (t + 1 < len(y) and observe[t + 1]):
            g, v, pg, pv = update(g, v, pg, pv, pg / (pg + r), o - g)
    return HR_CENTER + HR_SCALE * np.array(out)


def test_recursion_matches_the_documented_filter():
    m = tiny_model("neural_kalman")
    _fixed(m)
    n = 80
    y = (100.0 + 20 * np.sin(np.arange(n) / 9.0)).astype(np.float32)
    anchor = np.zeros(n, np.float32)
    anchor[[0, 40]] = 1
    observe = np.zeros(n, np.float32)
    observe[50:60] = 1
    x = np.zeros((1, n, N_FEATURES), np.float32)
    hr = m(x, y[None], anchor[None], observe[None]).numpy()[0]
    ref = _reference(m, y, anchor, observe)
    np.testing.assert_allclose(hr, ref, atol=2e-3)
    assert hr[0] == np.float32(y[0]) and abs(hr[40] - y[40]) < 1e-3
    assert hr[39] > hr[1]  # pulled towards the 160 bpm pseudo-observation between anchors


def test_hr_is_clipped_to_physiology():
    m = tiny_model("neural_kalman")
    _fixed(m)
    m.obs.l2.bias.assign([20.0])  # a pseudo-observation of 700 bpm
    m.r_bias.assign(np.log(1e-6))  # trusted fully
    n = 30
    y = np.full(n, 80.0, np.float32)
    anchor = np.zeros(n, np.float32)
    anchor[0] = 1
    hr = m(np.zeros((1, n, N_FEATURES), np.float32), y[None], anchor[None], np.zeros((1, n), np.float32)).numpy()[0]
    assert hr[0] == np.float32(80.0) and hr[1:].max() <= 220.0 + 1e-4 and hr[-1] > 219.0
