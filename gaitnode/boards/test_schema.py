"""boards.yaml schema and rules: the repository's file passes; each kind of mistake is named."""

from __future__ import annotations

import re

import pytest

from gaitnode.boards.conftest import repo_boards
from gaitnode.boards.schema import validate_boards
from gaitnode.errors import ConfigError


def problem(mutate) -> str:
    data = repo_boards()
    mutate(data)
    with pytest.raises(ConfigError) as e:
        validate_boards(data, "boards.yaml")
    return str(e.value)


def test_repository_boards_are_valid():
    data = repo_boards()
    assert validate_boards(data) is data
    assert list(data) == ["esp32s3", "esp32", "nano33ble", "nrf52840dk", "twin", "twin200"]


def test_i2c_address_out_of_range_names_board_and_field():
    def mutate(d):
        d["esp32"]["imu"]["i2c_address"] = 300

    assert problem(mutate) == "boards.yaml: esp32.imu.i2c_address: 300 is greater than the maximum of 127"


def test_missing_field():
    assert problem(lambda d: d["esp32s3"].pop("sample_rate_hz")) == \
        "boards.yaml: esp32s3: 'sample_rate_hz' is a required property"


def test_wrong_type():
    def mutate(d):
        d["nano33ble"]["ring_capacity"] = "256"

    assert problem(mutate) == "boards.yaml: nano33ble.ring_capacity: '256' is not of type 'integer'"


def test_unknown_field():
    def mutate(d):
        d["esp32s3"]["colour"] = "red"

    assert "esp32s3: Additional properties are not allowed ('colour' was unexpected)" in problem(mutate)


def test_spi_board_needs_its_pins():
    assert problem(lambda d: d["esp32s3"]["imu"]["pins"].pop("cs")) == \
        "boards.yaml: esp32s3.imu.pins: 'cs' is a required property"


def test_i2c_board_needs_an_address():
    assert "esp32.imu: 'i2c_address' is a required property" in problem(lambda d: d["esp32"]["imu"].pop("i2c_address"))


def test_lsm9ds1_needs_the_magnetometer_address():
    assert "nano33ble.imu: 'mag_i2c_address' is a required property" in \
        problem(lambda d: d["nano33ble"]["imu"].pop("mag_i2c_address"))


def test_ring_capacity_must_be_a_power_of_two():
    def mutate(d):
        d["esp32s3"]["ring_capacity"] = 300

    assert problem(mutate) == "boards.yaml: esp32s3.ring_capacity: 300 is not a power of two"


def test_tx_buffer_must_be_a_power_of_two():
    def mutate(d):
        d["esp32"]["tx_buffer_bytes"] = 3000

    assert problem(mutate) == "boards.yaml: esp32.tx_buffer_bytes: 3000 is not a power of two"


def test_ring_capacity_fits_info_u16():
    def mutate(d):
        d["esp32"]["ring_capacity"] = 65536

    assert problem(mutate) == "boards.yaml: esp32.ring_capacity: 65536 is greater than the maximum of 32768"


@pytest.mark.parametrize("board, pin, value, message", [
    ("esp32s3", "cs", 27, "esp32s3.imu.pins.cs: pin 27 is used by the module's SPI flash"),
    ("esp32s3", "cs", 23, "esp32s3.imu.pins.cs: pin 23 does not exist on esp32-s3-devkitc-1 (pins 0-48)"),
    ("esp32s3", "sck", 43, "esp32s3.imu.pins.sck: pin 43 is the transport UART's"),
    ("esp32", "sda", 34, "esp32.imu.pins.sda: pin 34 is input-only and cannot drive sda"),
    ("esp32", "scl", 40, "esp32.imu.pins.scl: pin 40 does not exist on esp32dev (pins 0-39)"),
    ("esp32", "int", 21, "esp32.imu.pins.int: pin 21 is already used by sda"),
    ("nrf52840dk", "int", 6, "nrf52840dk.imu.pins.int: pin 6 is the transport UART's"),
    ("nano33ble", "sda", 34, "nano33ble.imu.pins.sda: pin 34 does not exist on nano33ble (pins 0-33)"),
])
def test_bad_pins(board, pin, value, message):
    def mutate(d):
        d[board]["imu"]["pins"][pin] = value

    assert problem(mutate) == f"boards.yaml: {message}"


