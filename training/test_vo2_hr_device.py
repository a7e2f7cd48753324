"""The node check of the recurrent core: int8 in a child process, integer-only, TFLM ops and arena, int8 vs float."""

import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_convert_child import ERROR_MARKER, main as child_main
from gaitnode.training.vo2_hr_device import Vo2HrDeviceCheck, float_run
from gaitnode.training.vo2_hr_stream import StepWeights
from gaitnode.training.vo2_hr_testing import TINY, tiny_cpet
from gaitnode.training.vo2_hr_trainer import Vo2HrTrainer, predict_recordings, save_model_dir


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tests = tiny_cpet(4, 150)
    tr = Vo2HrTrainer(**TINY).fit(tests[:3])
    return tests, tr, save_model_dir(tmp_path_factory.mktemp("dev") / "m", tr)


def test_the_float_core_run_is_the_model(setup):
    tests, tr, _ = setup
    from gaitnode.training.vo2_hr_device import _inputs
    from gaitnode.training.vo2_hr_trainer import Prepared

    x, v0 = _inputs(Prepared(tests[3], tr.meta_["target"], False), tr.meta_, "first_second")
    out, states = float_run(StepWeights.from_model(tr.model_, tr.meta_), x, v0, "kalman")
    keras = predict_recordings(tr.model_, tr.meta_, [tests[3]])[0]
    assert np.allclose(out * 1000.0, keras, rtol=1e-4, atol=0.05)
    assert np.array_equal(states[0], np.zeros(6)) and np.abs(states[1:]).max() > 0


def test_the_int8_core_runs_in_tflm_within_the_budgets(setup):
    tests, _, d = setup
    r = Vo2HrDeviceCheck(n_representative=200, max_heldout=1).run(d, tests[:3], tests[3:]).report_
    assert r["integer_only"] and set(r["tensor_dtypes"]) <= {"INT8", "INT32"}
    assert {"FULLY_CONNECTED", "LOGISTIC", "TANH"} <= set(r["unique_ops"]) and "WHILE" not in r["ops"]
    assert "AddFullyConnected" in r["resolver_methods"]
    assert r["arena_bytes"] >= r["arena_recorded_bytes"] > 0 and r["within_budget"]
    h = r["heldout"]
    assert h["recordings"] == ["ramp_4"] and h["seconds"] == 150 and h["data"] == "real"
    assert 0 <= h["vo2_rel_diff_mean_pct"] <= h["vo2_rel_diff_max_pct"]
    assert json.loads((d / "device.json").read_text()) == json.loads(json.dumps(r))
    with pytest.raises(GaitnodeError, match="already exists"):
        Vo2HrDeviceCheck().run(d, tests[:3], tests[3:])


def test_the_check_needs_both_kinds_of_recordings(setup):
    tests, _, d = setup
    with pytest.raises(GaitnodeError, match="needs training recordings"):
        Vo2HrDeviceCheck(overwrite=True).run(d, tests[:3], [])


def test_a_failing_conversion_is_one_marked_line(tmp_path, capsys):
    np.savez(tmp_path / "w.npz", enc_w=np.zeros((2, 3)))  # the other weights are missing
    np.savez(tmp_path / "r.npz", features=np.zeros((1, 2)), state=np.zeros((1, 3)))
    assert child_main(["--weights", str(tmp_path / "w.npz"), "--representative", str(tmp_path / "r.npz"),
                       "--out-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(ERROR_MARKER) and "KeyError" in err[-1]
