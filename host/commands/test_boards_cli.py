"""`gaitnode boards list|validate|header|check` through the CLI's main() (exit codes and messages)."""

from __future__ import annotations

import json

from gaitnode.boards.config import DEFAULT_FILE
from gaitnode.boards.conftest import fake_model_dir, repo_boards, write_boards
from gaitnode.host.cli import main


def test_list_shows_every_board(capsys):
    assert main(["boards", "list"]) == 0
    out = capsys.readouterr().out
    for text in ("esp32s3", "ESP32-S3", "icm20948", "spi", "nano33ble", "lsm9ds1", "nrf52840dk", "twin", "pty",
                 "100 Hz", "128 KB", "64 KB", "heel_strike"):
        assert text in out


def test_validate_default_and_bad_file(tmp_path, capsys):
    assert main(["boards", "validate"]) == 0
    assert f"{DEFAULT_FILE}: 6 boards valid (esp32s3, esp32, nano33ble, nrf52840dk, twin, twin200)" in capsys.readouterr().out
    data = repo_boards()
    data["esp32"]["imu"]["i2c_address"] = 300
    f = write_boards(tmp_path / "b.yaml", data)
    assert main(["boards", "validate", "--file", str(f)]) == 2
    err = capsys.readouterr().err
    assert err == f"gaitnode: error: {f}: esp32.imu.i2c_address: 300 is greater than the maximum of 127\n"


def test_validate_not_yaml(tmp_path, capsys):
    f = tmp_path / "b.yaml"
    f.write_text("esp32: [\n")
    assert main(["boards", "validate", "--file", str(f)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_header_writes_the_board_header(tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["boards", "header", "--board", "esp32s3", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"wrote {out / 'gn_board_esp32s3.h'}" in text
    assert "#define GN_IMU_SPI_CS 10" in (out / "gn_board_esp32s3.h").read_text()
    # Same content again is fine; a differing file needs --force.
    assert main(["boards", "header", "--board", "esp32s3", "-o", str(out)]) == 0
    (out / "gn_board_esp32s3.h").write_text("/* old */\n")
    assert main(["boards", "header", "--board", "esp32s3", "-o", str(out)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main(["boards", "header", "--board", "esp32s3", "-o", str(out), "--force"]) == 0


def test_header_errors(tmp_path, capsys):
    assert main(["boards", "header", "--board", "uno", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("gaitnode: error: unknown board 'uno'; known: esp32s3, esp32, nano33ble, "
                                       "nrf52840dk, twin, twin200\n")
    assert main(["boards", "check", "--board", "esp32", "--model-dir", "heel_strike"]) == 2
    assert "--model-dir: 'heel_strike' must be NAME=DIR" in capsys.readouterr().err


def test_check_within_budget_writes_json(tmp_path, capsys):
    model = fake_model_dir(tmp_path / "model", model_bytes=34520, arena_bytes=15584)
    report = tmp_path / "budget.json"
    assert main(["boards", "check", "--board", "nrf52840dk", "--model-dir", f"heel_strike={model}",
                 "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "flash: 34520 B of 262144 B (86.8 % headroom)" in out
    assert "nrf52840dk: within budget" in out
    r = json.loads(report.read_text())
    assert r["ok"] is True and r["flash_bytes"] == 34520 and r["arena_bytes"] == 15584
    assert r["ram_bytes"] == 15584 + r["core_bytes"] + 4096


def test_check_exceeded_exits_non_zero_with_the_numbers(tmp_path, capsys):
    model = fake_model_dir(tmp_path / "model", arena_bytes=15584)
    data = repo_boards()
    data["nrf52840dk"]["budgets"].update(ram_bytes=24576, arena_bytes=16384)
    f = write_boards(tmp_path / "b.yaml", data)
    assert main(["boards", "check", "--board", "nrf52840dk", "--file", str(f), "--model-dir",
                 f"heel_strike={model}"]) == 2
    captured = capsys.readouterr()
    assert "RAM: arena 15584 B" in captured.out  # the summary still shows the numbers
    err = captured.err.strip()
    assert err.startswith("gaitnode: error: nrf52840dk: RAM budget exceeded: arena 15584 B + core ")
    assert err.endswith("B > budget 24576 B") and "\n" not in err


def test_check_needs_the_model_dirs(tmp_path, capsys):
    assert main(["boards", "check", "--board", "esp32"]) == 2
    assert "esp32: no model dir for heel_strike" in capsys.readouterr().err
    assert main(["boards", "check", "--board", "esp32", "--model-dir", f"heel_strike={tmp_path}"]) == 2
    assert "heel_strike_model_config.h: no such file" in capsys.readouterr().err
