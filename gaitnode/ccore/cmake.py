"""Build the firmware core with CMake (firmware/CMakeLists.txt) and run its C unit tests (CTest).

Two kinds of build: 'host' (system compiler; unit tests under AddressSanitizer + UBSan, the twin's
shared library) and 'arm' (arm-none-eabi-gcc for Cortex-M4F; unit tests on QEMU mps2-an386).
Builds are cached in `<repo>/build/firmware/<kind>[-<board>]`; an fcntl lock on the build folder
keeps parallel test workers from building the same folder at once (the second one waits, then
finds everything up to date). See docs/firmware-core.md.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from gaitnode.errors import GaitnodeError

REPO = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO / "firmware"
TOOLCHAIN_FILE = Path("cmake") / "arm-none-eabi.cmake"  # relative to the source folder
BUILD_ROOT = REPO / "build" / "firmware"
APT_PACKAGES = REPO / "scripts" / "apt-packages.txt"
KINDS = ("host", "arm")
JOBS = 2  # the CI machine has two cores
NEWLIB_LIBC = Path("/usr/lib/arm-none-eabi/newlib/libc.a")
LOCK_NAME = ".gaitnode-build.lock"
STAMP_NAME = ".gaitnode-configure.json"
_BOARD_RE = re.compile(r"^[A-Za-z0-9_]+$")
# Build-log lines that say nothing when a build fails (progress, scanning, re-checking globs).
_NOISE_RE = re.compile(r"^(\[\s*\d+(/\d+|%)\]|-- |Scanning dependencies|Consolidate compiler)")


def apt_package(tool: str) -> str:
    """The Debian package scripts/apt-packages.txt names for a command or file (else the tool itself)."""
    try:
        lines = APT_PACKAGES.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and parts[1] == tool:
            return parts[0]
    return tool


def install_hint(*tools: str) -> str:
    """The apt command that installs the packages providing `tools`."""
    packages = dict.fromkeys(apt_package(t) for t in tools)
    return "sudo apt-get install --no-install-recommends " + " ".join(packages)


def require_tool(tool: str, purpose: str, *companions: str) -> str:
    """Path of `tool` on PATH; GaitnodeError with the apt command (tool + companions) when missing."""
    path = shutil.which(tool)
    if path is None:
        raise GaitnodeError(f"{tool} not found on PATH; it is needed to {purpose}. Install it with: "
                            f"{install_hint(tool, *companions)}")
    return path


def default_build_dir(kind: str, board: str | None = None, sanitize: bool = True) -> Path:
    """`build/firmware/<kind>[-<board>]` (host builds without sanitizers add `-nosan`)."""
    name = kind + (f"-{board}" if board else "")
    if kind == "host" and not sanitize:
        name += "-nosan"
    return BUILD_ROOT / name


@contextmanager
def _locked(build_dir: Path, exclusive: bool) -> Iterator[None]:
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        fd = open(build_dir / LOCK_NAME, "a+")
    except OSError as e:
        raise GaitnodeError(f"cannot create the firmware build folder {build_dir}: {e.strerror}") from None
    with fd:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _cache_value(build_dir: Path, name: str) -> str | None:
    try:
        text = (build_dir / "CMakeCache.txt").read_text(errors="replace")
    except OSError:
        return None
    m = re.search(rf"^{re.escape(name)}:[A-Z]+=(.*)$", text, re.MULTILINE)
    return m.group(1) if m else None


def _log(run: subprocess.CompletedProcess, max_lines: int = 80) -> str:
    """The useful part of a failed cmake run: compiler/cmake messages without progress lines."""
    lines = [ln for ln in (run.stdout + run.stderr).splitlines() if ln.strip() and not _NOISE_RE.match(ln)]
    if len(lines) > max_lines:
        lines = [f"... ({len(lines) - max_lines} earlier lines)"] + lines[-max_lines:]
    return "\n".join(lines)


def _check_board(board: str | None, board_header_dir: Path | None) -> Path | None:
    if board is None:
        if board_header_dir is not None:
            raise GaitnodeError("board_header_dir given without a board")
        return None
    if not _BOARD_RE.match(board):
        raise GaitnodeError(f"board {board!r} is not a board key (letters, digits, _)")
    if board_header_dir is None:
        raise GaitnodeError(f"board {board!r} needs board_header_dir, the folder holding gn_board_{board}.h "
                            f"(write it with `gaitnode boards header --board {board} -o DIR`)")
    header_dir = Path(board_header_dir).resolve()
    if not (header_dir / f"gn_board_{board}.h").is_file():
        raise GaitnodeError(f"{header_dir / f'gn_board_{board}.h'} does not exist; write it with "
                            f"`gaitnode boards header --board {board} -o {header_dir}`")
    return header_dir


def build_firmware(kind: str, build_dir: Path | None = None, board: str | None = None,
                   board_header_dir: Path | None = None, sanitize: bool = True,
                   targets: list[str] | None = None, *, source_dir: Path | None = None) -> Path:
    """Configure (when needed) and build the firmware core; returns the build folder.

    kind: 'host' or 'arm'. build_dir: default `default_build_dir(kind, board, sanitize)`.
    board + board_header_dir: compile everything with -DGN_BOARD_HEADER="gn_board_<board>.h" from
    that folder. sanitize: host unit tests and core under ASan + UBSan (ignored for 'arm').
    targets: CMake targets to build (default: all). source_dir: the CMake project (default firmware/).
    Raises GaitnodeError naming a missing tool (with its apt command) or showing the compiler errors.
    """
    if kind not in KINDS:
        raise GaitnodeError(f"unknown firmware build kind {kind!r}; expected one of {', '.join(KINDS)}")
    header_dir = _check_board(board, board_header_dir)
    source = Path(source_dir or FIRMWARE_DIR).resolve()
    if not (source / "CMakeLists.txt").is_file():
        raise GaitnodeError(f"{source / 'CMakeLists.txt'} is missing; the firmware build needs the gaitnode source tree")
    cmake = require_tool("cmake", "build the firmware core")
    if kind == "arm":
        require_tool("arm-none-eabi-gcc", "cross-compile the firmware core for Cortex-M4", str(NEWLIB_LIBC))
        if not NEWLIB_LIBC.is_file():
            raise GaitnodeError(f"newlib for arm-none-eabi ({NEWLIB_LIBC}) is missing; install it with: "
                                f"{install_hint(str(NEWLIB_LIBC))}")
    out = Path(build_dir) if build_dir is not None else default_build_dir(kind, board, sanitize)
    out = out.resolve()

    args = [f"-DGN_BOARD={board or ''}", f"-DGN_BOARD_HEADER_DIR={header_dir or ''}",
            f"-DGN_SANITIZE={'ON' if sanitize else 'OFF'}"]
    if kind == "arm":
        args.append(f"-DCMAKE_TOOLCHAIN_FILE={source / TOOLCHAIN_FILE}")
    with _locked(out, exclusive=True):
        cached_kind = _cache_value(out, "GN_TARGET_KIND")
        if cached_kind is not None and cached_kind != kind:
            raise GaitnodeError(f"{out} holds a {cached_kind} build, not {kind}; use another build folder")
        cached_source = _cache_value(out, "CMAKE_HOME_DIRECTORY")
        if cached_source is not None and Path(cached_source).resolve() != source:
            raise GaitnodeError(f"{out} holds a build of {cached_source}, not {source}; use another build folder")
        stamp = out / STAMP_NAME
        wanted = json.dumps({"source": str(source), "args": args})
        configured = cached_kind is not None and stamp.is_file() and stamp.read_text() == wanted
        if not configured:
            cmd = [cmake, "-S", str(source), "-B", str(out), *args]
            if not (out / "CMakeCache.txt").is_file() and shutil.which("ninja"):
                cmd += ["-G", "Ninja"]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                stamp.unlink(missing_ok=True)
                raise GaitnodeError(f"configuring the firmware core ({kind}) with cmake failed:\n{_log(run)}")
            stamp.write_text(wanted)
        cmd = [cmake, "--build", str(out), "--parallel", str(JOBS)]
        if targets:
            cmd += ["--target", *targets]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise GaitnodeError(f"building the firmware core ({kind}) failed:\n{_log(run)}")
    return out


def _ctest(build_dir: Path) -> str:
    ctest = require_tool("ctest", "run the firmware unit tests", "cmake")
    if _cache_value(build_dir, "GN_TARGET_KIND") is None:
        raise GaitnodeError(f"{build_dir} is not a configured firmware build; call build_firmware first")
    if _cache_value(build_dir, "GN_TARGET_KIND") == "arm":
        require_tool("qemu-system-arm", "run the Cortex-M4 unit tests (QEMU mps2-an386)")
    return ctest


def run_ctest(build_dir: Path, args: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run the build's unit tests (ctest --output-on-failure, fails when no test is registered).

    Returns the finished process (returncode 0 = all passed; stdout has each failing test's output).
    """
    build_dir = Path(build_dir).resolve()
    ctest = _ctest(build_dir)
    cmd = [ctest, "--test-dir", str(build_dir), "--output-on-failure", "--no-tests=error",
           "-j", str(JOBS), *args]
    with _locked(build_dir, exclusive=False):
        return subprocess.run(cmd, capture_output=True, text=True)


def ctest_names(build_dir: Path) -> list[str]:
    """Names of the tests CTest has registered in the build (`ctest -N`)."""
    build_dir = Path(build_dir).resolve()
    ctest = _ctest(build_dir)
    run = subprocess.run([ctest, "--test-dir", str(build_dir), "-N"], capture_output=True, text=True)
    if run.returncode != 0:
        raise GaitnodeError(f"listing the tests of {build_dir} failed:\n{_log(run)}")
    return re.findall(r"^\s*Test\s+#\d+:\s+(\S+)\s*$", run.stdout, re.MULTILINE)


def c_test_sources(source_dir: Path | None = None) -> list[Path]:
    """The C unit tests: firmware/test/test_*.c, sorted."""
    return sorted((Path(source_dir or FIRMWARE_DIR) / "test").glob("test_*.c"))
