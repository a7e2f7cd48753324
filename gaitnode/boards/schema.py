"""The schema of boards.yaml and the rules JSON Schema cannot express.

`validate_boards(data, where)` checks the parsed file: first the JSON Schema (BOARDS_SCHEMA, with
jsonschema), then the cross-field rules (power-of-two ring, ranges the IMU part supports, pins
that exist on the board and are free, budgets below the MCU's totals). The first problem found
raises ConfigError naming the file, the board and the field path, e.g.
`boards.yaml: esp32s3.imu.i2c_address: 300 is greater than the maximum of 127`.
"""

from __future__ import annotations

import jsonschema

from gaitnode.errors import ConfigError

NAME_PATTERN = "^[a-z][a-z0-9_]{0,14}$"  # fits INFO's 16-byte NUL-padded board field
TEXT_PATTERN = "^[ -~]*$"  # printable ASCII: goes into C string literals
MODELS = ("heel_strike", "vo2", "phase", "activity")
IMU_PARTS = ("icm20948", "lsm9ds1", "none")
BUSES = ("spi", "i2c", "none")
TRANSPORTS = ("uart", "usb_cdc", "pty")
RESET_LINES = ("rts", "dtr")  # pyserial Serial attributes (gaitnode.host.node: Node.reset)
PIN_NAMES = ("sck", "mosi", "miso", "cs", "sda", "scl", "int")

_pin = {"type": "integer", "minimum": 0, "maximum": 255}
_bytes = {"type": "integer", "minimum": 1}
_optional_bytes = {"type": ["integer", "null"], "minimum": 1}


def _when(prop: str, value: str, then: dict) -> dict:
    return {"if": {"properties": {prop: {"const": value}}, "required": [prop]}, "then": then}


IMU_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["part", "bus"],
    "properties": {
        "part": {"enum": list(IMU_PARTS)},
        "bus": {"enum": list(BUSES)},
        "bus_hz": {"type": "integer", "minimum": 10000, "maximum": 100000000},
        "i2c_port": {"enum": ["Wire", "Wire1"]},
        "i2c_address": {"type": "integer", "minimum": 0, "maximum": 127},
        "mag_i2c_address": {"type": "integer", "minimum": 0, "maximum": 127},
        "pins": {
            "type": "object",
            "additionalProperties": False,
            "properties": {**{k: _pin for k in PIN_NAMES if k != "int"},
                           "int": {"type": ["integer", "null"], "minimum": 0, "maximum": 255}},
        },
    },
    "allOf": [
        _when("bus", "spi", {"required": ["bus_hz", "pins"],
                             "properties": {"pins": {"required": ["sck", "mosi", "miso", "cs", "int"]}}}),
        _when("bus", "i2c", {"required": ["bus_hz", "i2c_port", "i2c_address", "pins"],
                             "properties": {"pins": {"required": ["sda", "scl", "int"]}}}),
        _when("bus", "none", {"properties": {"part": {"const": "none"}}}),
        _when("part", "none", {"properties": {"bus": {"const": "none"}}}),
        _when("part", "lsm9ds1", {"required": ["mag_i2c_address"], "properties": {"bus": {"const": "i2c"}}}),
    ],
}

