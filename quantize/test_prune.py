import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.prune import Pruner


def test_pruner_reaches_the_sparsity_and_keeps_outputs_close(tiny_model_dir):
    from gaitnode.quantize.conftest import random_windows
    from gaitnode.training.model_dir import load_model_dir

    X = random_windows(64, seed=3)
    p = Pruner(sparsity=0.5, epochs=2, batch_size=16, schedule="constant").fit(tiny_model_dir, X)
    assert p.sparsity_ and all(0.45 <= s <= 0.55 for s in p.sparsity_.values())
    base, _ = load_model_dir(tiny_model_dir)
    diff = np.abs(p.model_.predict(X, verbose=0) - base.predict(X, verbose=0))
    assert diff.mean() < 0.2
    assert not any("prune" in layer.name for layer in p.model_.layers)  # wrappers stripped


@pytest.mark.parametrize("kw", [{"sparsity": 1.0}, {"sparsity": -0.1}, {"epochs": 0}, {"schedule": "cubic"}])
def test_pruner_refuses_bad_parameters(tiny_model_dir, kw):
    with pytest.raises(GaitnodeError):
        Pruner(**kw).fit(tiny_model_dir, np.zeros((4, 32, 6), np.float32))
