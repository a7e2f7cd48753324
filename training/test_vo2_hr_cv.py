"""Cross-validation by subject: folds, no leakage of the held-out subject, scores per recording/subject/aggregate."""

import dataclasses

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.training.vo2_hr_cv import Vo2HrCrossValidation, fold_of_groups, score
from gaitnode.training.vo2_hr_testing import TINY, tiny_cpet


@pytest.fixture(scope="module")
def tests():
    t = tiny_cpet(4, 180)
    # tests 0 and 1 as one subject (as a repeated test would be grouped)
    return [dataclasses.replace(t[0], group="A"), dataclasses.replace(t[1], group="A"),
            dataclasses.replace(t[2], group="B"), dataclasses.replace(t[3], group="C")]


@pytest.fixture(scope="module")
def loso(tests):
    return Vo2HrCrossValidation(TINY, folds=None, base_folds=2, finetune_steps=1).run(tests)


def test_folds_partition_the_subjects():
    f = fold_of_groups(["a", "b", "c", "d", "e", "a"], 2, seed=0)
    assert set(f) == set("abcde") and sorted(set(f.values())) == [0, 1]
    assert sorted(list(f.values()).count(k) for k in (0, 1)) == [2, 3]
    with pytest.raises(GaitnodeError, match="3 folds need at least 3 subjects"):
        fold_of_groups(["a", "b"], 3, seed=0)


def test_no_model_that_scores_a_subject_was_trained_on_it(tests, loso):
    for g, trained in loso.trained_on_.items():
        own = {s.name for s in tests if s.group == g}
        assert own and not own & set(trained)
    # the leave-one-subject-out continuation adds the other subjects of the held-out fold
    everyone_else = {g: {s.name for s in tests if s.group != g} for g in "ABC"}
    assert all(set(loso.trained_on_[g]) == everyone_else[g] for g in "ABC")


def test_every_recording_and_subject_is_scored_in_both_schemes(tests, loso):
    for res in (loso.kfold_, loso.loso_):
        assert [r["recording"] for r in res["recordings"]] == [s.name for s in tests]
        assert [r["subject"] for r in res["subjects"]] == ["A", "B", "C"]
        a = res["aggregate"]["all"]["first_second/filtered"]
        assert a["subjects"] == 3 and a["seconds"] == 4 * 180
        assert a["mean_over_subjects"]["mape_pct"] == pytest.approx(
            np.mean([r["first_second/filtered"]["mape_pct"] for r in res["subjects"]]))
        assert set(res["aggregate"]["all"]) == {f"{c}/{r}" for c in ("first_second", "resting")
                                                for r in ("filtered", "raw")}


def test_kfold_runs_only_the_base_models(tests):
    cv = Vo2HrCrossValidation(TINY, folds=3, calibrations=("first_second",)).run(tests)
    assert cv.loso_ is None and len(cv.timings_["base_s"]) == 3
    assert set(cv.kfold_["aggregate"]["all"]) == {"first_second/filtered", "first_second/raw"}


def test_score_aggregates_per_protocol_by_each_subjects_recordings_of_it():
    def seq(name, group, proto, vo2):
        from gaitnode.training.vo2_hr_data import Vo2Sequence

        n = len(vo2)
        return Vo2Sequence(name, group, np.arange(n, dtype=float), np.full(n, 100.0), np.asarray(vo2, float), 30.0,
                           1.7, 70.0, "male", False, extra={"protocol": proto})

    ref = np.full(30, 1000.0)
    seqs = [seq("r1", "A", "ramp", ref), seq("s1", "A", "resting", ref), seq("r2", "B", "ramp", ref)]
    preds = {"first_second": [ref * 1.1, ref * 1.3, ref * 1.2]}
    res = score(seqs, preds)
    assert res["subjects"][0]["protocol"] == "ramp+resting"
    ramp = res["aggregate"]["ramp"]["first_second/raw"]
    assert ramp["subjects"] == 2 and ramp["mean_over_subjects"]["mape_pct"] == pytest.approx(15.0)
    assert res["aggregate"]["resting"]["first_second/raw"]["mean_over_subjects"]["mape_pct"] == pytest.approx(30.0)
    assert res["aggregate"]["all"]["first_second/raw"]["mean_over_subjects"]["mape_pct"] == pytest.approx(20.0)


def test_bad_settings_are_refused(tests):
    with pytest.raises(GaitnodeError, match="finetune_steps must be a positive integer"):
        Vo2HrCrossValidation(TINY, finetune_steps=0).run(tests)
    with pytest.raises(GaitnodeError, match="calibrations"):
        Vo2HrCrossValidation(TINY, calibrations=("cart",)).run(tests)
    with pytest.raises(GaitnodeError, match="no recordings"):
        Vo2HrCrossValidation(TINY).run([])