BOARD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["description", "mcu", "platformio", "imu", "sample_rate_hz", "ranges", "transport",
                 "ring_capacity", "max_window", "max_channels", "models", "budgets"],
    "properties": {
        "description": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": TEXT_PATTERN},
        "mcu": {
            "type": "object", "additionalProperties": False, "required": ["name", "ram_bytes", "flash_bytes"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": TEXT_PATTERN},
                           "ram_bytes": _optional_bytes, "flash_bytes": _optional_bytes},
        },
        "platformio": {
            "type": ["object", "null"], "additionalProperties": False,
            "required": ["env", "platform", "board", "framework"],
            "properties": {"env": {"type": "string", "pattern": NAME_PATTERN},
                           "platform": {"type": "string", "pattern": "^[a-z0-9_-]+$"},
                           "board": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                           "framework": {"type": "string", "pattern": "^[a-z0-9_-]+$"}},
        },
        "imu": IMU_SCHEMA,
        "sample_rate_hz": {"type": "integer", "minimum": 1, "maximum": 1000},
        "ranges": {
            "type": "object", "additionalProperties": False, "required": ["acc_g", "gyr_dps", "mag_ut"],
            "properties": {"acc_g": {"enum": [2, 4, 8, 16]},
                           "gyr_dps": {"enum": [125, 245, 250, 500, 1000, 2000]},
                           "mag_ut": {"type": "integer", "minimum": 1, "maximum": 65535}},
        },
        "transport": {
            "type": "object", "additionalProperties": False, "required": ["kind", "baud"],
            "properties": {"kind": {"enum": list(TRANSPORTS)},
                           "baud": {"type": "integer", "minimum": 1200, "maximum": 12000000},
                           # the control line the host pulses to reboot the board; null/absent: none
                           "reset": {"enum": [*RESET_LINES, None]}},
        },
        "tx_buffer_bytes": {"type": "integer", "minimum": 256, "maximum": 65536},
        # INFO carries the ring capacity as a u16: at most 32768 (the largest power of two below 65536).
        "ring_capacity": {"type": "integer", "minimum": 2, "maximum": 32768},
        "max_window": {"type": "integer", "minimum": 1, "maximum": 1024},
        "max_channels": {"type": "integer", "minimum": 1, "maximum": 9},
        "models": {"type": "array", "items": {"enum": list(MODELS)}, "uniqueItems": True},
        "budgets": {
            "type": "object", "additionalProperties": False, "required": ["ram_bytes", "flash_bytes", "arena_bytes"],
            "properties": {"ram_bytes": _bytes, "flash_bytes": _bytes, "arena_bytes": _bytes},
        },
    },
}

BOARDS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gaitnode boards.yaml",
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": NAME_PATTERN},
    "additionalProperties": BOARD_SCHEMA,
}

# Ranges each IMU part can be configured to (datasheets: ICM-20948 DS-000189, LSM9DS1 DocID025715).
PART_RANGES = {
    "icm20948": {"acc_g": (2, 4, 8, 16), "gyr_dps": (250, 500, 1000, 2000),
                 # AK09916: one fixed range, +-4912 uT at 0.15 uT/LSB; the board states 4900.
                 "mag_ut": (4900,)},
    "lsm9ds1": {"acc_g": (2, 4, 8, 16), "gyr_dps": (245, 500, 2000), "mag_ut": (400, 800, 1200, 1600)},
}

# Pins per PlatformIO board (Arduino pin numbers of its core): valid range, pins that do not
# exist, pins taken by the module (flash), input-only pins, and the UART used as transport.
BOARD_PINS = {
    "esp32-s3-devkitc-1": {"max": 48, "absent": set(range(22, 26)),
                           "reserved": {p: "the module's SPI flash" for p in range(26, 33)},
                           "input_only": set(), "uart": {43, 44}},
    "esp32dev": {"max": 39, "absent": {20, 24, 28, 29, 30, 31},
                 "reserved": {p: "the module's SPI flash" for p in range(6, 12)},
                 "input_only": set(range(34, 40)), "uart": {1, 3}},
    "nano33ble": {"max": 33, "absent": set(), "reserved": {}, "input_only": set(), "uart": set()},
    "nrf52840_dk_adafruit": {"max": 31, "absent": set(), "reserved": {}, "input_only": set(), "uart": {6, 8}},
}
OUTPUT_PINS = ("sck", "mosi", "cs", "sda", "scl")


