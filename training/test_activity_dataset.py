import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.sessions.importers.uci_har import CHANNELS as UCI_CHANNELS
from gaitnode.sessions.importers.uci_har import load_uci_har, load_uci_har_windows
from gaitnode.sessions.model import ACTIVITIES, Imu, Session, SessionMeta, Subject
from gaitnode.training.activity_dataset import (
    ACTIVITY_CLASSES, activity_arrays, average_rows, decimation, prepare_activity, prepare_session, window_labels,
)

A = {name: i for i, name in enumerate(ACTIVITIES)}
# Gravity direction in the sensor frame per static activity; walking-like activities add a sinusoid.
POSE = {"standing": (9.8, 0.0, 0.0), "sitting": (7.0, 6.8, 0.0), "laying": (0.0, 0.0, 9.8),
        "walking": (9.8, 0.0, 0.0), "upstairs": (9.5, 2.0, 0.0), "downstairs": (9.5, -2.0, 0.0),
        "running": (9.8, 0.0, 0.0)}
SWING_HZ = {"walking": 1.0, "upstairs": 0.7, "downstairs": 1.4, "running": 2.8}


def toy_session(segments, *, rate_hz=100.0, subject="T1", protocol="toy", seed=0, placement="shank"):
    """A hand-made session: segments [(activity, seconds)], each with its own gravity pose and, for
    gait, a gyro sinusoid at its own frequency (clearly separable classes), small noise."""
    rng = np.random.default_rng(seed)
    acc, gyr, act = [], [], []
    for name, seconds in segments:
        n = int(round(seconds * rate_hz))
        t = np.arange(n) / rate_hz
        a = np.tile(np.asarray(POSE[name], np.float64), (n, 1))
        g = np.zeros((n, 3))
        if name in SWING_HZ:
            g[:, 2] = 200.0 * np.sin(2 * np.pi * SWING_HZ[name] * t)
            a[:, 1] += 3.0 * np.sin(2 * np.pi * SWING_HZ[name] * t)
        acc.append(a + rng.normal(0, 0.05, (n, 3)))
        gyr.append(g + rng.normal(0, 0.5, (n, 3)))
        act.append(np.full(n, A[name]))
    acc, gyr, act = np.concatenate(acc), np.concatenate(gyr), np.concatenate(act)
    t_us = np.round(np.arange(len(acc)) * 1e6 / rate_hz).astype(np.int64)
    meta = SessionMeta(subject=Subject(id=subject), rate_hz=rate_hz, placement=placement, protocol=protocol,
                       synthetic=True, source="simulate", has_mag=False)
    return Session(meta=meta, imu=Imu(t_us, acc, gyr, None), activity=act).validate()


def test_decimation_is_a_whole_number_of_samples():
    assert decimation(100.0) == 2 and decimation(50.0) == 1 and decimation(200.0, 50.0) == 4
    for bad in (75.0, 25.0):
        with pytest.raises(GaitnodeError, match="multiple of 50 Hz"):
            decimation(bad, name="s.gns")


def test_rows_are_pair_means_and_labels_of_their_last_sample():
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    np.testing.assert_array_equal(average_rows(x, 2), [[1, 2], [5, 6], [9, 10]])
    s = toy_session([("standing", 2.0), ("walking", 2.0), ("sitting", 1.63)])
    p = prepare_session(s, "acc+gyr", window=64, hop=32)
    raw = np.concatenate([s.imu.acc, s.imu.gyr], axis=1)
    assert len(p.x) == len(s.imu) // 2 == 281
    np.testing.assert_allclose(p.x[10], raw[20:22].mean(axis=0), rtol=1e-6)
    np.testing.assert_array_equal(p.starts, np.arange(0, 281 - 64 + 1, 32))
    np.testing.assert_array_equal(p.end_sample, (p.starts + 64) * 2 - 1)
    # window 0: rows 0-63 standing; window 3 (rows 96-159): 4 standing, 60 walking
    assert p.y[0] == ACTIVITY_CLASSES.index("standing") and p.purity[0] == 1.0
    assert p.y[3] == ACTIVITY_CLASSES.index("walking") and p.purity[3] == pytest.approx(60 / 64)


