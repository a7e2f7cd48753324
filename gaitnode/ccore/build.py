"""Compile the firmware C core (firmware/lib/gaitnode_core/src) into a shared library and load it.

The same C files the nodes run are compiled with the system C compiler (`$CC`, else cc / gcc /
clang) and loaded with ctypes. The library is cached in `<repo>/build/ccore/<hash>/`, where the
hash covers the sources, headers, compiler and flags; `GAITNODE_CCORE_DIR` replaces
`<repo>/build/ccore`. The library is written to a temporary file and moved into place with
os.replace, so parallel test workers can build at the same time safely.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gaitnode.errors import GaitnodeError

REPO = Path(__file__).resolve().parents[2]
SRC_DIR = REPO / "firmware" / "lib" / "gaitnode_core" / "src"
# The units this package wraps (other core files may need the firmware toolchain).
SOURCES = ("gn_gyro_hs.c", "gn_hs_picker.c", "gn_hs_stitch.c", "gn_input.c", "gn_acsm.c", "gn_cadence.c",
           "gn_vo2.c")
HEADERS = ("gn_hs_event.h", "gn_gyro_hs.h", "gn_hs_picker.h", "gn_hs_stitch.h", "gn_input.h", "gn_config.h",
           "gn_sample.h", "gn_acsm.h", "gn_cadence.h", "gn_vo2.h", "gn_msg.h")
# Flags the library is built with on the host; the firmware uses the same language level.
CFLAGS = ("-std=c11", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra")
# What the code must compile cleanly under (checked by the tests, see strict_compile).
STRICT_FLAGS = ("-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wdouble-promotion",
                "-Wshadow", "-Werror")
LIB_NAME = "libgaitnode_core.so"

_loaded: dict[str, ctypes.CDLL] = {}


def find_compiler() -> str:
    """Path of the C compiler: $CC, else the first of cc, gcc, clang on PATH."""
    cc = os.environ.get("CC")
    candidates = [cc] if cc else ["cc", "gcc", "clang"]
    for name in candidates:
        path = shutil.which(name)
        if path:
            return path
    raise GaitnodeError(f"no C compiler found (tried {', '.join(candidates)}): install gcc or set CC "
                        "to build the firmware C core")


def source_paths() -> list[Path]:
    """The core's .c and .h files; GaitnodeError naming the first missing one."""
    paths = [SRC_DIR / name for name in (*SOURCES, *HEADERS)]
    for p in paths:
        if not p.is_file():
            raise GaitnodeError(f"firmware C core source {p} is missing; the C core needs the gaitnode "
                                "source tree (firmware/lib/gaitnode_core/src)")
    return paths


def cache_root() -> Path:
    """Where built libraries are cached: $GAITNODE_CCORE_DIR, else <repo>/build/ccore."""
    env = os.environ.get("GAITNODE_CCORE_DIR")
    return Path(env) if env else REPO / "build" / "ccore"


def _digest(compiler: str, paths: list[Path]) -> str:
    h = hashlib.sha256()
    h.update(compiler.encode())
    h.update("\0".join(CFLAGS).encode())
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build_library() -> Path:
    """Compile the core into the cache (if not there yet) and return the library's path."""
    compiler = find_compiler()
    paths = source_paths()
    out_dir = cache_root() / _digest(compiler, paths)
    lib = out_dir / LIB_NAME
    if lib.is_file():
        return lib
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GaitnodeError(f"cannot create the C core build folder {out_dir}: {e.strerror}; "
                            "set GAITNODE_CCORE_DIR to a writable folder") from None
    fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=".so", dir=out_dir)
    os.close(fd)
    try:
        cmd = [compiler, *CFLAGS, "-I", str(SRC_DIR), "-o", tmp, *(str(SRC_DIR / s) for s in SOURCES), "-lm"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise GaitnodeError(f"compiling the firmware C core with {compiler} failed:\n{run.stderr.strip()}")
        os.replace(tmp, lib)  # atomic: a racing worker either sees no library or a complete one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return lib


def load_library() -> ctypes.CDLL:
    """Build (if needed) and load the core; one CDLL per library path and process."""
    lib = build_library()
    key = str(lib)
    if key not in _loaded:
        try:
            _loaded[key] = ctypes.CDLL(key)
        except OSError as e:
            raise GaitnodeError(f"cannot load the firmware C core {lib}: {e}") from None
    return _loaded[key]


def strict_compile(source: Path, out_dir: Path, extra_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Compile one core source to an object file in out_dir with STRICT_FLAGS (+ extra_flags).

    Returns the finished process (returncode, stderr) for the caller to inspect.
    """
    compiler = find_compiler()
    obj = Path(out_dir) / (Path(source).stem + ".o")
    cmd = [compiler, *STRICT_FLAGS, *extra_flags, "-I", str(SRC_DIR), "-c", str(source), "-o", str(obj)]
    return subprocess.run(cmd, capture_output=True, text=True)
