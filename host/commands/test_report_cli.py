"""`gaitnode report` on real .gns files, through the command's own Typer app."""

import pytest
import typer

from gaitnode.errors import GaitnodeError, SessionFormatError
from gaitnode.host.commands.report import register
from gaitnode.host.report import DPI, PANEL_HEIGHT_IN
from gaitnode.host.test_report import make_session, png_size
from gaitnode.sessions.store import write_session


@pytest.fixture
def app():
    a = typer.Typer()
    register(a)
    a.command("noop", hidden=True)(lambda: None)  # a second command keeps "report" a named subcommand
    return a


@pytest.fixture
def session_file(tmp_path):
    return write_session(make_session(30.0), tmp_path / "walk.gns")


def _run(app, capsys, *argv):
    app(args=["report", *map(str, argv)], standalone_mode=False)
    return capsys.readouterr().out


def test_report_writes_png_next_to_the_session(app, capsys, session_file):
    out = _run(app, capsys, session_file)
    png = session_file.with_suffix(".png")
    panels = ["activity", "vo2_hr", "speed_grade", "acc", "gyr", "mag", "events", "phase"]
    height = round((sum(PANEL_HEIGHT_IN[p] for p in panels) + 0.8) * DPI)
    assert png_size(png) == (1400, height)
    assert f"wrote {png}: 1400x{height} px, panels {', '.join(panels)}" in out
    assert "synthetic data" in out


def test_report_zoom_range_and_output_path(app, capsys, session_file, tmp_path):
    out = _run(app, capsys, session_file, "-o", tmp_path / "zoom.png", "--start", 5, "--end", 12)
    assert (tmp_path / "zoom.png").exists()
    assert "wrote" in out


def test_report_refuses_to_overwrite_without_force(app, capsys, session_file):
    _run(app, capsys, session_file)
    with pytest.raises(GaitnodeError, match="already exists; pass --force"):
        _run(app, capsys, session_file)
    _run(app, capsys, session_file, "--force")


def test_report_bad_range_and_bad_file(app, capsys, session_file, tmp_path):
    with pytest.raises(GaitnodeError, match="outside the session"):
        _run(app, capsys, session_file, "--start", 100)
    bad = tmp_path / "bad.gns"
    bad.write_bytes(b"not a session file at all")
    with pytest.raises(SessionFormatError):
        _run(app, capsys, bad)
    assert not (tmp_path / "bad.png").exists()


def test_report_through_the_gaitnode_entry_point(capsys, session_file, tmp_path):
    from gaitnode.host.cli import main

    assert main(["report", str(session_file), "-o", str(tmp_path / "a.png")]) == 0
    assert (tmp_path / "a.png").exists()
    code = main(["report", str(session_file), "-o", str(tmp_path / "b.png"), "--start", "20", "--end", "10"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "gaitnode: error: time range: start (20 s) must be before end (10 s)"
    assert not (tmp_path / "b.png").exists()


# ---- replay results (JSON from `gaitnode replay`), told from sessions by content ----

@pytest.fixture
def result_file(tmp_path, session_file):
    from gaitnode.host.replay_result import write_result
    from gaitnode.host.test_replay_result import make_outcome

    return write_result(make_outcome(make_session(30.0), session_file), tmp_path / "walk.result.json")


def test_report_of_a_replay_result(app, capsys, result_file, tmp_path):
    from gaitnode.host.report_replay import PANEL_HEIGHT_IN as REPLAY_PANELS

    out = _run(app, capsys, result_file)
    png = tmp_path / "walk.replay.png"
    height = round((sum(REPLAY_PANELS.values()) + 0.8) * DPI)
    assert png_size(png) == (1400, height)
    assert out.strip() == (f"wrote {png}: 1400x{height} px, replay of walk, panels imu, events, timeline, errors, "
                           "vo2, summary, synthetic session")
    # A result under another name is still a result; --start/--end choose the zoom window.
    renamed = tmp_path / "renamed.gns"
    renamed.write_bytes(result_file.read_bytes())
    out = _run(app, capsys, renamed, "-o", tmp_path / "zoom.png", "--start", 5, "--end", 9)
    assert "replay of walk" in out and (tmp_path / "zoom.png").exists()
    with pytest.raises(GaitnodeError, match="already exists; pass --force"):
        _run(app, capsys, result_file)


def test_report_of_a_result_without_its_session_or_not_a_result(capsys, result_file, session_file, tmp_path):
    from gaitnode.host.cli import main

    session_file.unlink()
    assert main(["report", str(result_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"gaitnode: error: {result_file}: its session {session_file} is gone (looked for {session_file})"
    other = tmp_path / "other.json"
    other.write_text('{"some": "json"}')
    assert main(["report", str(other)]) == 2
    assert "not a replay result" in capsys.readouterr().err
    assert not (tmp_path / "walk.replay.png").exists() and not (tmp_path / "other.replay.png").exists()
