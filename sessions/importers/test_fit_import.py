import datetime as dt

import numpy as np
import pytest
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.sport_message import SportMessage
from fit_tool.profile.messages.user_profile_message import UserProfileMessage
from fit_tool.profile.profile_type import FileType, Gender, Manufacturer, Sport

from gaitnode.errors import InputFileError
from gaitnode.sessions.importers.fit_import import import_fit
from gaitnode.sessions.model import SessionMeta, Subject

T0_MS = round(dt.datetime(2024, 3, 1, 9, 0, 0, tzinfo=dt.timezone.utc).timestamp()) * 1000


def _fit_bytes(n=60, sport=Sport.RUNNING, profile=True, grade=True, hr=True):
    b = FitFileBuilder(auto_define=True, min_string_size=50)
    m = FileIdMessage()
    m.type = FileType.ACTIVITY
    m.manufacturer = Manufacturer.GARMIN.value
    m.product = 0
    m.serial_number = 1
    m.time_created = T0_MS
    b.add(m)
    if profile:
        u = UserProfileMessage()
        u.gender = Gender.FEMALE
        u.age = 34
        u.height = 1.68
        u.weight = 61.5
        b.add(u)
    s = SportMessage()
    s.sport = sport
    b.add(s)
    for i in range(n):
        r = RecordMessage()
        r.timestamp = T0_MS + i * 1000
        if hr:
            r.heart_rate = 100 + i
        r.cadence = 80
        r.fractional_cadence = 0.5
        r.enhanced_speed = 3.0 + 0.01 * i
        r.distance = 3.0 * i
        r.enhanced_altitude = 100.0 + 0.06 * i  # 2 % uphill at 3 m/s
        if grade:
            r.grade = 1.5
        b.add(r)
    return b.build().to_bytes()


def test_running_fit_series_and_subject(tmp_path):
    p = tmp_path / "run.fit"
    p.write_bytes(_fit_bytes())
    s = import_fit(p, meta=SessionMeta(subject=Subject(id="r1", mass_kg=60.0), placement="foot"))
    assert len(s.imu) == 0 and s.meta.source == "fit" and not s.meta.has_mag
    np.testing.assert_allclose(s.series["hr"].t_s, np.arange(60.0))
    np.testing.assert_allclose(s.series["hr"].value, 100 + np.arange(60))
    np.testing.assert_allclose(s.series["cadence"].value, 161.0)  # 80.5 strides/min per foot
    np.testing.assert_allclose(s.series["speed"].value, 3.0 + 0.01 * np.arange(60), atol=1e-3)
    np.testing.assert_allclose(s.series["grade"].value, 1.5)
    sub = s.meta.subject
    assert (sub.id, sub.sex, sub.age, sub.height_m, sub.mass_kg) == ("r1", "female", 34.0, 1.68, 60.0)
    assert s.meta.extra["start_utc"].startswith("2024-03-01T09:00:00")
    assert s.duration_s == 59.0


def test_cycling_cadence_is_rpm_and_grade_is_derived(tmp_path):
    p = tmp_path / "ride.fit"
    p.write_bytes(_fit_bytes(sport=Sport.CYCLING, grade=False, profile=False))
    s = import_fit(p)
    assert "cadence" not in s.series
    np.testing.assert_allclose(s.series["cadence_rpm"].value, 80.5)
    # 0.06 m rise per 3 m (altitude stored at 0.2 m resolution, so over a 10 s window)
    g = s.series["grade"].value
    assert len(g) == 60 and np.nanmedian(g) == pytest.approx(2.0, abs=0.5)
    assert s.meta.subject.sex is None


def test_cadence_mode_override(tmp_path):
    p = tmp_path / "walk.fit"
    p.write_bytes(_fit_bytes(n=5))
    s = import_fit(p, cadence="steps")
    np.testing.assert_allclose(s.series["cadence"].value, 80.5)


def test_truncated_fit_is_a_clear_error(tmp_path):
    data = _fit_bytes()
    p = tmp_path / "cut.fit"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"cut\.fit: .*(truncated|damaged|checksum)"):
        import_fit(p)


def test_corrupt_crc_is_a_clear_error(tmp_path):
    data = bytearray(_fit_bytes())
    data[-1] ^= 0xFF
    p = tmp_path / "crc.fit"
    p.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"crc\.fit: FIT checksum mismatch"):
        import_fit(p)


def test_not_a_fit_file(tmp_path):
    p = tmp_path / "x.fit"
    p.write_text("t_s,acc_x\n0,1\n")
    with pytest.raises(InputFileError, match=r"x\.fit: not a FIT file"):
        import_fit(p)
    with pytest.raises(InputFileError, match="no such file"):
        import_fit(tmp_path / "missing.fit")


def test_fit_without_records(tmp_path):
    p = tmp_path / "empty.fit"
    p.write_bytes(_fit_bytes(n=0))
    with pytest.raises(InputFileError, match="no record messages"):
        import_fit(p)
