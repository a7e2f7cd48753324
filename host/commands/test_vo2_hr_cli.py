"""`gaitnode train|evaluate vo2-hr` end to end with tiny models: synthetic sessions, real CPET tests, bad input.

These assert the pipeline (files, labels, tables, JSON, messages), not accuracy.
"""

import dataclasses
import json

import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.store import read_session, write_session

SCHEDULE = """name: short_walk
segments:
  - {activity: standing, duration_s: 10}
  - {activity: walking, duration_s: 50, speed_ms: 1.1}
  - {activity: walking, duration_s: 40, speed_ms: 1.7}
"""
TINY = ["--epochs", "1", "--seq-len", "60", "--gru-units", "6"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("vo2hr")
    (root / "short_walk.yaml").write_text(SCHEDULE)
    assert main(["cohort", "-o", str(root / "cohort"), "--subjects", "4", "--protocols", str(root / "short_walk.yaml"),
                 "--split", "0.5,0.25,0.25", "--seed", "3"]) == 0
    assert main(["train", "vo2-hr", "--data", str(root / "cohort"), "-o", str(root / "model"), *TINY]) == 0
    return root


def test_train_on_sessions_writes_a_cadence_model_from_synthetic_data(synthetic):
    meta = json.loads((synthetic / "model" / "model.json").read_text())
    assert meta["task"] == "vo2_hr" and meta["architecture"] == "kalman" and "cadence" in meta["features"]
    assert meta["synthetic_training_data"] is True
    assert len(meta["training"]["recordings"]["train"]) == 2 and len(meta["training"]["recordings"]["val"]) == 1


def test_evaluate_sessions_reports_errors_and_writes_the_per_second_series(synthetic, capsys):
    out, series = synthetic / "eval.json", synthetic / "series"
    assert main(["evaluate", "vo2-hr", str(synthetic / "cohort"), "--model-dir", str(synthetic / "model"),
                 "--series-dir", str(series), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "synthetic, simulator" in text and "vo2_true" in text
    report = json.loads(out.read_text())
    assert report["data"] == "synthetic, simulator" and len(report["recordings"]) == 1
    assert set(report["aggregate"]) == {"vo2_filtered", "vo2_raw", "vo2_true"}
    csv = list(series.glob("*.vo2_hr.csv"))
    assert len(csv) == 1
    lines = csv[0].read_text().splitlines()
    assert lines[0] == "t_s,hr_bpm,cadence_spm,vo2_est_ml_min,vo2_est_ml_kg_min,vo2_ref_ml_min" and len(lines) > 90


def test_train_and_score_on_the_real_cpet_tests(tmp_path, capsys):
    model = tmp_path / "cpet_model"
    assert main(["train", "vo2-hr", "--cpet", "--limit", "3", "-o", str(model), *TINY]) == 0
    meta = json.loads((model / "model.json").read_text())
    assert meta["synthetic_training_data"] is False and "cadence" not in meta["features"]
    assert main(["evaluate", "vo2-hr", "--cpet", "--limit", "3", "--model-dir", str(model),
                 "--calibration", "resting"]) == 0
    out = capsys.readouterr().out
    assert "real, pyoxynet CPET" in out and "ramp_1" in out and "calibration resting" in out


def test_cross_validation_on_real_cpet_reports_per_subject_and_aggregate(tmp_path, capsys):
    kfold, loso = tmp_path / "kfold.json", tmp_path / "loso.json"
    assert main(["evaluate", "vo2-hr", "--cpet", "--limit", "4", "--folds", "2", "--architecture", "kalman",
                 "--json", str(kfold), *TINY]) == 0
    assert main(["evaluate", "vo2-hr", "--cpet", "--limit", "3", "--base-folds", "2", "--finetune-steps", "1",
                 "--architecture", "gru", "--per-subject", "--json", str(loso), *TINY]) == 0
    out = capsys.readouterr().out
    assert "2-fold (base models)" in out and "leave-one-subject-out" in out and "per subject" in out
    k = json.loads(kfold.read_text())
    assert k["data"] == "real, pyoxynet CPET" and k["paper_mape_pct"] == 11.4
    assert k["models"]["kalman"]["loso"] is None and len(k["models"]["kalman"]["kfold"]["subjects"]) == 4
    g = json.loads(loso.read_text())["models"]["gru"]
    assert g["scheme"] == "leave-one-subject-out (warm-started)" and len(g["loso"]["recordings"]) == 3


@pytest.mark.parametrize("args, message", [
    (["train", "vo2-hr", "-o", "m"], "give either --cpet (the real CPET tests) or --data SESSIONS"),
    (["train", "vo2-hr", "--cpet", "--cadence", "-o", "m"], "the CPET tests have no cadence"),
    (["evaluate", "vo2-hr"], "give --model-dir DIR to score a trained model, or --cpet"),
    (["evaluate", "vo2-hr", "--cpet", "--folds", "1"], "--folds must be at least 2"),
    (["evaluate", "vo2-hr", "--cpet", "--architecture", "lstm"], "--architecture 'lstm'"),
    (["evaluate", "vo2-hr", "--cpet", "--calibration", "cart"], "--calibration 'cart'"),
    (["evaluate", "vo2-hr", "--cpet", "--protocols", "cycling"], "--protocols 'cycling'"),
])
def test_bad_options_give_one_error_line(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gaitnode: error: ") and message in err[0]


def test_sessions_without_heart_rate_or_vo2_are_refused(synthetic, tmp_path, capsys):
    src = next((synthetic / "cohort" / "test").glob("*.gns"))
    s = read_session(src)
    no_hr = dataclasses.replace(s, series={k: v for k, v in s.series.items() if k != "hr"})
    write_session(no_hr, tmp_path / "no_hr.gns")
    assert main(["evaluate", "vo2-hr", str(tmp_path / "no_hr.gns"), "--model-dir", str(synthetic / "model")]) == 2
    assert "no 'hr' series" in capsys.readouterr().err
    no_vo2 = dataclasses.replace(s, series={k: v for k, v in s.series.items() if k not in ("vo2", "vo2_true")})
    write_session(no_vo2, tmp_path / "no_vo2.gns")
    assert main(["train", "vo2-hr", "--data", str(tmp_path / "no_vo2.gns"), "-o", str(tmp_path / "m"), *TINY]) == 2
    assert "no 'vo2' series (VO2, ml/min)" in capsys.readouterr().err


def test_quantize_checks_the_recurrent_core_for_a_node(synthetic, capsys):
    model = synthetic / "model"
    assert main(["quantize", "vo2-hr", str(model), "--data", str(synthetic / "cohort"), "--heldout", "1"]) == 0
    report = json.loads((model / "device.json").read_text())
    assert report["integer_only"] and set(report["tensor_dtypes"]) <= {"INT8", "INT32"}
    assert "WHILE" not in report["ops"] and "FULLY_CONNECTED" in report["unique_ops"]
    assert 0 < report["arena_bytes"] <= 32768 and 0 < report["int8_bytes"] <= 65536 and report["within_budget"]
    assert report["heldout"]["data"] == "synthetic, simulator" and report["heldout"]["seconds"] > 90
    assert (model / "step_int8.tflite").read_bytes()[4:8] == b"TFL3"
    assert "int8 core in TFLM vs float" in capsys.readouterr().out
    assert main(["quantize", "vo2-hr", str(model), "--data", str(synthetic / "cohort")]) == 2
    assert "already exists" in capsys.readouterr().err
