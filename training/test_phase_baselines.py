import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.phase_baselines import PhaseBaseline, load_baseline, row_features, save_baseline


def _data(n=300, seed=0):
    """Windows whose phase (one per window) is readable from channel 0's level, plus a noise channel."""
    rng = np.random.default_rng(seed)
    X = (0.1 * rng.standard_normal((n, 40, 2))).astype(np.float32)
    Y = np.repeat(rng.integers(0, 4, (n, 1)), 10, axis=1)
    X[:, 15:, 0] += ((Y[:, :1] - 1.5) / 2).astype(np.float32)
    Y[:5, :] = -1
    return X, Y


def test_row_features_see_only_rows_up_to_the_labelled_one():
    X, _ = _data(4)
    f = row_features(X, 10)
    assert f.shape == (40, 2 * 7)
    Z = X.copy()
    Z[:, 35:] = 9.0
    g = row_features(Z, 10).reshape(4, 10, -1)
    np.testing.assert_array_equal(g[:, :5], f.reshape(4, 10, -1)[:, :5])


@pytest.mark.parametrize("kind", ["knn", "svm"])
def test_baselines_learn_a_readable_phase(kind, tmp_path):
    X, Y = _data()
    b = PhaseBaseline(kind, max_rows=2000, seed=0).fit(X[:200], Y[:200])
    P = b.predict(X[200:])
    assert P.shape == (100, 10)
    assert (P == Y[200:]).mean() > 0.9
    d = save_baseline(tmp_path / kind, b, {"task": "gait_phase", "architecture": kind})
    b2, meta = load_baseline(d)
    np.testing.assert_array_equal(b2.predict(X[200:]), P)
    assert meta["architecture"] == kind


def test_bad_input(tmp_path):
    X, Y = _data(20)
    with pytest.raises(GaitnodeError, match="not one of"):
        PhaseBaseline("forest").fit(X, Y)
    with pytest.raises(GaitnodeError, match="at least 2 phases"):
        PhaseBaseline().fit(X, np.zeros_like(Y))
    with pytest.raises(GaitnodeError, match="windows"):
        PhaseBaseline().fit(X[:, :, 0], Y)
    with pytest.raises(GaitnodeError, match="not a phase baseline directory"):
        load_baseline(tmp_path)
    (tmp_path / "baseline.json").write_text("{}")
    (tmp_path / "baseline.pkl").write_bytes(b"not a pickle")
    with pytest.raises(GaitnodeError, match="cannot load the baseline"):
        load_baseline(tmp_path)
