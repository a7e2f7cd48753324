import numpy as np
import pytest

from gaitnode.errors import InputFileError
from gaitnode.sessions.importers.events_csv import read_events_csv
from gaitnode.sessions.model import EVENT_KINDS


def test_synonyms_and_sorting(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text("t_s,event,side,note\n"
                 "1.50,heel_strike,L,x\n"
                 "1.10,IC,right,\n"
                 "1.90,FO,r,\n"
                 "2.00,toe_off,Left,\n"
                 "2.10,HS,left,\n\n")
    ev = read_events_csv(p)
    np.testing.assert_allclose(ev.t_s, [1.1, 1.5, 1.9, 2.0, 2.1])
    assert [EVENT_KINDS[k] for k in ev.kind] == ["HS", "HS", "TO", "TO", "HS"]
    np.testing.assert_allclose(ev.select("HS", "left"), [1.5, 2.1])
    np.testing.assert_allclose(ev.select("TO", "right"), [1.9])


def test_empty_file_gives_no_events_only_with_header(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text("t_s,event,side\n")
    assert len(read_events_csv(p)) == 0
    p.write_text("")
    with pytest.raises(InputFileError, match="empty"):
        read_events_csv(p)


@pytest.mark.parametrize("body, msg", [
    ("t_s,event\n1.0,HS\n", r"required column\(s\) side missing"),
    ("t_s,event,side\n1.0,HS,left\n1.2,kick,left\n", r"line 3, column event: 'kick' is not a known event"),
    ("t_s,event,side\n1.0,HS,middle\n", r"line 2, column side: 'middle' is not a known side"),
    ("t_s,event,side\n1.0,HS,left\nnan,HS,left\n", r"line 3, column t_s: 'nan' is not a finite time"),
    ("t_s,event,side\n1.0,HS,left\n1.1,HS\n", r"line 3, column side: '' is not a known side"),
    ("t_s,event,side\n1.0,HS,left,9\n", r"line 2 has more fields than the header"),
    ("t_s,event,side\n1.0,HS,left\n1.0,HS,left,9\n", r"Expected 3 fields in line 3, saw 4"),
    ("t_s,event,side\n1.0,HS,left\n\n1.1,HS,left\n", r"line 3 is empty"),
])
def test_bad_input_names_line_and_column(tmp_path, body, msg):
    p = tmp_path / "ev.csv"
    p.write_text(body)
    with pytest.raises(InputFileError, match=msg):
        read_events_csv(p)
