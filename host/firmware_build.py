"""PlatformIO, wrapped: build a board's firmware and upload it, with failures turned into one clear message.

    result = build(get_board("esp32s3"), {"heel_strike": Path("models/hs_shank")})
    result.manifest.firmware, result.flash, result.ram          # what was built, its size
    upload(get_board("esp32s3"), port="/dev/ttyUSB0")

`pio run -d firmware -e ENV` runs with GAITNODE_MODELS set (the pre-build step, scripts/pio_pre.py,
reads it) and GAITNODE_CLI pointing at this gaitnode, so the step uses the same installation. Its
output is passed through line by line (a first build takes minutes) and kept to explain a failure:

- PlatformIO missing: how to install it;
- PlatformIO's registry or GitHub out of reach (the first build of an env downloads the platform,
  toolchain and libraries): that a normal internet connection is needed, and what PlatformIO said;
- the pre-build step refusing (budget exceeded, no model sources): its message;
- an upload port that is missing, busy or not permitted: which, and what to do;
- anything else: the exit code and PlatformIO's last lines.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gaitnode.boards.config import Board
from gaitnode.errors import GaitnodeError
from gaitnode.host.build_manifest import FIRMWARE_DIR, BuildManifest, default_manifest_path, load_manifest

PIO_NAMES = ("pio", "platformio")
# Where PlatformIO's own installer (get-platformio.py, the IDE extensions) puts it.
PIO_HOME_BIN = Path.home() / ".platformio" / "penv" / "bin"
TAIL_LINES = 15

# PlatformIO's messages when it cannot reach its registry or a git host (HTTP client, requests,
# urllib3, git), plus the resolver's error texts of Linux, macOS and Windows.
NETWORK_PATTERNS = (
    "You are not connected to the Internet", "InternetIsOffline", "InternetConnectionError", "HTTPClientError",
    "Max retries exceeded", "Failed to establish a new connection", "Temporary failure in name resolution",
    "Name or service not known", "nodename nor servname provided", "getaddrinfo failed", "Could not resolve host",
    "Network is unreachable", "ConnectTimeout", "ReadTimeout", "Connection timed out", "Connection reset by peer",
    "api.registry.platformio.org", "dl.registry.platformio.org", "unable to access 'https://",
)
PREBUILD_PREFIX = "gaitnode pre-build (env "
SIZE_LINE = re.compile(r"^(RAM|Flash):\s*\[[^\]]*\]\s*([\d.]+)%\s*\(used (\d+) bytes from (\d+) bytes\)")


class PlatformIOError(GaitnodeError):
    """PlatformIO is missing, cannot reach its registry, or a build or upload failed."""


@dataclass(frozen=True)
class MemoryUse:
    """One of PlatformIO's size lines (RAM or Flash): bytes used of the bytes the board has."""

    used: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.total if self.total else 0.0


@dataclass
class BuildResult:
    """manifest: what was built. flash / ram: PlatformIO's size report (None when it printed none).
    output: PlatformIO's output lines."""

    manifest: BuildManifest
    manifest_path: Path
    flash: MemoryUse | None = None
    ram: MemoryUse | None = None
    output: list[str] = field(default_factory=list)


def find_pio() -> list[str]:
    """The command that runs PlatformIO: `pio` or `platformio` on PATH, PlatformIO's own install
    (~/.platformio/penv/bin), or `python -m platformio` where it is installed as a package."""
    for name in PIO_NAMES:
        found = shutil.which(name)
        if found:
            return [found]
    for name in PIO_NAMES:
        candidate = PIO_HOME_BIN / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return [str(candidate)]
    if importlib.util.find_spec("platformio") is not None:
        return [sys.executable, "-m", "platformio"]
    raise PlatformIOError("PlatformIO is not installed (no `pio` or `platformio` on PATH): install it with "
                          "`pip install platformio` (https://platformio.org/install/cli). Its first build of a "
                          "board also needs a normal internet connection: it downloads the platform, toolchain and "
                          "libraries from the PlatformIO registry and GitHub.")


def _gaitnode_cli() -> str | None:
    """This installation's gaitnode executable, for the pre-build step (None: let it search PATH)."""
    exe = Path(sys.executable).parent / "gaitnode"
    return str(exe) if exe.is_file() else None


def models_env(model_dirs: dict) -> str:
    """GAITNODE_MODELS for the pre-build step: NAME=ABSOLUTE_DIR,... (it resolves relative dirs from
    the repository root, not from where gaitnode was started)."""
    return ",".join(f"{name}={Path(d).resolve()}" for name, d in model_dirs.items())


def run_pio(args: list[str], *, extra_env: dict | None = None, echo=None) -> tuple[int, list[str], list[str]]:
    """Run PlatformIO with `args`; returns (exit code, output lines, the command). Each line is passed
    to echo (None: not shown) as it arrives."""
    cmd = find_pio() + list(args)
    env = dict(os.environ)
    env.update(extra_env or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                env=env, bufsize=1)
    except OSError as e:
        raise PlatformIOError(f"cannot run PlatformIO ({' '.join(cmd)}): {e}") from None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            line = line.rstrip("\r\n")
            lines.append(line)
            if echo is not None:
                echo(line)
        rc = proc.wait()
    except BaseException:  # Ctrl-C: stop PlatformIO too, then let the interrupt through
        proc.terminate()
        proc.wait()
        raise
    return rc, lines, cmd


def _network_line(lines: list[str]) -> str | None:
    for line in lines:
        if any(p in line for p in NETWORK_PATTERNS):
            return line.strip()
    return None


