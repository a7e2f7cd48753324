import numpy as np
import pytest

from gaitnode.errors import InputFileError
from gaitnode.sessions.importers.uci_har import CHANNELS, load_uci_har, load_uci_har_windows
from gaitnode.sessions.importers.units import G0
from gaitnode.sessions.model import ACTIVITIES


def _recording(rng, n_windows):
    """A continuous 6-channel signal exactly representable in the files' %.7e text."""
    n = 128 + 64 * (n_windows - 1)
    sig = rng.normal(size=(n, 6))
    return np.vectorize(lambda v: float(f"{v:.7e}"))(sig)


def _windows(sig):
    return np.stack([sig[i:i + 128] for i in range(0, len(sig) - 127, 64)])


def _write_split(root, split, recordings):
    """recordings: list of (subject, [labels per window], signal)."""
    base = root / "UCI HAR Dataset" / split
    (base / "Inertial Signals").mkdir(parents=True)
    wins = np.concatenate([_windows(sig) for _, _, sig in recordings])
    y = np.concatenate([labels for _, labels, _ in recordings])
    subj = np.concatenate([[s] * len(labels) for s, labels, _ in recordings])
    for c, name in enumerate(CHANNELS):
        lines = ["".join(f"  {v: .7e}" for v in w[:, c]) for w in wins]
        (base / "Inertial Signals" / f"{name}_{split}.txt").write_text("\n".join(lines) + "\n")
    (base / f"y_{split}.txt").write_text("".join(f"{v}\n" for v in y))
    (base / f"subject_{split}.txt").write_text("".join(f"{v}\n" for v in subj))
    return wins, y, subj


@pytest.fixture
def dataset(tmp_path):
    rng = np.random.default_rng(3)
    train = [(1, [1, 1, 1, 2], _recording(rng, 4)),  # one walk with a label change
             (1, [4, 4, 4], _recording(rng, 3)),  # same subject, a new recording
             (3, [6, 6, 6, 6, 6], _recording(rng, 5))]
    test = [(2, [5, 5], _recording(rng, 2))]
    _write_split(tmp_path, "train", train)
    _write_split(tmp_path, "test", test)
    return tmp_path, train, test


def test_reconstructs_continuous_sessions_exactly(dataset):
    root, train, test = dataset
    sessions = load_uci_har(root)
    assert [s.meta.subject.id for s in sessions] == ["uci-1", "uci-1", "uci-3", "uci-2"]
    for s, (_, labels, sig) in zip(sessions, train + test):
        assert len(s.imu) == len(sig)
        np.testing.assert_array_equal(s.imu.acc, (sig[:, :3] * G0).astype(np.float32))
        np.testing.assert_array_equal(s.imu.gyr, np.rad2deg(sig[:, 3:]).astype(np.float32))
        np.testing.assert_array_equal(np.diff(s.imu.t_us), 20_000)
        assert s.meta.rate_hz == 50.0 and s.meta.placement == "lower_back" and s.meta.source == "uci-har"
        assert not s.meta.has_mag and np.isnan(s.imu.mag).all() and not s.meta.synthetic
        assert "waist" in s.meta.extra["placement_note"]
    # samples first contributed by a window carry its label
    first = sessions[0]
    np.testing.assert_array_equal(first.activity[:256], ACTIVITIES.index("walking"))
    np.testing.assert_array_equal(first.activity[256:], ACTIVITIES.index("upstairs"))
    assert sessions[2].activity[0] == ACTIVITIES.index("laying")
    assert sessions[3].meta.extra["uci_split"] == "test"


def test_resampled_to_100_hz(dataset):
    root, train, _ = dataset
    s = load_uci_har(root, ["train"], rate_hz=100)[0]
    assert s.meta.rate_hz == 100.0 and s.meta.extra["resample_method"] == "resample_poly"
    assert len(s.imu) == 2 * len(train[0][2]) - 1
    np.testing.assert_array_equal(np.diff(s.imu.t_us), 10_000)
    # original samples fall on every second output sample (white noise: small filter ripple only)
    err = s.imu.acc[::2][20:-20] - train[0][2][20:-20, :3] * G0
    assert np.sqrt(np.mean(err ** 2)) < 0.01 * G0
    np.testing.assert_array_equal(s.activity[::2], load_uci_har(root, ["train"])[0].activity)


def test_windows_form(dataset):
    root, train, _ = dataset
    x, y, subj = load_uci_har_windows(root, "train")
    assert x.shape == (12, 128, 6) and x.dtype == np.float32
    np.testing.assert_array_equal(y, np.array([1, 1, 1, 2, 4, 4, 4, 6, 6, 6, 6, 6]) - 1)
    np.testing.assert_array_equal(subj, [1] * 7 + [3] * 5)
    np.testing.assert_allclose(x[1, :, 3], np.rad2deg(train[0][2][64:192, 3]), rtol=1e-6)


def test_missing_file_and_bad_lines(dataset):
    root, _, _ = dataset
    sig_dir = root / "UCI HAR Dataset" / "train" / "Inertial Signals"
    p = sig_dir / "body_gyro_y_train.txt"
    lines = p.read_text().splitlines()
    lines[5] = " ".join(lines[5].split()[:-1])
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=r"body_gyro_y_train\.txt: line 6 has 127 values, expected 128"):
        load_uci_har(root)
    lines[5] = lines[4].replace(lines[4].split()[7], "abc", 1)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=r"line 6, column 8: 'abc' is not a finite number"):
        load_uci_har(root)
    p.unlink()
    with pytest.raises(InputFileError, match=r"body_gyro_y_train\.txt: missing"):
        load_uci_har(root)
    with pytest.raises(InputFileError, match="no such directory"):
        load_uci_har(root / "elsewhere")


def test_label_and_length_mismatch(dataset):
    root, _, _ = dataset
    base = root / "UCI HAR Dataset" / "test"
    (base / "y_test.txt").write_text("5\n9\n")
    with pytest.raises(InputFileError, match=r"y_test\.txt: line 2: 9 is not an integer in 1\.\.6"):
        load_uci_har(root, ["test"])
    (base / "y_test.txt").write_text("5\n5\n5\n")
    with pytest.raises(InputFileError, match=r"total_acc_x_test\.txt: 2 lines, but y_test\.txt has 3"):
        load_uci_har(root, ["test"])
