import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.hr_backbone import get_weights, last_known, set_weights
from gaitnode.training.hr_testing import tiny_model


def test_last_known_hr_and_its_age():
    yn = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]], np.float32)
    known = np.array([[0, 1, 0, 0, 1]], np.float32)
    value, age = (a.numpy()[0] for a in last_known(yn, known))
    np.testing.assert_allclose(value, [0, 2, 2, 2, 5])
    np.testing.assert_allclose(age * 600, [600, 0, 1, 2, 0], atol=1e-3)


def test_weights_of_another_shape_are_refused():
    m = tiny_model("neural_ode")
    w = get_weights(m)
    set_weights(m, w)
    with pytest.raises(GaitnodeError, match="do not fit"):
        set_weights(m, w[:-1])
    with pytest.raises(GaitnodeError, match="do not fit"):
        set_weights(m, [np.zeros((3, 3))] + w[1:])
