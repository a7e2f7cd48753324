"""Load boards.yaml into Board dataclasses.

    boards = load_boards()                  # the repository's boards.yaml
    board = get_board("esp32s3")
    board.imu.pins.cs, board.budgets.arena_bytes, board.ranges.acc_g

A missing, unreadable or invalid file raises ConfigError (a GaitnodeError) naming the file and,
for schema problems, the board and field (see schema.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from gaitnode.boards.schema import validate_boards
from gaitnode.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FILE = REPO / "boards.yaml"
DEFAULT_TX_BUFFER = 4096


@dataclass(frozen=True)
class Mcu:
    name: str
    ram_bytes: int | None  # None: not an MCU (the twin runs on the host)
    flash_bytes: int | None


@dataclass(frozen=True)
class PlatformIO:
    env: str
    platform: str
    board: str
    framework: str


@dataclass(frozen=True)
class Pins:
    sck: int | None = None
    mosi: int | None = None
    miso: int | None = None
    cs: int | None = None
    sda: int | None = None
    scl: int | None = None
    int_pin: int | None = None  # "int" in boards.yaml; None when not wired


@dataclass(frozen=True)
class Imu:
    part: str  # icm20948, lsm9ds1, none
    bus: str  # spi, i2c, none
    bus_hz: int | None
    i2c_port: str | None  # Wire, Wire1
    i2c_address: int | None
    mag_i2c_address: int | None
    pins: Pins


@dataclass(frozen=True)
class Ranges:
    acc_g: int
    gyr_dps: int
    mag_ut: int


@dataclass(frozen=True)
class Transport:
    kind: str  # uart, usb_cdc, pty
    baud: int
    reset: str | None = None  # "rts" / "dtr": the line that reboots the board when pulsed; None: none


@dataclass(frozen=True)
class Budgets:
    ram_bytes: int
    flash_bytes: int
    arena_bytes: int


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    mcu: Mcu
    platformio: PlatformIO | None
    imu: Imu
    sample_rate_hz: int
    ranges: Ranges
    transport: Transport
    tx_buffer_bytes: int
    ring_capacity: int
    max_window: int
    max_channels: int
    models: tuple[str, ...]
    budgets: Budgets
    source: str  # the file it came from

    @property
    def max_models(self) -> int:
        """GN_MAX_MODELS: the models the board carries (at least 1, the core's arrays need one)."""
        return max(1, len(self.models))


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (a board defined twice)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, where: str):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{where}: cannot be read ({e})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(f"{where}: not valid YAML{at}: {problem}") from None
    if data is None:
        raise ConfigError(f"{where}: the file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a mapping of board name -> board, not a {type(data).__name__}")
    return data


def _board(name: str, b: dict, source: str) -> Board:
    imu = b["imu"]
    pins = dict(imu.get("pins") or {})
    pins["int_pin"] = pins.pop("int", None)
    pio = b["platformio"]
    return Board(
        name=name, description=b["description"], mcu=Mcu(**b["mcu"]),
        platformio=PlatformIO(**pio) if pio is not None else None,
        imu=Imu(part=imu["part"], bus=imu["bus"], bus_hz=imu.get("bus_hz"), i2c_port=imu.get("i2c_port"),
                i2c_address=imu.get("i2c_address"), mag_i2c_address=imu.get("mag_i2c_address"), pins=Pins(**pins)),
        sample_rate_hz=b["sample_rate_hz"], ranges=Ranges(**b["ranges"]), transport=Transport(**b["transport"]),
        tx_buffer_bytes=b.get("tx_buffer_bytes", DEFAULT_TX_BUFFER), ring_capacity=b["ring_capacity"],
        max_window=b["max_window"], max_channels=b["max_channels"], models=tuple(b["models"]),
        budgets=Budgets(**b["budgets"]), source=source)


def load_boards(path=None) -> dict[str, Board]:
    """All boards of `path` (default: the repository's boards.yaml), validated, by name."""
    p = DEFAULT_FILE if path is None else Path(path)
    where = p.name if path is None else str(p)
    data = validate_boards(_read_yaml(p, where), where)
    return {name: _board(name, b, str(p)) for name, b in data.items()}


def get_board(name: str, path=None) -> Board:
    """One board by name; ConfigError listing the known boards when there is none of that name."""
    boards = load_boards(path)
    if name not in boards:
        raise ConfigError(f"unknown board {name!r}; known: {', '.join(boards)}")
    return boards[name]
