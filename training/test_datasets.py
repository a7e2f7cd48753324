import json

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.model import Imu, Session, SessionMeta, Subject
from gaitnode.sessions.store import write_session
from gaitnode.training.datasets import (
    filter_placement, load_sessions, session_name, split_by_subject, train_val_sessions,
)


def session(subject="S1", placement="shank", n=50):
    t_us = np.arange(n, dtype=np.int64) * 10_000
    z = np.zeros((n, 3), np.float32)
    meta = SessionMeta(subject=Subject(id=subject), placement=placement, side="left", protocol="unit")
    return Session(meta=meta, imu=Imu(t_us, z, z, z))


def write_cohort(root, rows):
    """A cohort.json in make_cohort's layout; rows: (subject, split, placement)."""
    files = []
    for subject, split, placement in rows:
        rel = f"{split}/{subject}_walk_{placement}.gns"
        (root / split).mkdir(parents=True, exist_ok=True)
        write_session(session(subject, placement), root / rel)
        files.append({"path": rel, "subject": subject, "split": split, "protocol": "walk", "placement": placement,
                      "side": "left"})
    (root / "cohort.json").write_text(json.dumps({"synthetic": True, "files": files}))
    return root


def subjects(sessions):
    return [s.meta.subject.id for s in sessions]


def test_files_and_directories_recursively_sorted_and_deduplicated(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    write_session(session("S2"), tmp_path / "b" / "deep" / "x.gns")
    write_session(session("S1"), tmp_path / "a.gns")
    (tmp_path / "notes.txt").write_text("not a session")
    loaded = load_sessions([tmp_path, tmp_path / "a.gns"])
    assert subjects(loaded) == ["S1", "S2"]
    assert loaded[0].meta.extra["loaded_from"] == str(tmp_path / "a.gns")
    assert session_name(loaded[1]) == str(tmp_path / "b" / "deep" / "x.gns")
    assert subjects(load_sessions(tmp_path / "a.gns")) == ["S1"]


def test_cohort_uses_its_splits_and_placement_filter(tmp_path):
    root = write_cohort(tmp_path / "c", [("S0", "train", "shank"), ("S0", "train", "foot"), ("S1", "train", "shank"),
                                         ("S2", "val", "shank"), ("S3", "test", "shank")])
    assert sorted(subjects(load_sessions(root))) == ["S0", "S0", "S1", "S2", "S3"]
    assert subjects(load_sessions(root, split="train", placement="shank")) == ["S0", "S1"]
    assert subjects(load_sessions(root / "cohort.json", split="val")) == ["S2"]
    assert [s.meta.placement for s in load_sessions(root, split="train", placement="foot")] == ["foot"]
    train, val = train_val_sessions(root, placement="shank")
    assert subjects(train) == ["S0", "S1"] and subjects(val) == ["S2"]


def test_plain_inputs_are_split_by_subject(tmp_path):
    for k in range(5):
        write_session(session(f"S{k}"), tmp_path / f"s{k}.gns")
    train, val = train_val_sessions(tmp_path, val_fraction=0.4, seed=1)
    assert len(val) == 2 and len(train) == 3
    assert not set(subjects(train)) & set(subjects(val))


def test_bad_inputs_are_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "x.csv").write_text("t,acc\n")
    write_session(session("S1"), tmp_path / "a.gns")
    cases = [
        (tmp_path / "missing.gns", {}, "no such file or directory"),
        (tmp_path / "empty", {}, "holds no .gns session files"),
        (tmp_path / "x.csv", {}, "not a session file"),
        (tmp_path / "a.gns", {"split": "train"}, "not a cohort"),
        (tmp_path / "a.gns", {"split": "holdout"}, "split 'holdout'"),
        (tmp_path / "a.gns", {"placement": "foot"}, r"no foot sessions \(placements found: shank\)"),
        (tmp_path / "a.gns", {"placement": "ankle"}, "placement 'ankle' is not one of"),
        ([], {}, "no session inputs"),
    ]
    for path, kwargs, match in cases:
        with pytest.raises(GaitnodeError, match=match):
            load_sessions(path, **kwargs)


def test_broken_cohort_manifests_are_errors(tmp_path):
    root = write_cohort(tmp_path / "c", [("S0", "train", "shank")])
    (root / "train" / "S0_walk_shank.gns").unlink()
    with pytest.raises(GaitnodeError, match=r"cohort.json: lists train/S0_walk_shank.gns, which does not exist"):
        load_sessions(root)
    (root / "cohort.json").write_text('{"files": [{"path": "x.gns"}]}')
    with pytest.raises(GaitnodeError, match="not a readable cohort manifest"):
        load_sessions(root)


@pytest.mark.parametrize("seed", range(6))
def test_split_by_subject_never_shares_a_subject(seed):
    rng = np.random.default_rng(seed)
    sessions = [session(f"S{rng.integers(7)}") for _ in range(20)]
    train, val = split_by_subject(sessions, 0.3, seed)
    assert len(train) + len(val) == 20 and train and val
    assert not set(subjects(train)) & set(subjects(val))
    n_subj = len(set(subjects(sessions)))
    assert len(set(subjects(val))) == min(n_subj - 1, max(1, round(0.3 * n_subj)))
    again = split_by_subject(sessions, 0.3, seed)
    assert subjects(again[1]) == subjects(val)  # seeded: the same split


def test_split_by_subject_bad_input():
    with pytest.raises(GaitnodeError, match="no sessions"):
        split_by_subject([], 0.2)
    with pytest.raises(GaitnodeError, match="at least 2 subjects"):
        split_by_subject([session("S1"), session("S1")], 0.2)
    with pytest.raises(GaitnodeError, match="between 0 and 1"):
        split_by_subject([session("S1"), session("S2")], 1.0)


def test_filter_placement():
    s = [session("S1", "shank"), session("S2", "foot")]
    assert subjects(filter_placement(s, "foot")) == ["S2"]
    assert filter_placement(s, None) == s
    with pytest.raises(GaitnodeError, match="no wrist sessions"):
        filter_placement(s, "wrist")