def _schema_error(data, where: str) -> None:
    validator = jsonschema.Draft202012Validator(BOARDS_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return
    e = errors[0]
    path = ".".join(map(str, e.absolute_path))
    if "propertyNames" in e.relative_schema_path:
        raise ConfigError(f"{where}: board name {e.instance!r} must be 1-15 lower-case letters, digits or _ "
                          "(starting with a letter)")
    if e.validator == "minProperties" and not path:
        raise ConfigError(f"{where}: no boards defined")
    raise ConfigError(f"{where}: {path or '(top level)'}: {e.message}")


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def board_rule_errors(name: str, b: dict) -> list[str]:
    """Cross-field problems of one schema-valid board entry, as 'name.field: message' strings."""
    out = []
    if not _is_power_of_two(b["ring_capacity"]):
        out.append(f"{name}.ring_capacity: {b['ring_capacity']} is not a power of two")
    if "tx_buffer_bytes" in b and not _is_power_of_two(b["tx_buffer_bytes"]):
        out.append(f"{name}.tx_buffer_bytes: {b['tx_buffer_bytes']} is not a power of two")
    imu, ranges = b["imu"], b["ranges"]
    allowed = PART_RANGES.get(imu["part"])
    if allowed:
        for key, values in allowed.items():
            if ranges[key] not in values:
                out.append(f"{name}.ranges.{key}: the {imu['part']} does not support {ranges[key]} "
                           f"(supported: {', '.join(map(str, values))})")
    if imu["part"] != "none" and b["transport"]["kind"] == "pty":
        out.append(f"{name}.transport.kind: pty is the twin's transport; a board with an IMU needs uart or usb_cdc")
    if imu["part"] == "none" and b["transport"]["kind"] != "pty":
        out.append(f"{name}.imu.part: none (the twin) needs transport kind pty")
    if b["transport"]["kind"] == "pty" and b["transport"].get("reset") is not None:
        out.append(f"{name}.transport.reset: a pty has no control lines (the host restarts the twin itself); "
                   "use null")
    mcu = b["mcu"]
    for key, total, what in (("ram_bytes", mcu["ram_bytes"], "RAM"), ("flash_bytes", mcu["flash_bytes"], "flash")):
        if total is not None and b["budgets"][key] >= total:
            out.append(f"{name}.budgets.{key}: {b['budgets'][key]} is not below the {mcu['name']}'s {what} of "
                       f"{total} bytes (the framework needs some)")
    if b["budgets"]["arena_bytes"] > b["budgets"]["ram_bytes"]:
        out.append(f"{name}.budgets.arena_bytes: {b['budgets']['arena_bytes']} exceeds ram_bytes "
                   f"{b['budgets']['ram_bytes']}")
    pio = b["platformio"]
    if pio is not None and pio["env"] != name:
        out.append(f"{name}.platformio.env: {pio['env']!r} must be the board's name {name!r} "
                   "(the build finds gn_board_<env>.h by it)")
    if pio is None and imu["part"] != "none":
        out.append(f"{name}.platformio: a board with an IMU needs a PlatformIO environment")
    out += _pin_errors(name, b)
    return out


def _pin_errors(name: str, b: dict) -> list[str]:
    pins = {k: v for k, v in (b["imu"].get("pins") or {}).items() if v is not None}
    out = []
    seen: dict[int, str] = {}
    for key, pin in pins.items():
        if pin in seen:
            out.append(f"{name}.imu.pins.{key}: pin {pin} is already used by {seen[pin]}")
        seen.setdefault(pin, key)
    rules = BOARD_PINS.get((b["platformio"] or {}).get("board"))
    if rules is None:
        return out
    for key, pin in pins.items():
        where = f"{name}.imu.pins.{key}: pin {pin}"
        if pin > rules["max"] or pin in rules["absent"]:
            out.append(f"{where} does not exist on {b['platformio']['board']} (pins 0-{rules['max']})")
        elif pin in rules["reserved"]:
            out.append(f"{where} is used by {rules['reserved'][pin]}")
        elif key in OUTPUT_PINS and pin in rules["input_only"]:
            out.append(f"{where} is input-only and cannot drive {key}")
        elif b["transport"]["kind"] == "uart" and pin in rules["uart"]:
            out.append(f"{where} is the transport UART's")
    return out


def validate_boards(data, where: str = "boards.yaml") -> dict:
    """Check parsed boards.yaml content; returns it, or raises ConfigError (first problem)."""
    _schema_error(data, where)
    for name, board in data.items():
        errors = board_rule_errors(name, board)
        if errors:
            raise ConfigError(f"{where}: {errors[0]}")
    return data
