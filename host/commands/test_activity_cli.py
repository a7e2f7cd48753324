"""`gaitnode train|quantize|evaluate activity` end to end on tiny hand-made sessions and a tiny UCI HAR
layout, with a model trained for one epoch (seconds).

These assert the pipeline's properties (files, the classifier contract, int8 in TFLM, C arrays, reports,
errors), not accuracy.
"""

import json

import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.store import write_session
from gaitnode.training.test_activity_dataset import fake_uci_har, toy_session

PLAN = [("standing", 6), ("walking", 8), ("upstairs", 6), ("downstairs", 6), ("sitting", 6), ("laying", 6)]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("activity")
    for split, subjects in (("train", ["A", "B"]), ("val", ["C"]), ("test", ["D"])):
        (root / split).mkdir()
        for k, subject in enumerate(subjects):
            write_session(toy_session(PLAN if k % 2 == 0 else PLAN[::-1], subject=subject, seed=ord(subject)),
                          root / split / f"{subject}.gns")
    model = root / "model"
    assert main(["train", "activity", "--data", str(root / "train"), "--val", str(root / "val"), "-o", str(model),
                 "--epochs", "1", "--train-hop", "32"]) == 0
    assert main(["quantize", "activity", str(model), "--data", str(root / "train"), "--heldout", str(root / "test"),
                 "--representative", "40", "--heldout-windows", "10"]) == 0
    return root


def test_train_and_quantize_write_the_classifier_contract(pipeline):
    model = pipeline / "model"
    meta = json.loads((model / "model.json").read_text())
    assert (meta["task"], meta["output"], meta["rate_hz"], meta["window"], meta["hop"]) == (
        "activity", "window", 50.0, 128, 64)
    assert meta["classes"] == ["walking", "upstairs", "downstairs", "sitting", "standing", "laying"]
    assert meta["synthetic_training_data"] is True and meta["architecture"] == "cnn_lstm"
    q = json.loads((model / "quantize.json").read_text())
    # integer-only, fused LSTMs (TFLM runs them), within the node budgets (40 KB flash, 16 KB arena)
    assert q["ops"].count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 2 and q["fused_lstm"] and "SOFTMAX" in q["ops"]
    assert q["n_heldout_windows"] == 10 and q["model_int8_bytes"] <= 40960 and q["arena_bytes"] <= 16384
    assert (q["max_model_bytes"], q["max_arena_bytes"]) == (40960, 16384)
    assert not q["over_model_budget"] and not q["over_arena_budget"]
    header = (model / "c" / "activity_model_config.h").read_text()
    assert f"#define GN_ACTIVITY_MODEL_BYTES {q['model_int8_bytes']}" in header
    assert "#define GN_ACTIVITY_N_CLASSES 6" in header and "#define GN_ACTIVITY_LAST_HOP 0" in header


@pytest.mark.parametrize("kind", ["float", "tflm"])
def test_evaluate_reports_the_papers_metrics(pipeline, kind, capsys):
    out = pipeline / f"eval_{kind}.json"
    assert main(["evaluate", "activity", str(pipeline / "test"), "--model", kind, "--model-dir",
                 str(pipeline / "model"), "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    o = r["overall"]
    assert o["n_samples"] == r["n_windows"] > 10 and len(o["confusion"]) == 6
    assert set(o["per_class"]["laying"]) == {"precision", "recall", "f1", "support"}
    assert r["synthetic"] is True and r["model"] == kind
    assert ("vs_float" in r) == (kind == "tflm")
    printed = capsys.readouterr().out
    assert "synthetic" in printed and "confusion matrix" in printed and "precision" in printed


def test_uci_har_layout(tmp_path, capsys):
    root = fake_uci_har(tmp_path / "har")
    model = tmp_path / "uci_model"
    assert main(["train", "activity", "--uci-har", str(root), "-o", str(model), "--epochs", "1",
                 "--train-hop", "64"]) == 0
    meta = json.loads((model / "model.json").read_text())
    assert meta["placement"] == "lower_back" and meta["synthetic_training_data"] is False
    assert meta["training"]["subjects"]["train"] and meta["training"]["subjects"]["val"]
    out = tmp_path / "uci.json"
    assert main(["evaluate", "activity", "--uci-har", str(root), "--model-dir", str(model), "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["data"] == "UCI HAR test split" and r["synthetic"] is False and r["n_windows"] == 12
    assert "recorded (non-synthetic) data" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["train", "activity", "-o", "m"], "give sessions (--data / SESSIONS) or --uci-har"),
    (["train", "activity", "--data", "x", "--uci-har", "y", "-o", "m"], "not both"),
    (["train", "activity", "--data", "x", "-o", "m", "--architecture", "resnet"], "--architecture: 'resnet'"),
    (["train", "activity", "--data", "x", "-o", "m", "--label-rule", "first"], "--label-rule: 'first'"),
    (["evaluate", "activity", "x", "--model-dir", "m", "--model", "fp16"], "--model: 'fp16'"),
])
def test_bad_options(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error: ") and message in err


def test_quantize_refuses_another_task(pipeline, tmp_path, capsys):
    meta = json.loads((pipeline / "model" / "model.json").read_text())
    other = tmp_path / "phase"
    other.mkdir()
    (other / "model.json").write_text(json.dumps({**meta, "task": "gait_phase", "classes": ["HS", "ST", "HO", "SW"],
                                                  "output": "last_hop", "hop": 10, "window": 40}))
    assert main(["quantize", "activity", str(other), "--data", str(pipeline / "train")]) == 2
    assert "not an activity model" in capsys.readouterr().err
