"""Build (CMake) and load the twin's shared library: the core + firmware/host, with the board
header generated from boards.yaml for the chosen board."""

from __future__ import annotations

import ctypes
from pathlib import Path

from gaitnode.errors import GaitnodeError
from gaitnode.twin import abi

REPO = Path(__file__).resolve().parents[2]
LIB_NAME = "libgaitnode_twin.so"

_loaded: dict[str, ctypes.CDLL] = {}


def load_twin_library(board: str = "twin") -> ctypes.CDLL:
    """Build the twin library for `board` (cached by CMake) and load it with its prototypes declared."""
    from gaitnode.boards.config import get_board
    from gaitnode.boards.header import write_board_header
    from gaitnode.ccore.cmake import build_firmware

    if board in _loaded:
        return _loaded[board]
    header_dir = REPO / "build" / "firmware" / "boards"
    write_board_header(get_board(board), header_dir, overwrite=True)  # a build product: always current
    build_dir = build_firmware("host", board=board, board_header_dir=header_dir, sanitize=False,
                               targets=["gaitnode_twin"])
    lib_path = Path(build_dir) / LIB_NAME
    if not lib_path.is_file():
        raise GaitnodeError(f"the twin build did not produce {lib_path}")
    try:
        lib = ctypes.CDLL(str(lib_path))
    except OSError as e:
        raise GaitnodeError(f"cannot load the twin library {lib_path}: {e}") from None
    _loaded[board] = abi.declare(lib)
    return _loaded[board]
