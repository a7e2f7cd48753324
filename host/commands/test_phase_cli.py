"""`gaitnode train|quantize|evaluate phase` end to end on a tiny synthetic cohort.

These assert the pipeline's properties (files, contract fields, int8 in TFLM, C arrays, reports,
baselines, errors), not accuracy: the models train for seconds on a few minutes of synthetic walking.
"""

import json
import shutil

import pytest

from gaitnode.host.cli import main

SCHEDULE = """name: walk_and_stairs
segments:
  - {activity: standing, duration_s: 5}
  - {activity: walking, duration_s: 25, speed_ms: 1.3}
  - {activity: upstairs, duration_s: 15}
  - {activity: downstairs, duration_s: 15}
"""


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("phase")
    (root / "walk_and_stairs.yaml").write_text(SCHEDULE)
    assert main(["cohort", "-o", str(root / "cohort"), "--subjects", "4", "--protocols",
                 str(root / "walk_and_stairs.yaml"), "--split", "0.5,0.25,0.25", "--seed", "3"]) == 0
    return root


def test_train_writes_the_classifier_contract(cohort):
    out = cohort / "m"
    assert main(["train", "phase", "--data", str(cohort / "cohort"), "-o", str(out), "--epochs", "1",
                 "--windows-per-epoch", "200", "--architecture", "lstm_only"]) == 0
    meta = json.loads((out / "model.json").read_text())
    assert (meta["task"], meta["output"], meta["window"], meta["hop"]) == ("gait_phase", "last_hop", 40, 10)
    assert meta["classes"] == ["HS", "ST", "HO", "SW"] and meta["architecture"] == "lstm_only"
    assert main(["train", "phase", "--data", str(cohort / "cohort"), "-o", str(out)]) == 2  # exists, no --force


def test_quantize_writes_int8_and_c_config(cohort, capsys):
    from gaitnode.twin.testing import small_phase_model

    model = cohort / "q"
    shutil.copytree(small_phase_model(), model)
    assert main(["quantize", "phase", str(model), "--data", str(cohort / "cohort"), "--representative", "40",
                 "--heldout-windows", "30", "--force"]) == 0
    q = json.loads((model / "quantize.json").read_text())
    assert q["model_int8_bytes"] <= 40960 and not q["over_model_budget"] and not q["over_arena_budget"]
    assert q["phase_agreement_tflm_vs_float"] > 0.9 and "synthetic" in q["heldout_data"]
    assert (model / "c" / "phase_model_data.cc").is_file() and (model / "c" / "phase_model_config.h").is_file()
    assert "same phase on" in capsys.readouterr().out


def test_evaluate_tflm_and_baselines_per_terrain(cohort, capsys, tmp_path):
    from gaitnode.twin.testing import small_phase_model

    r = tmp_path / "tflm.json"
    assert main(["evaluate", "phase", str(cohort / "cohort"), "--model", "tflm", "--model-dir",
                 str(small_phase_model()), "--json", str(r)]) == 0
    report = json.loads(r.read_text())
    assert report["synthetic"] is True and report["agreement_with_float"] > 0.9
    assert report["by_terrain"]["stairs_down"]["n_samples"] > 0
    out = capsys.readouterr().out
    assert "stairs_up" in out and "confusion" in out and "synthetic" in out
    knn = tmp_path / "knn"
    assert main(["train", "phase", "--data", str(cohort / "cohort"), "-o", str(knn), "--architecture", "knn",
                 "--max-rows", "3000"]) == 0
    assert main(["evaluate", "phase", str(cohort / "cohort"), "--model", "knn", "--model-dir", str(knn),
                 "--json", str(tmp_path / "knn.json")]) == 0
    k = json.loads((tmp_path / "knn.json").read_text())
    assert k["architecture"] == "knn" and 0.25 < k["overall"]["accuracy"] <= 1.0


def test_bad_input_is_one_error_line(cohort, capsys, tmp_path):
    from gaitnode.twin.testing import small_phase_model

    model = str(small_phase_model())
    assert main(["evaluate", "phase", str(cohort / "cohort"), "--model", "fp16", "--model-dir", model]) == 2
    assert main(["evaluate", "phase", str(cohort / "cohort"), "--model", "svm", "--model-dir", model]) == 2
    assert main(["train", "phase", "--data", str(cohort / "cohort"), "-o", str(tmp_path / "x"),
                 "--architecture", "resnet50"]) == 2
    assert main(["train", "phase", "--data", str(cohort / "cohort"), "-o", str(tmp_path / "x"),
                 "--channels", "acc_x,fsr_toe", "--epochs", "1"]) == 2
    assert main(["quantize", "phase", str(tmp_path), "--data", str(cohort / "cohort")]) == 2
    err = capsys.readouterr().err
    assert "gaitnode: error: --model: 'fp16'" in err and "fsr_toe" in err and "Traceback" not in err
