"""Thresholds files beside sessions, the committed sessions themselves, and a rig's --sessions DIR."""

from __future__ import annotations

import json
import shutil

import pytest

from gaitnode.errors import GaitnodeError
from hil_tests.thresholds import COMMITTED_DIR, DEFAULT, load_thresholds, session_cases

MODEL_SUBJECTS = {1, 2, 3, 4, 6}  # the test model's training and validation subjects (twin/testing.py)


def test_every_committed_session_is_a_held_out_synthetic_shank_walk_with_thresholds():
    from gaitnode.sessions.store import read_session

    cases = session_cases()
    assert [c.path.stem for c in cases] == ["bruce_stages_4_5", "free_walk", "walk_pauses"]
    assert sum(p.stat().st_size for p in COMMITTED_DIR.iterdir() if p.is_file()) < 1_000_000
    for case in cases:
        s = read_session(case.path)
        assert s.meta.synthetic and s.meta.placement == "shank" and s.meta.side == "left"
        assert int(s.meta.subject.id.removeprefix("S")) not in MODEL_SUBJECTS
        assert 30.0 <= s.duration_s <= 45.0 and len(s.heel_strikes()) >= 15
        assert "vo2" in s.series
        assert case.thresholds_path.is_file()
        th = case.thresholds()
        assert th.tolerance_s == 0.05 and set(th.f1_min) == {"nn", "classical"}
        assert s.phase is not None and s.activity is not None  # per-sample labels for the PHASE/ACTIVITY checks
        assert 0 < th.phase_accuracy_min < 1 and 0 < th.activity_accuracy_min < 1
        assert "measured" in th.note.lower()


def test_a_missing_file_gives_the_defaults_and_a_partial_one_fills_in(tmp_path):
    assert load_thresholds(tmp_path / "none.json") == DEFAULT
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"f1_min": {"nn": 0.5}, "vo2_mape_max": None}))
    th = load_thresholds(p)
    assert th.f1_min == {"nn": 0.5, "classical": DEFAULT.f1_min["classical"]}
    assert th.vo2_mape_max == {"acsm": None, "cnn_lstm": None} and th.tolerance_s == DEFAULT.tolerance_s
    p.write_text(json.dumps({"vo2_mape_max": {"cnn_lstm": 9.5, "acsm": None}}))
    assert load_thresholds(p).vo2_mape_max == {"acsm": None, "cnn_lstm": 9.5}
    p.write_text(json.dumps({"vo2_mape_max": {"cnn_lstm": 9.5}}))
    assert load_thresholds(p).vo2_mape_max == {"acsm": DEFAULT.vo2_mape_max["acsm"], "cnn_lstm": 9.5}
    assert load_thresholds(p).phase_accuracy_min == DEFAULT.phase_accuracy_min is not None
    p.write_text(json.dumps({"phase_accuracy_min": 0.75, "activity_accuracy_min": None}))
    th = load_thresholds(p)
    assert (th.phase_accuracy_min, th.activity_accuracy_min) == (0.75, None)


@pytest.mark.parametrize("text, message", [
    ('{"f1_min": {"nn": 0.9,}}', "not valid JSON (line 1"),
    ('{"f1_min": {"nn": 1.5}}', "f1_min.nn: 1.5 is greater than the maximum of 1"),
    ('{"f1_min": {"lstm": 0.5}}', "f1_min: Additional properties"),
    ('{"tolerance_s": "50 ms"}', "tolerance_s: '50 ms' is not of type"),
    ('{"vo2_mape_max": 15}', "vo2_mape_max: 15 is not of type"),
    ('{"vo2_mape_max": {"lstm": 15}}', "vo2_mape_max: Additional properties"),
    ('{"vo2_mape_max": {"acsm": 0}}', "vo2_mape_max.acsm: 0 is less than or equal to the minimum of 0"),
    ('[1, 2]', "the file: [1, 2] is not of type 'object'"),
    ('{"phase_accuracy_min": 93}', "phase_accuracy_min: 93 is greater than the maximum of 1"),
    ('{"activity_accuracy_min": "0.9"}', "activity_accuracy_min: '0.9' is not of type"),
])
def test_a_bad_thresholds_file_is_named_with_the_field(tmp_path, text, message):
    p = tmp_path / "walk.json"
    p.write_text(text)
    with pytest.raises(GaitnodeError) as e:
        load_thresholds(p)
    assert str(p) in str(e.value) and message in str(e.value)


def test_a_rig_directory_adds_its_sessions_after_the_committed_ones(tmp_path):
    shutil.copy(COMMITTED_DIR / "free_walk.gns", tmp_path / "bench_walk.gns")
    cases = session_cases(tmp_path)
    assert [c.id for c in cases][-1] == "rig:bench_walk"
    assert cases[-1].thresholds() == DEFAULT  # no bench_walk.json beside it
    with pytest.raises(GaitnodeError, match="not a directory"):
        session_cases(tmp_path / "nowhere")
    (tmp_path / "bench_walk.gns").unlink()
    with pytest.raises(GaitnodeError, match="no \\*.gns session files"):
        session_cases(tmp_path)
