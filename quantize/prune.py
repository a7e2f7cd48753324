"""Magnitude pruning during a short fine-tune (tensorflow-model-optimization, tf_keras).

    p = Pruner(sparsity=0.5, epochs=3).fit(model_dir, X)
    p.model_, p.sparsity_   # stripped tf_keras model, achieved sparsity per pruned layer

The fine-tune distils the model into itself: the targets are the unpruned float model's own
outputs on the task's windows X, so one loss (mean squared error on the outputs) serves every
task and the pruned model stays close to the validated one; the task metric is checked after
conversion (compress_tasks). Conv1D, Dense and LSTM layers are wrapped with
`prune_low_magnitude` (ConstantSparsity, or PolynomialDecay from 0 to the target over the
fine-tune); BatchNorm and the rest stay as they are. `strip_pruning` removes the wrappers, so the
result converts like the original model.
"""

from __future__ import annotations

import math

import numpy as np

from gaitnode.errors import GaitnodeError

SCHEDULES = ("constant", "polynomial")


class Pruner:
    """Prune a model dir's tf_keras model to `sparsity` (fraction of zero weights per pruned layer).

    Parameters: sparsity (0..0.95), epochs, batch_size, learning_rate (Adam), schedule
    ("constant" | "polynomial"), seed.

    Results (after `fit`): model_ (stripped tf_keras model, compiled=False), meta_ (model.json dict),
    sparsity_ ({layer name: fraction of zero kernel weights}), history_ ({"loss": [...]}).
    """

    def __init__(self, sparsity: float = 0.5, epochs: int = 3, batch_size: int = 64, learning_rate: float = 2e-4,
                 schedule: str = "polynomial", seed: int = 0):
        self.sparsity = sparsity
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.seed = seed

    def _check(self) -> None:
        s = self.sparsity
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or not 0 <= s <= 0.95:
            raise GaitnodeError(f"sparsity must be a fraction from 0 to 0.95, got {s!r}")
        for key in ("epochs", "batch_size"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise GaitnodeError(f"{key} must be a positive integer, got {v!r}")
        if self.schedule not in SCHEDULES:
            raise GaitnodeError(f"pruning schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")

    def fit(self, model_dir, X) -> "Pruner":
        """Fine-tune with pruning on windows X (float32 [n, W, C], the model's normalised inputs)."""
        from gaitnode import tf_env
        from gaitnode.training.model_dir import load_model_dir

        self._check()
        tf, keras = tf_env.load()
        import tensorflow_model_optimization as tfmot

        X = np.asarray(X, np.float32)
        if X.ndim != 3 or len(X) < 1:
            raise GaitnodeError(f"pruning needs windows [n >= 1, W, C], got shape {list(X.shape)}")
        tf_env.set_seed(self.seed)
        base, meta = load_model_dir(model_dir)
        targets = np.asarray(base.predict(X, batch_size=256, verbose=0), np.float32)
        steps = self.epochs * max(1, math.ceil(len(X) / self.batch_size))
        sk = tfmot.sparsity.keras
        if self.schedule == "constant":
            schedule = sk.ConstantSparsity(float(self.sparsity), begin_step=0, frequency=1)
        else:
            schedule = sk.PolynomialDecay(0.0, float(self.sparsity), begin_step=0, end_step=max(1, steps - 1),
                                          frequency=1)
        prunable = (keras.layers.Conv1D, keras.layers.Dense, keras.layers.LSTM)

        def wrap(layer):
            if isinstance(layer, prunable):
                return sk.prune_low_magnitude(layer, pruning_schedule=schedule)
            return layer.__class__.from_config(layer.get_config())

        model = keras.models.clone_model(base, clone_function=wrap)
        _copy_weights(base, model)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        hist = model.fit(X, targets, epochs=self.epochs, batch_size=self.batch_size, shuffle=True, verbose=0,
                         callbacks=[sk.UpdatePruningStep()])
        stripped = sk.strip_pruning(model)
        loss = [float(v) for v in hist.history["loss"]]
        if not all(math.isfinite(v) for v in loss):
            raise GaitnodeError(f"the pruning fine-tune diverged (loss {loss}); lower the learning rate")
        self.model_ = stripped
        self.meta_ = meta
        self.history_ = {"loss": loss}
        self.sparsity_ = layer_sparsity(stripped, prunable)
        return self


def _copy_weights(base, model) -> None:
    """Copy the unpruned weights layer by layer into the wrapped clone (the wrappers add step/mask
    variables, so the flat weight lists differ in length)."""
    for src, dst in zip(base.layers, model.layers):
        inner = getattr(dst, "layer", dst)
        if src.get_weights():
            inner.set_weights(src.get_weights())


def layer_sparsity(model, kinds) -> dict[str, float]:
    """{layer name: fraction of exactly-zero values in its kernel(s)} for layers of `kinds`."""
    out = {}
    for layer in model.layers:
        if isinstance(layer, kinds):
            ws = [w for w in layer.get_weights() if w.ndim >= 2]
            n = sum(w.size for w in ws)
            out[layer.name] = float(sum(int(np.sum(w == 0)) for w in ws) / n) if n else 0.0
    return out
