import json

import numpy as np
import pytest

from gaitnode.host.commands.json_report import write_json_report


def test_report_is_written_whole_with_numpy_values(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "r.json"
    write_json_report(out, {"b": np.float32(0.5), "a": [1, 2]})
    assert json.loads(out.read_text()) == {"a": [1, 2], "b": 0.5}
    assert out.read_text().index('"a"') < out.read_text().index('"b"')  # sorted keys
    assert capsys.readouterr().out == f"wrote {out}\n"
    assert [p.name for p in out.parent.iterdir()] == ["r.json"]  # no temporary file left


def test_a_report_that_cannot_be_serialised_leaves_the_old_file(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old\n")
    with pytest.raises(TypeError):
        write_json_report(out, {"x": object()})
    assert out.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["r.json"]