def test_a_50_hz_session_is_used_as_it_is():
    s = toy_session([("laying", 3.0)], rate_hz=50.0)
    p = prepare_session(s, "acc+gyr")
    np.testing.assert_array_equal(p.x, np.concatenate([s.imu.acc, s.imu.gyr], axis=1).astype(np.float32))
    assert p.end_sample[0] == 127 and (p.y == ACTIVITY_CLASSES.index("laying")).all()


def test_window_label_rules():
    # rows: 5 x standing, 3 x walking, then window 2 with a tie
    labels = np.array([A["standing"]] * 5 + [A["walking"]] * 3 + [A["sitting"]] * 2 + [A["running"]] * 2)
    y, purity = window_labels(labels, np.array([0, 2, 4, 6]), 6, rule="majority")
    assert y[:3].tolist() == [ACTIVITY_CLASSES.index("standing"), ACTIVITY_CLASSES.index("walking"),
                              ACTIVITY_CLASSES.index("walking")]
    # window 3 (rows 6-11): walking 2, sitting 2, running 2 -> the newest of the tied (running) -> no class
    assert y[3] == -1
    np.testing.assert_allclose(purity, [5 / 6, 3 / 6, 3 / 6, 2 / 6])
    y_last, _ = window_labels(labels, np.array([0, 4]), 6, rule="last")
    assert y_last.tolist() == [ACTIVITY_CLASSES.index("walking"), ACTIVITY_CLASSES.index("sitting")]
    # a tie between two classes goes to the newer rows' label
    tie = np.array([A["sitting"]] * 3 + [A["standing"]] * 3)
    assert window_labels(tie, np.array([0]), 6)[0].tolist() == [ACTIVITY_CLASSES.index("standing")]
    # unknown rows (-1) form their own label; the classes can be any subset, in any order
    unk = np.array([-1] * 4 + [A["laying"]] * 2)
    assert window_labels(unk, np.array([0]), 6)[0].tolist() == [-1]
    assert window_labels(unk, np.array([0]), 6, classes=("laying", "running"), rule="last")[0].tolist() == [0]
    with pytest.raises(GaitnodeError, match="label rule 'first'"):
        window_labels(labels, np.array([0]), 6, rule="first")
    with pytest.raises(GaitnodeError, match="activity classes"):
        window_labels(labels, np.array([0]), 6, classes=("walking", "jumping"))


def _write_uci(root, split, recordings):
    """A tiny UCI HAR Dataset split: recordings [(subject, [labels per window], signal [n, 6] g / rad/s)]."""
    base = root / "UCI HAR Dataset" / split
    (base / "Inertial Signals").mkdir(parents=True)
    wins, ys, subj = [], [], []
    for s, labels, sig in recordings:
        w = np.stack([sig[i:i + 128] for i in range(0, len(sig) - 127, 64)])
        assert len(w) == len(labels)
        wins.append(w)
        ys += list(labels)
        subj += [s] * len(labels)
    wins = np.concatenate(wins)
    for c, name in enumerate(UCI_CHANNELS):
        (base / "Inertial Signals" / f"{name}_{split}.txt").write_text(
            "\n".join(" ".join(f"{v:.7e}" for v in w[:, c]) for w in wins) + "\n")
    (base / f"y_{split}.txt").write_text("".join(f"{v}\n" for v in ys))
    (base / f"subject_{split}.txt").write_text("".join(f"{v}\n" for v in subj))


