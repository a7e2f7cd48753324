"""Training of the on-device models from sessions (`gaitnode.training`).

Heel-strike model (paper 000: CNN-LSTM, LSTM-only comparison, transfer learning):

* `datasets`: load sessions from .gns files, directories and cohorts; split by subject.
* `labels`: per-sample heel-strike targets from the reference events.
* `windows`: channel matrices, normalisation and windowing with the output delay.
* `heel_strike_models`: the three Keras architectures ("cnn_lstm", "cnn_lstm_paper", "lstm_only").
* `heel_strike_trainer`: `HeelStrikeTrainer(...).fit(train, val)` -> model_, meta_, history_.
* `finetune`: `FineTuner(...).fit(base_model_dir, sessions)`: freeze the features, retrain the head.
* `model_dir`: save/load a model directory (model.keras + model.json, schema-checked).
* `predict`: per-sample probabilities over a session, stitched exactly as on the device.

TensorFlow is imported lazily through `gaitnode.tf_env` (tf_keras, Keras 2) by the modules
that need it.
"""
