"""Loading boards.yaml into Board dataclasses; bad files give one clear message."""

from __future__ import annotations

import pytest

from gaitnode.boards.config import DEFAULT_FILE, get_board, load_boards
from gaitnode.boards.conftest import repo_boards, write_boards
from gaitnode.errors import ConfigError, GaitnodeError


def test_default_file_loads_every_board():
    boards = load_boards()
    assert list(boards) == ["esp32s3", "esp32", "nano33ble", "nrf52840dk", "twin", "twin200"]
    assert all(b.source == str(DEFAULT_FILE) for b in boards.values())


def test_board_fields_match_the_file():
    raw = repo_boards()
    s3 = get_board("esp32s3")
    assert (s3.mcu.name, s3.imu.part, s3.imu.bus) == ("ESP32-S3", "icm20948", "spi")
    pins = raw["esp32s3"]["imu"]["pins"]
    assert (s3.imu.pins.sck, s3.imu.pins.mosi, s3.imu.pins.miso, s3.imu.pins.cs, s3.imu.pins.int_pin) == \
        (pins["sck"], pins["mosi"], pins["miso"], pins["cs"], pins["int"])
    assert s3.imu.pins.sda is None and s3.imu.i2c_address is None
    assert s3.platformio.board == "esp32-s3-devkitc-1"
    nano = get_board("nano33ble")
    assert (nano.imu.i2c_port, nano.imu.i2c_address, nano.imu.mag_i2c_address) == ("Wire1", 0x6B, 0x1E)
    assert nano.imu.pins.int_pin is None
    assert (nano.ranges.acc_g, nano.ranges.gyr_dps, nano.ranges.mag_ut) == (16, 2000, 1600)
    assert nano.budgets.ram_bytes == raw["nano33ble"]["budgets"]["ram_bytes"]
    twin = get_board("twin")
    assert twin.platformio is None and twin.mcu.ram_bytes is None and twin.transport.kind == "pty"
    for b in load_boards().values():
        assert b.sample_rate_hz == (200 if b.name == "twin200" else 100)
    # the twins carry every model slot (a twin runs what it is given); the Nano 33 BLE all four models
    # (the several-models configuration); the other boards the heel-strike model
    for name in ("twin", "twin200", "nano33ble"):
        assert get_board(name).models == ("heel_strike", "vo2", "phase", "activity") and get_board(name).max_models == 4
    for name in ("esp32s3", "esp32", "nrf52840dk"):
        assert get_board(name).models == ("heel_strike",) and get_board(name).max_models == 1


def test_reset_lines_per_board():
    """ESP32 dev kits reset through RTS -> EN; native USB, the J-Link VCOM and the twins have no line."""
    resets = {b.name: b.transport.reset for b in load_boards().values()}
    assert resets == {"esp32s3": "rts", "esp32": "rts", "nano33ble": None, "nrf52840dk": None, "twin": None,
                      "twin200": None}


def test_reset_is_optional(tmp_path):
    data = repo_boards()
    del data["esp32"]["transport"]["reset"]
    assert load_boards(write_boards(tmp_path / "b.yaml", data))["esp32"].transport.reset is None


def test_twin200_is_the_twin_at_200_hz():
    twin, twin200 = get_board("twin"), get_board("twin200")
    assert twin200.sample_rate_hz == 200
    same = ("mcu", "platformio", "imu", "ranges", "transport", "tx_buffer_bytes", "ring_capacity", "max_window",
            "max_channels", "models", "budgets")
    assert [getattr(twin200, f) for f in same] == [getattr(twin, f) for f in same]


def test_tx_buffer_default(tmp_path):
    data = repo_boards()
    del data["esp32"]["tx_buffer_bytes"]
    assert load_boards(write_boards(tmp_path / "b.yaml", data))["esp32"].tx_buffer_bytes == 4096


def test_unknown_board():
    with pytest.raises(GaitnodeError) as e:
        get_board("uno")
    assert str(e.value) == "unknown board 'uno'; known: esp32s3, esp32, nano33ble, nrf52840dk, twin, twin200"


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: no such file$"):
        load_boards(tmp_path / "nope.yaml")


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_boards(tmp_path)  # a folder


def test_malformed_yaml(tmp_path):
    f = tmp_path / "boards.yaml"
    f.write_text("esp32:\n  mcu: [unclosed\n  imu: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"boards\.yaml: not valid YAML \(line \d+, column \d+\)"):
        load_boards(f)


def test_empty_and_wrong_top_level(tmp_path):
    f = tmp_path / "boards.yaml"
    f.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_boards(f)
    f.write_text("- esp32\n- nano33ble\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping of board name -> board, not a list"):
        load_boards(f)


def test_board_defined_twice(tmp_path):
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    twin = text[text.index("\ntwin:"):]
    f = tmp_path / "boards.yaml"
    f.write_text(text + twin, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid YAML \(line \d+, column 1\): duplicate key 'twin'"):
        load_boards(f)


def test_schema_error_names_the_given_file(tmp_path):
    data = repo_boards()
    data["esp32s3"]["imu"]["pins"]["cs"] = 27
    f = write_boards(tmp_path / "mine.yaml", data)
    with pytest.raises(ConfigError) as e:
        load_boards(f)
    assert str(e.value) == f"{f}: esp32s3.imu.pins.cs: pin 27 is used by the module's SPI flash"


def test_get_board_from_another_file(tmp_path):
    data = repo_boards()
    data["esp32"]["ring_capacity"] = 1024
    f = write_boards(tmp_path / "b.yaml", data)
    assert get_board("esp32", f).ring_capacity == 1024
    assert get_board("esp32").ring_capacity == 256