def uci_signal(rng, labels):
    """A continuous recording in UCI units (g, rad/s) for windows with these UCI labels (1..6), each
    64-sample half shaped by its window's activity, exactly representable in %.7e text."""
    n = 128 + 64 * (len(labels) - 1)
    sig = rng.normal(0, 0.02, (n, 6))
    for i, lab in enumerate(labels):
        a = slice(0 if i == 0 else 64 + 64 * i, 128 + 64 * i)
        pose = np.asarray(POSE[ACTIVITIES[lab - 1]]) / 9.81
        sig[a, :3] += pose
        if ACTIVITIES[lab - 1] in SWING_HZ:
            sig[a, 5] += 3.0 * np.sin(2 * np.pi * SWING_HZ[ACTIVITIES[lab - 1]] * np.arange(a.stop - a.start) / 50)
    return np.vectorize(lambda v: float(f"{v:.7e}"))(sig)


def fake_uci_har(root, seed=0):
    """train: subjects 1, 3 and 5 (all six activities); test: subject 2."""
    rng = np.random.default_rng(seed)
    plan = {"train": [(1, [1, 1, 1, 2, 2, 2]), (1, [4, 4, 4, 5, 5, 5, 6, 6, 6]), (3, [3, 3, 3, 6, 6, 6, 5, 5]),
                      (5, [1, 1, 3, 3, 2, 2, 4, 4, 5, 5, 6, 6])],
            "test": [(2, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])]}
    for split, recs in plan.items():
        _write_uci(root, split, [(s, labels, uci_signal(rng, labels)) for s, labels in recs])
    return root


def test_uci_har_sessions_give_back_the_datasets_windows(tmp_path):
    fake_uci_har(tmp_path)
    sessions = load_uci_har(tmp_path, ["train"])
    X, y, _ = load_uci_har_windows(tmp_path, "train")
    prepared = prepare_activity(sessions, "acc+gyr")
    got = np.concatenate([p.windows() for p in prepared])
    np.testing.assert_array_equal(got, X)  # same units (m/s^2, deg/s), same 50 Hz windows, no resampling
    np.testing.assert_array_equal(np.concatenate([p.y for p in prepared]), y)  # majority: ties to the new half
    assert all(p.x.shape[1] == 6 for p in prepared) and sessions[0].meta.placement == "lower_back"


def test_activity_arrays_follow_model_json(tmp_path):
    s = toy_session([("standing", 4.0), ("running", 4.0), ("walking", 4.0)])
    meta = {"channels": ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"], "rate_hz": 50.0, "window": 128,
            "hop": 64, "classes": list(ACTIVITY_CLASSES), "norm_mean": [9.0, 0, 0, 0, 0, 0],
            "norm_std": [0.1, 1, 1, 1, 10, 10], "input_clip": 6.0, "training": {"label_rule": "last"}}
    X, Y = activity_arrays([s, s], meta)
    assert X.dtype == np.float32 and Y.dtype == np.int64 and X.shape == (2 * 8, 128, 6) and Y.shape == (16,)
    assert np.abs(X).max() == pytest.approx(6.0)  # clipped: acc_x (9.8 - 9) / 0.1 = 8 -> 6
    assert X[0, 0, 0] == pytest.approx(6.0) and X[0, 0, 1] == pytest.approx(s.imu.acc[:2, 1].mean(), abs=1e-5)
    walking, standing = ACTIVITY_CLASSES.index("walking"), ACTIVITY_CLASSES.index("standing")
    assert Y[:8].tolist() == [standing, standing, -1, -1, -1, walking, walking, walking]


def test_bad_sessions():
    with pytest.raises(GaitnodeError, match=r"rows at 50 Hz\).*shorter than one window"):
        prepare_session(toy_session([("standing", 2.0)]), "acc+gyr")
    with pytest.raises(GaitnodeError, match="hold no window labelled"):
        prepare_activity([toy_session([("running", 5.0)])], "acc+gyr")
    with pytest.raises(GaitnodeError, match="no training sessions"):
        prepare_activity([], "acc+gyr")
    with pytest.raises(GaitnodeError, match="magnetometer"):
        prepare_session(toy_session([("standing", 5.0)]), "acc+gyr+mag")
