import numpy as np
import pytest

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.sessions.importers.csv_import import import_csv
from gaitnode.sessions.importers.units import G0, parse_axes_spec, parse_units_spec
from gaitnode.sessions.model import ACTIVITIES, SessionMeta, Subject


def _write(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def _imu_rows(n, rate=100.0, t0=0.0):
    t = t0 + np.arange(n) / rate
    return [[f"{ti:.6f}", 0.1, 0.2, 9.81, 1.0, 2.0, 3.0] for ti in t]


BASE = ["t_s", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]


def test_units_in_header_and_option_resample_and_labels(tmp_path):
    rate, n = 200.0, 400
    t_us = (5_000_000 + np.arange(n) * 1e6 / rate).astype(np.int64)
    phase = np.array(["HS", "ST", "HO", "SW"])[(np.arange(n) // 50) % 4]
    rows = [[t_us[i], 0.0, 0.0, 1.0, 0.0, 0.0, np.pi, 0.2, 0.0, -0.4, phase[i], 1 if i < 200 else 7,
             120 + i if i % 100 == 0 else ""] for i in range(n)]
    header = ["t_us", "acc_x[g]", "acc_y[g]", "acc_z[g]", "gyr_x", "gyr_y", "gyr_z",
              "mag_x[gauss]", "mag_y[gauss]", "mag_z[gauss]", "phase", "activity", "hr[bpm]"]
    p = _write(tmp_path / "rec.csv", header, rows)
    meta = SessionMeta(subject=Subject(id="s7", mass_kg=70.0), placement="foot", side="left")
    s = import_csv(p, rate_hz=100, units="gyr=rad/s", meta=meta)

    assert s.meta.rate_hz == 100.0 and s.meta.source == "csv" and s.meta.has_mag
    assert s.meta.subject.id == "s7" and s.meta.side == "left" and not s.meta.synthetic
    assert s.meta.extra["source_rate_hz"] == 200.0 and s.meta.extra["resample_method"] == "resample_poly"
    assert len(s.imu) == 200 and s.imu.t_us[0] == 5_000_000
    np.testing.assert_array_equal(np.diff(s.imu.t_us), 10_000)
    np.testing.assert_allclose(s.imu.acc[:, 2], G0, rtol=1e-5)
    np.testing.assert_allclose(s.imu.gyr[:, 2], 180.0, rtol=1e-5)  # pi rad/s
    np.testing.assert_allclose(s.imu.mag[0], [20.0, 0.0, -40.0], atol=1e-4)  # gauss -> uT
    # labels held from the previous 200 Hz row, never blended
    expected = np.array([0, 1, 2, 3])[((s.imu.t_us - 5_000_000) * 200 // 1_000_000 // 50) % 4]
    np.testing.assert_array_equal(s.phase, expected)
    assert s.activity[0] == ACTIVITIES.index("walking") and s.activity[-1] == ACTIVITIES.index("running")
    # reference series keep their own (sparse) times
    np.testing.assert_allclose(s.series["hr"].t_s, 5.0 + np.array([0, 100, 200, 300]) / rate)
    np.testing.assert_allclose(s.series["hr"].value, [120, 220, 320, 420])


def test_axes_remap_applies_to_acc_and_gyr(tmp_path):
    p = _write(tmp_path / "a.csv", BASE, _imu_rows(50))
    s = import_csv(p, axes="x=-y,y=x,z=z")
    np.testing.assert_allclose(s.imu.acc[0], [-0.2, 0.1, 9.81], rtol=1e-6)
    np.testing.assert_allclose(s.imu.gyr[0], [-2.0, 1.0, 3.0], rtol=1e-6)
    assert s.meta.extra["axes"] == "x=-y,y=x,z=z" and s.meta.rate_hz == 100.0 and not s.meta.has_mag


def test_uci_activity_names_and_extra_numeric_column_kept(tmp_path):
    rows = [r + [a, 21.5] for r, a in zip(_imu_rows(4), ["WALKING_UPSTAIRS", "laying", "", "-1"])]
    p = _write(tmp_path / "b.csv", BASE + ["activity", "temp[degC]"], rows)
    s = import_csv(p)
    np.testing.assert_array_equal(s.activity, [1, 5, -1, -1])
    np.testing.assert_allclose(s.series["temp"].value, 21.5)
    assert s.meta.extra["series_units"] == {"temp": "degC"}


@pytest.mark.parametrize("spec, msg", [
    ("x=y,y=y,z=z", "each source axis must be used exactly once"),
    ("x=-y,y=x", "missing z"),
    ("x=q,y=x,z=z", "not axis=\\[-\\]axis"),
    ("x=y,x=x,z=z", "assigned twice"),
])
def test_axes_spec_must_be_a_signed_permutation(spec, msg):
    with pytest.raises(GaitnodeError, match=msg):
        parse_axes_spec(spec)


def test_axes_spec_matrix():
    r = parse_axes_spec("x=-y,y=x,z=-z")
    np.testing.assert_array_equal(r @ np.array([1.0, 2.0, 3.0]), [-2.0, 1.0, -3.0])


def test_units_spec_errors():
    assert parse_units_spec("acc=mg, gyr=rad/s,mag=nT") == {"acc": "mg", "gyr": "rad/s", "mag": "nT"}
    with pytest.raises(GaitnodeError, match="'furlong' is not a known acc unit"):
        parse_units_spec("acc=furlong")
    with pytest.raises(GaitnodeError, match="unknown quantity 'accel'"):
        parse_units_spec("accel=g")
    with pytest.raises(GaitnodeError, match="not quantity=unit"):
        parse_units_spec("g")


def test_wrong_unit_in_header_names_the_column(tmp_path):
    p = _write(tmp_path / "c.csv", ["t_s", "acc_x", "acc_y", "acc_z", "gyr_x[m/s2]", "gyr_y", "gyr_z"], _imu_rows(5))
    with pytest.raises(InputFileError, match=r"c\.csv: line 1, column 5 \(gyr_x\[m/s2\]\): unit 'm/s2' is not a "
                                             r"known gyr unit"):
        import_csv(p)
    p = _write(tmp_path / "d.csv", ["t_s[ms]"] + BASE[1:], _imu_rows(5))
    with pytest.raises(InputFileError, match=r"column 1 \(t_s\[ms\]\): unit 'ms' is wrong for t_s"):
        import_csv(p)


def test_header_unit_conflicting_with_option(tmp_path):
    p = _write(tmp_path / "e.csv", ["t_s", "acc_x[g]", "acc_y[g]", "acc_z[g]", "gyr_x", "gyr_y", "gyr_z"],
               _imu_rows(5))
    with pytest.raises(InputFileError, match=r"header says 'g' but --units says acc=m/s2"):
        import_csv(p, units="acc=m/s2")


def test_truncated_file_names_line_and_column(tmp_path):
    p = _write(tmp_path / "f.csv", BASE, _imu_rows(20))
    p.write_bytes(p.read_bytes()[:-12])  # cut inside the last row
    with pytest.raises(InputFileError, match=r"f\.csv: line 21, column gyr_\w: value is missing .*truncated"):
        import_csv(p)


def test_non_monotonic_timestamps_name_the_line(tmp_path):
    rows = _imu_rows(20)
    rows[9][0], rows[10][0] = rows[10][0], rows[9][0]
    p = _write(tmp_path / "g.csv", BASE, rows)
    with pytest.raises(InputFileError, match=r"g\.csv: line 12: timestamp 0\.090000 s goes back before"):
        import_csv(p)


def test_nan_names_line_and_column(tmp_path):
    rows = _imu_rows(20)
    rows[4][3] = "NaN"
    p = _write(tmp_path / "h.csv", BASE, rows)
    with pytest.raises(InputFileError, match=r"h\.csv: line 6, column acc_z: value is missing or NaN"):
        import_csv(p)


def test_text_in_numeric_column(tmp_path):
    rows = _imu_rows(20)
    rows[7][5] = "1.2.3"
    p = _write(tmp_path / "i.csv", BASE, rows)
    with pytest.raises(InputFileError, match=r"line 9, column gyr_y: '1\.2\.3' is not a number"):
        import_csv(p)


def test_bad_phase_label(tmp_path):
    rows = [r + [ph] for r, ph in zip(_imu_rows(3), ["HS", "XX", "SW"])]
    p = _write(tmp_path / "j.csv", BASE + ["phase"], rows)
    with pytest.raises(InputFileError, match=r"line 3, column phase: 'XX' is not a phase label"):
        import_csv(p)


def test_structural_errors(tmp_path):
    p = _write(tmp_path / "k.csv", ["t_s", "acc_x", "acc_y", "gyr_x", "gyr_y", "gyr_z"], _imu_rows(3))
    with pytest.raises(InputFileError, match=r"required column\(s\) acc_z missing"):
        import_csv(p)
    rows = _imu_rows(5)
    rows[2].append("9")
    p = _write(tmp_path / "l.csv", BASE, rows)
    with pytest.raises(InputFileError, match=r"l\.csv: Expected 7 fields in line 4, saw 8"):
        import_csv(p)
    (tmp_path / "m.csv").write_text("")
    with pytest.raises(InputFileError, match="empty"):
        import_csv(tmp_path / "m.csv")
    with pytest.raises(InputFileError, match="no such file"):
        import_csv(tmp_path / "nope.csv")
    p = _write(tmp_path / "n.csv", BASE + ["mag_x"], [r + [1] for r in _imu_rows(3)])
    with pytest.raises(InputFileError, match="missing mag_y, mag_z"):
        import_csv(p)


def test_rate_outside_supported_range_is_reported_with_the_file(tmp_path):
    p = _write(tmp_path / "o.csv", BASE, _imu_rows(20, rate=20.0))
    with pytest.raises(InputFileError, match=r"o\.csv: sample rate 20.0 Hz is outside"):
        import_csv(p)
    assert import_csv(p, rate_hz=50).meta.rate_hz == 50.0


def test_large_gap_is_an_error(tmp_path):
    rows = _imu_rows(10) + _imu_rows(10, t0=2.0)
    p = _write(tmp_path / "q.csv", BASE, rows)
    with pytest.raises(InputFileError, match=r"gap of 1\.910 s between line 11 and line 12"):
        import_csv(p)


def test_first_row_longer_than_header_and_crlf_lines(tmp_path):
    rows = _imu_rows(5)
    rows[0].append("9")
    p = _write(tmp_path / "r.csv", BASE, rows)
    with pytest.raises(InputFileError, match=r"r\.csv: line 2 has more fields than the header"):
        import_csv(p)
    p = tmp_path / "crlf.csv"
    p.write_bytes(("\r\n".join([",".join(BASE)] + [",".join(map(str, r)) for r in _imu_rows(5)]) + "\r\n").encode())
    assert len(import_csv(p).imu) == 5


def test_blank_line_inside_data_and_binary_garbage(tmp_path):
    p = _write(tmp_path / "s.csv", BASE, _imu_rows(6))
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[:4] + [""] + lines[4:]) + "\n\n\n")
    with pytest.raises(InputFileError, match=r"s\.csv: line 5 is empty"):
        import_csv(p)
    p.write_bytes(",".join(BASE).encode() + b"\n0.0,1,2,\xff\xfe,4,5,6\n")
    with pytest.raises(InputFileError, match=r"s\.csv: byte offset 48: not UTF-8 text"):
        import_csv(p)
