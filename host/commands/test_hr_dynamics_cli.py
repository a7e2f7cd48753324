"""`gaitnode train|evaluate hr-dynamics` end to end on tiny SYNTHETIC sessions and a tiny model.

These assert the pipeline (files, tables, JSON, error messages), not accuracy: the model trains
for one short epoch.
"""

import dataclasses
import json

import numpy as np
import pytest

from gaitnode.host.cli import main
from gaitnode.sessions.model import Series
from gaitnode.sessions.store import write_session
from gaitnode.training.hr_testing import synthetic_hr_session


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("hr")
    (root / "data").mkdir()
    for k, proto in ((0, "running"), (1, "free_walk"), (2, "running")):
        s = synthetic_hr_session(k, proto, 200.0)
        s.meta.subject.id = f"S{k:03d}"
        write_session(s, root / "data" / f"s{k}.gns")
    write_session(synthetic_hr_session(3, "running", 200.0), root / "val.gns")
    model = root / "ode"
    assert main(["train", "hr-dynamics", "--data", str(root / "data"), "--val", str(root / "val.gns"), "-o",
                 str(model), "--hidden", "8", "--epochs", "1", "--steps-per-epoch", "1"]) == 0
    return root


def test_train_writes_the_model_folder(trained, capsys):
    meta = json.loads((trained / "ode" / "model.json").read_text())
    assert meta["task"] == "hr_dynamics" and meta["architecture"] == "neural_ode"
    assert meta["synthetic_training_data"] is True and (trained / "ode" / "weights.npz").is_file()
    assert main(["train", "hr-dynamics", "--data", str(trained / "data"), "-o", str(trained / "ode")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_evaluate_prints_tables_and_writes_json(trained, capsys):
    out = trained / "summary.json"
    assert main(["evaluate", "hr-dynamics", str(trained / "val.gns"), "--model-dir", str(trained / "ode"),
                 "--gaps", "10", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "standard" in text and "generative" in text and "synthetic" in text and "linear" in text
    summary = json.loads(out.read_text())
    m = summary["models"]["ode"]
    assert set(m["evaluation"]["modes"]) == {"standard", "generative"} and summary["data"].startswith("synthetic")
    assert m["gaps"]["by_gap"]["10"]["synthetic"]["gaps"] >= 1


@pytest.mark.parametrize("case, message", [
    ("hr_out_of_range", "outside physiology"),
    ("no_drive", "no activity drive"),
    ("too_short", "needs at least 60 s"),
    ("no_model", "not an HR dynamics model folder"),
    ("bad_gaps", "--gaps"),
    ("bad_mode", "--mode"),
])
def test_bad_input_is_one_clear_error(trained, tmp_path, capsys, case, message):
    s = synthetic_hr_session(4, "running", 200.0)
    hr = s.series["hr"]
    if case == "hr_out_of_range":
        s = dataclasses.replace(s, series={**s.series, "hr": Series(hr.t_s, np.where(hr.t_s > 100, 240.0, hr.value))})
    elif case == "no_drive":
        s = dataclasses.replace(s, series={"hr": hr}, events=type(s.events).empty())
    elif case == "too_short":
        s = dataclasses.replace(s, series={**s.series, "hr": Series(hr.t_s[:40], hr.value[:40])})
    write_session(s, tmp_path / "s.gns")
    args = ["evaluate", "hr-dynamics", str(tmp_path / "s.gns"), "--model-dir",
            str(tmp_path / "none" if case == "no_model" else trained / "ode")]
    args += {"bad_gaps": ["--gaps", "ten"], "bad_mode": ["--mode", "live"]}.get(case, [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error: ") and message in err and "Traceback" not in err
