"""The vo2_hr.sh summary: rows labelled real or synthetic, the headline against the paper, timings."""

import json

from gaitnode.training.vo2_hr_summary import main, summarise


def agg(mape):
    a = {"subjects": 3, "seconds": 900, "mean_over_subjects": {"mae": 250.0, "rmse": 300.0, "mape_pct": mape},
         "pooled": {"mae": 250.0, "rmse": 300.0, "mape_pct": mape}}
    return {k: a for k in ("first_second/filtered", "first_second/raw", "resting/filtered", "resting/raw")}


def write_run(out, mape):
    (out / "eval").mkdir(parents=True)
    (out / "models" / "m").mkdir(parents=True)
    cv = {"models": {"kalman": {"base_folds": 5, "timings": {"total_s": 10.0}, "kfold": {"aggregate": {"all": agg(12.0)}},
                                "loso": {"aggregate": {"all": agg(mape), "ramp": agg(mape - 1)}}}}}
    (out / "eval" / "cpet_cv.json").write_text(json.dumps(cv))
    syn = {"architecture": "kalman", "calibration": "first_second",
           "aggregate": {"vo2_true": {"recordings": 8, "subjects": 2, "mae_pooled": 200.0, "mape_pct_pooled": 15.0,
                                      "mape_pct_mean_over_subjects": 14.0}}}
    (out / "eval" / "synthetic_kalman.json").write_text(json.dumps(syn))
    dev = {"int8_bytes": 1000, "arena_bytes": 2000, "unique_ops": ["ADD"],
           "heldout": {"vo2_rel_diff_mean_pct": 1.0, "vo2_rel_diff_max_pct": 2.0, "data": "real", "seconds": 10}}
    (out / "models" / "m" / "device.json").write_text(json.dumps(dev))
    (out / "timings.txt").write_text("cpet_cross_validation 300\nsynthetic_train_and_evaluate 120\n")


def test_summary_labels_every_row_and_judges_the_headline(tmp_path):
    write_run(tmp_path, 11.0)
    s = summarise(tmp_path)
    assert {r["data"] for r in s["rows"]} == {"real, pyoxynet CPET", "synthetic, simulator"}
    assert s["headline"]["mape_pct"] == 11.0 and s["headline"]["meets_paper"] is True
    assert s["timings_s"] == {"cpet_cross_validation": 300, "synthetic_train_and_evaluate": 120}
    assert s["device"]["m"]["int8_bytes"] == 1000


def test_the_command_writes_the_json_and_prints_the_verdict(tmp_path, capsys):
    write_run(tmp_path, 13.0)
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "does not meet the paper's 11.4 %" in out and "synthetic, simulator" in out
    assert json.loads((tmp_path / "vo2_hr_summary.json").read_text())["headline"]["meets_paper"] is False
    assert main([]) == 2