def explain_failure(rc: int, lines: list[str], cmd: list[str], *, env: str, port: str | None = None) -> PlatformIOError:
    """One clear error for a failed PlatformIO run (see the module docstring for the cases)."""
    for line in lines:
        if line.startswith(PREBUILD_PREFIX):
            message = line.split("): ", 1)[1] if "): " in line else line
            message = message.removeprefix("gaitnode: error: ")
            return PlatformIOError(f"the pre-build step stopped the build of env {env}: {message}")
    network = _network_line(lines)
    if network is not None:
        return PlatformIOError(
            f"PlatformIO could not reach the PlatformIO registry or GitHub (it said: {network}). Building env "
            f"{env} needs a normal internet connection the first time: PlatformIO downloads the board's platform, "
            "toolchain and the pinned libraries (TensorFlow Lite Micro, the IMU driver). Connect and run again; "
            "later builds work offline from ~/.platformio and firmware/.pio/libdeps.")
    text = "\n".join(lines)
    where = port or "the upload port"
    opening = next((line.strip() for line in lines if re.search(r"could not open", line, re.IGNORECASE)), None)
    if opening is not None:  # pyserial's text, through esptool, bossac wrappers, adafruit-nrfutil
        if re.search(r"Device or resource busy|Resource temporarily unavailable|Access is denied", text):
            return PlatformIOError(f"upload failed: {where} is busy; close the monitor, recorder or IDE serial "
                                   "monitor that has it open, then flash again")
        if "Permission denied" in text:
            return PlatformIOError(f"upload failed: no permission to open {where} (on Linux add yourself to the "
                                   "dialout group, then log in again)")
        if re.search(r"No such file or directory|FileNotFoundError|cannot find the file", text):
            return PlatformIOError(f"upload failed: {where} does not exist; is the board plugged in? (`gaitnode "
                                   "ports` lists ports)")
        return PlatformIOError(f"upload failed: {opening}")
    if re.search(r"No device found on", text):
        return PlatformIOError(f"upload failed: no bootloader answered on {where} (Nano 33 BLE: double-tap its reset "
                               "button to enter the bootloader, then flash again)")
    if re.search(r"Please specify `upload_port`|No serial port found|Could not find .*upload port", text,
                 re.IGNORECASE):
        return PlatformIOError("upload failed: PlatformIO found no board to upload to; plug it in and pass --port "
                               "(`gaitnode ports` lists ports)")
    tail = "\n".join(f"  {line}" for line in lines[-TAIL_LINES:]) or "  (no output)"
    return PlatformIOError(f"`{' '.join(cmd)}` failed (exit {rc}); its last lines:\n{tail}")


def parse_sizes(lines: list[str]) -> tuple[MemoryUse | None, MemoryUse | None]:
    """(flash, RAM) from PlatformIO's size report lines, e.g.
    `Flash: [==        ]  22.3% (used 292533 bytes from 1310720 bytes)`."""
    found: dict[str, MemoryUse] = {}
    for line in lines:
        m = SIZE_LINE.match(line.strip())
        if m:
            found[m.group(1)] = MemoryUse(int(m.group(3)), int(m.group(4)))
    return found.get("Flash"), found.get("RAM")


def pio_env(board: Board) -> str:
    """The board's PlatformIO env; a clear error for the twin boards, which have none."""
    if board.platformio is None:
        raise GaitnodeError(f"board {board.name} has no PlatformIO build: it is the host-built twin (`gaitnode twin "
                            f"--board {board.name}`, or `--twin` on the host commands)")
    return board.platformio.env


def _env_vars(model_dirs: dict) -> dict:
    out = {"GAITNODE_MODELS": models_env(model_dirs)}
    cli = _gaitnode_cli()
    if cli:
        out["GAITNODE_CLI"] = cli
    return out


def build(board: Board, model_dirs: dict, *, project_dir=FIRMWARE_DIR, echo=None) -> BuildResult:
    """`pio run -d PROJECT -e ENV` for the board with the models (name -> dir); the manifest the
    pre-build step wrote, and the sizes PlatformIO printed."""
    env = pio_env(board)
    manifest_path = default_manifest_path(env, project_dir)
    started = time.time()
    rc, lines, cmd = run_pio(["run", "-d", str(project_dir), "-e", env], extra_env=_env_vars(model_dirs), echo=echo)
    if rc != 0:
        raise explain_failure(rc, lines, cmd, env=env)
    try:
        fresh = manifest_path.stat().st_mtime >= started - 1.0
    except FileNotFoundError:
        fresh = False
    if not fresh:
        raise PlatformIOError(f"the build of env {env} finished but its pre-build step wrote no manifest at "
                              f"{manifest_path}: is `extra_scripts = pre:scripts/pio_pre.py` still in "
                              "firmware/platformio.ini?")
    manifest = load_manifest(manifest_path)
    if manifest.board != board.name or manifest.env != env:
        raise PlatformIOError(f"{manifest_path} describes board {manifest.board!r} (env {manifest.env!r}), "
                              f"not {board.name!r}")
    flash, ram = parse_sizes(lines)
    return BuildResult(manifest=manifest, manifest_path=manifest_path, flash=flash, ram=ram, output=lines)


def upload(board: Board, model_dirs: dict, *, port: str | None = None, project_dir=FIRMWARE_DIR,
           echo=None) -> list[str]:
    """Upload the last build (`pio run -t nobuild -t upload [--upload-port P]`). The pre-build step
    still runs, so it gets the build's model dirs. Returns PlatformIO's output lines."""
    env = pio_env(board)
    args = ["run", "-d", str(project_dir), "-e", env, "-t", "nobuild", "-t", "upload"]
    if port is not None:
        args += ["--upload-port", port]
    rc, lines, cmd = run_pio(args, extra_env=_env_vars(model_dirs), echo=echo)
    if rc != 0:
        raise explain_failure(rc, lines, cmd, env=env, port=port)
    return lines
