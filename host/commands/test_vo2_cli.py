"""`gaitnode train|quantize|evaluate vo2` end to end on a tiny synthetic cohort and a tiny model.

These assert the pipeline's properties (files, contract fields, int8 in TFLM, C arrays, reports,
errors), not accuracy: the model trains for one epoch on a few minutes of synthetic walking.
"""

import json

import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.store import read_session, write_session

SCHEDULE = """name: short_walk
segments:
  - {activity: standing, duration_s: 5}
  - {activity: walking, duration_s: 40, speed_ms: 1.1}
  - {activity: walking, duration_s: 40, speed_ms: 1.6}
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("vo2")
    (root / "short_walk.yaml").write_text(SCHEDULE)
    assert main(["cohort", "-o", str(root / "cohort"), "--subjects", "4", "--protocols",
                 str(root / "short_walk.yaml"), "--split", "0.5,0.25,0.25", "--seed", "5"]) == 0
    model = root / "model"
    assert main(["train", "vo2", "--data", str(root / "cohort"), "-o", str(model), "--epochs", "1"]) == 0
    assert main(["quantize", "vo2", str(model), "--data", str(root / "cohort"), "--representative", "40",
                 "--heldout-windows", "20"]) == 0
    return root


def test_train_and_quantize_write_the_vo2_contract(pipeline):
    model = pipeline / "model"
    meta = json.loads((model / "model.json").read_text())
    assert (meta["task"], meta["target"], meta["window"], meta["hop"]) == ("vo2", "vo2_ml_kg_min", 128, 100)
    assert meta["smooth_tau_s"] >= 0 and meta["synthetic_training_data"] is True
    q = json.loads((model / "quantize.json").read_text())
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in q["ops"] and q["model_int8_bytes"] <= 65536
    assert q["max_arena_bytes"] == 32768 and q["n_heldout_windows"] == 20
    assert set(q["tflm_vs_float_relative"]) == {"mean", "max", "p95"}
    header = (model / "c" / "vo2_model_config.h").read_text()
    assert f"#define GN_VO2_MODEL_BYTES {q['model_int8_bytes']}" in header and "GN_VO2_SMOOTH_TAU_S" in header
    assert not (model / "c" / "heel_strike_model_config.h").exists()


@pytest.mark.parametrize("kind", ["float", "tflm", "acsm"])
def test_evaluate_reports_the_papers_metrics(pipeline, kind, capsys):
    out = pipeline / f"eval_{kind}.json"
    args = ["evaluate", "vo2", str(pipeline / "cohort"), "--model", kind, "--json", str(out)]
    assert main(args + ([] if kind == "acsm" else ["--model-dir", str(pipeline / "model")])) == 0
    r = json.loads(out.read_text())
    o = r["overall"]
    assert o["n"] > 10 and {"mse", "rmse", "mae", "r2", "mape_pct", "total_error_pct"} <= set(o)
    assert r["synthetic"] is True and r["model"] == kind and r["reference"] == "vo2_true"
    assert ("int8_vs_float" in r) == (kind == "tflm")
    printed = capsys.readouterr().out
    assert "synthetic" in printed and "MAPE" in printed


def test_finetune_and_score_the_rest(pipeline, tmp_path):
    test_file = sorted((pipeline / "cohort" / "test").glob("*.gns"))[0]
    out = pipeline / "ft"
    assert main(["train", "vo2", "--finetune-from", str(pipeline / "model"), "--data", str(test_file),
                 "--data-seconds", "60", "-o", str(out)]) == 0
    base = json.loads((pipeline / "model" / "model.json").read_text())
    ft = json.loads((out / "model.json").read_text())
    assert ft["norm_mean"] == base["norm_mean"] and ft["training"]["fine_tune"]["extension"] == "base"
    rest = tmp_path / "rest.json"
    assert main(["evaluate", "vo2", str(test_file), "--model", "float", "--model-dir", str(out),
                 "--from-seconds", "60", "--json", str(rest)]) == 0
    r = json.loads(rest.read_text())
    assert r["from_seconds"] == 60.0 and 0 < r["overall"]["n"] <= 6  # 5 s estimates after 60 s of an 85 s walk


def test_bad_input_is_one_message_and_exit_2(pipeline, tmp_path, capsys):
    cohort = pipeline / "cohort"
    f = sorted((cohort / "train").glob("*.gns"))[0]
    s = read_session(f)
    del s.series["vo2"]
    write_session(s, tmp_path / "no_vo2.gns")
    assert main(["train", "vo2", "--data", str(tmp_path / "no_vo2.gns"), "--val", str(f), "-o",
                 str(tmp_path / "m1"), "--epochs", "1"]) == 2
    assert "has no 'vo2' series" in capsys.readouterr().err
    s = read_session(f)
    s.meta.subject.mass_kg = None
    write_session(s, tmp_path / "no_mass.gns")
    assert main(["evaluate", "vo2", str(tmp_path / "no_mass.gns"), "--model", "float", "--model-dir",
                 str(pipeline / "model")]) == 2
    assert "has no body mass" in capsys.readouterr().err
    assert main(["simulate", "-o", str(tmp_path / "slow.gns"), "--protocol", "free_walk", "--rate", "50",
                 "--duration", "20"]) == 0
    assert main(["evaluate", "vo2", str(tmp_path / "slow.gns"), "--model", "float", "--model-dir",
                 str(pipeline / "model")]) == 2
    assert "recorded at 50 Hz, but the VO2 model runs at 100 Hz" in capsys.readouterr().err
    assert main(["simulate", "-o", str(tmp_path / "foot.gns"), "--protocol", "free_walk", "--placement", "foot",
                 "--duration", "20"]) == 0
    assert main(["train", "vo2", "--finetune-from", str(pipeline / "model"), "--data", str(tmp_path / "foot.gns"),
                 "--placement", "foot", "-o", str(tmp_path / "m2")]) == 2
    assert "a foot session, but the VO2 model is for shank" in capsys.readouterr().err
    assert main(["evaluate", "vo2", str(cohort), "--model", "acsm", "--model-dir", str(pipeline / "model")]) == 2
    assert "uses no --model-dir" in capsys.readouterr().err
    assert main(["evaluate", "vo2", str(cohort), "--model", "tflm"]) == 2
    assert "needs --model-dir" in capsys.readouterr().err
    assert main(["quantize", "vo2", str(tmp_path), "--data", str(cohort)]) == 2
    err = capsys.readouterr().err
    assert "gaitnode: error:" in err and "Traceback" not in err
