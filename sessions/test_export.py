"""Parquet export: what pandas/training users see, and the round trip back to a Session."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gaitnode.errors import GaitnodeError, InputFileError
from gaitnode.sessions.export import export_parquet, import_parquet
from gaitnode.sessions.model import Imu, Session, SessionMeta
from gaitnode.sessions.test_store import assert_same_session, full_session


def test_parquet_round_trip(tmp_path):
    s = full_session(500)
    paths = export_parquet(s, tmp_path / "out")
    assert [p.name for p in paths] == ["samples.parquet", "events.parquet", "series.parquet"]
    back = import_parquet(tmp_path / "out")
    assert_same_session(s, back)
    assert back.meta.extra == s.meta.extra and back.meta.synthetic


def test_columns_units_and_metadata_as_pandas_sees_them(tmp_path):
    s = full_session(200)
    export_parquet(s, tmp_path)
    df = pd.read_parquet(tmp_path / "samples.parquet")
    assert list(df.columns) == ["t_us", "host_s", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z",
                                "mag_x", "mag_y", "mag_z", "phase", "activity"]
    np.testing.assert_array_equal(df["acc_y"].to_numpy(), s.imu.acc[:, 1])
    assert df["t_us"].dtype == np.int64 and df["acc_x"].dtype == np.float32 and df["phase"].dtype == np.int8
    schema = pq.read_schema(tmp_path / "samples.parquet")
    assert schema.field("gyr_z").metadata == {b"unit": b"deg/s"}
    assert json.loads(schema.metadata[b"gaitnode.meta"])["subject"]["id"] == "s01"
    ev = pd.read_parquet(tmp_path / "events.parquet")
    assert set(ev["kind"]) <= {"HS", "FF", "HO", "TO"} and set(ev["side"]) <= {"left", "right"}
    series = pd.read_parquet(tmp_path / "series.parquet")
    assert series.groupby("name").size().to_dict() == {"vo2": len(s.series["vo2"]), "hr": 4}
    se_schema = pq.read_schema(tmp_path / "series.parquet")
    assert json.loads(se_schema.metadata[b"units"]) == {"vo2": "ml/min", "hr": "bpm", "lactate": None}
    for f in ("events.parquet", "series.parquet"):
        assert b"gaitnode.meta" in pq.read_schema(tmp_path / f).metadata


def test_session_without_labels_or_events(tmp_path):
    n = 20
    s = Session(SessionMeta(synthetic=True), Imu(np.arange(n) * 10_000, np.zeros((n, 3)), np.zeros((n, 3)), None))
    export_parquet(s, tmp_path)
    assert "phase" not in pq.read_schema(tmp_path / "samples.parquet").names
    back = import_parquet(tmp_path)
    assert back.phase is None and len(back.events) == 0 and back.series == {}
    assert_same_session(s, back)


def test_export_refuses_to_overwrite(tmp_path):
    s = full_session(50)
    export_parquet(s, tmp_path)
    with pytest.raises(GaitnodeError, match=r"samples\.parquet: already exists \(3 of the 3 outputs do\); pass --force \(Python: overwrite=True\)"):
        export_parquet(s, tmp_path)
    export_parquet(s, tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.parquet", "samples.parquet", "series.parquet"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(GaitnodeError, match="exists and is not a directory"):
        export_parquet(s, tmp_path / "file")


def test_import_errors_name_file_row_and_column(tmp_path):
    s = full_session(50)
    export_parquet(s, tmp_path)
    events = pq.read_table(tmp_path / "events.parquet")
    kinds = events.column("kind").to_pylist()
    kinds[3] = "JUMP"
    pq.write_table(events.set_column(1, events.schema.field("kind"), pa.array(kinds)), tmp_path / "events.parquet")
    with pytest.raises(InputFileError, match=r"events\.parquet: row 3 column 'kind': 'JUMP' is not one of HS"):
        import_parquet(tmp_path)
    (tmp_path / "series.parquet").unlink()
    (tmp_path / "samples.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputFileError, match=r"samples\.parquet: not a readable Parquet file"):
        import_parquet(tmp_path)
    pq.write_table(pa.table({"t_us": pa.array([1, 2])}), tmp_path / "samples.parquet")
    with pytest.raises(InputFileError, match=r"samples\.parquet: column 'host_s' is missing"):
        import_parquet(tmp_path)
    export_parquet(s, tmp_path / "again")
    (tmp_path / "again" / "series.parquet").unlink()
    with pytest.raises(InputFileError, match=r"series\.parquet: missing"):
        import_parquet(tmp_path / "again")
