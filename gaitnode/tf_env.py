"""The one way gaitnode imports TensorFlow and Keras.

Models are built with tf_keras (Keras 2), not Keras 3: a Keras 3 LSTM converts to a
WHILE loop whose int8 conversion crashes, while tf_keras gives one fused
UNIDIRECTIONAL_SEQUENCE_LSTM op that TFLite-Micro runs. TF_USE_LEGACY_KERAS must be set
before TensorFlow is first imported, so every module gets TF through `load()`.
"""

from __future__ import annotations

import os

from gaitnode.errors import GaitnodeError


def load():
    """Return (tensorflow, tf_keras) with legacy Keras selected and TF's C++ logging quiet."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    # 3: TF's C++ ERROR lines too (e.g. harmless "NodeDef mentions attribute" from tf.data);
    # real failures still surface as Python exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN reorders float sums (run-to-run differences); off for reproducible training.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf
        import tf_keras as keras
    except ImportError as e:  # pragma: no cover - depends on the install
        raise GaitnodeError(f"TensorFlow/tf_keras is not installed ({e}); run `make setup`") from None
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        raise GaitnodeError("TF_USE_LEGACY_KERAS is set to something other than 1; gaitnode needs tf_keras")
    tf.get_logger().setLevel("ERROR")
    return tf, keras


def set_seed(seed: int) -> None:
    """Seed Python, numpy and TensorFlow and ask TF for deterministic kernels."""
    tf, keras = load()
    keras.utils.set_random_seed(int(seed))
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # older TF: best effort, seeds still fixed
        pass