def test_input_only_pin_is_fine_for_the_interrupt():
    data = repo_boards()
    data["esp32"]["imu"]["pins"]["int"] = 34
    validate_boards(data)


def test_negative_pin():
    def mutate(d):
        d["esp32"]["imu"]["pins"]["sda"] = -1

    assert problem(mutate) == "boards.yaml: esp32.imu.pins.sda: -1 is less than the minimum of 0"


def test_range_the_part_cannot_do():
    def mutate(d):
        d["nano33ble"]["ranges"]["gyr_dps"] = 1000

    assert problem(mutate) == ("boards.yaml: nano33ble.ranges.gyr_dps: the lsm9ds1 does not support 1000 "
                               "(supported: 245, 500, 2000)")


def test_range_not_in_the_schema():
    def mutate(d):
        d["esp32"]["ranges"]["acc_g"] = 3

    assert problem(mutate) == "boards.yaml: esp32.ranges.acc_g: 3 is not one of [2, 4, 8, 16]"


def test_budget_must_leave_room_on_the_mcu():
    def mutate(d):
        d["esp32s3"]["budgets"]["ram_bytes"] = 600000

    assert problem(mutate) == ("boards.yaml: esp32s3.budgets.ram_bytes: 600000 is not below the ESP32-S3's RAM of "
                               "524288 bytes (the framework needs some)")


def test_arena_budget_within_ram_budget():
    def mutate(d):
        d["nano33ble"]["budgets"]["arena_bytes"] = 100000

    assert "nano33ble.budgets.arena_bytes: 100000 exceeds ram_bytes 98304" in problem(mutate)


def test_board_name():
    def mutate(d):
        d["ESP-32"] = d.pop("esp32")

    assert re.search(r"board name 'ESP-32' must be 1-15 lower-case", problem(mutate))


def test_platformio_env_is_the_board_name():
    def mutate(d):
        d["esp32"]["platformio"]["env"] = "wroom"

    assert "esp32.platformio.env: 'wroom' must be the board's name 'esp32'" in problem(mutate)


def test_twin_has_no_imu_and_a_pty():
    def mutate(d):
        d["twin"]["transport"]["kind"] = "uart"

    assert problem(mutate) == "boards.yaml: twin.imu.part: none (the twin) needs transport kind pty"
    assert problem(lambda d: d["twin"]["imu"].update(part="icm20948")) == \
        "boards.yaml: twin.imu.part: 'none' was expected"


def test_reset_line_values():
    assert problem(lambda d: d["esp32"]["transport"].update(reset="en")) == \
        "boards.yaml: esp32.transport.reset: 'en' is not one of ['rts', 'dtr', None]"
    data = repo_boards()
    data["nano33ble"]["transport"]["reset"] = "dtr"
    validate_boards(data)


def test_a_pty_has_no_reset_line():
    assert problem(lambda d: d["twin200"]["transport"].update(reset="rts")) == \
        "boards.yaml: twin200.transport.reset: a pty has no control lines (the host restarts the twin itself); use null"


def test_unknown_model():
    def mutate(d):
        d["esp32"]["models"] = ["heel_strike", "hr"]

    assert problem(mutate) == "boards.yaml: esp32.models.1: 'hr' is not one of ['heel_strike', 'vo2', 'phase', 'activity']"


def test_empty_and_non_mapping_documents():
    with pytest.raises(ConfigError, match="no boards defined"):
        validate_boards({})
    with pytest.raises(ConfigError, match=r"\(top level\): \[1, 2\] is not of type 'object'"):
        validate_boards([1, 2])
