"""`gaitnode build|flash|verify|manifest`: PlatformIO builds and uploads, and the check that a node runs them.

  build --board B [--model-dir NAME=DIR ...]                  pio run for the board's env; prints the manifest
  flash --board B [--port P] [--model-dir ...] [--no-build]   build, upload, wait for the node, verify
  verify (--port P | --twin [--model-dir D]) (--board B | --manifest F)
                                                              the node's INFO against the build's manifest
  manifest --board B --model-dir NAME=DIR [--gen-dir G] -o F  the manifest (PlatformIO's pre-build step runs it)

Model dirs default to $GAITNODE_MODELS (NAME=DIR,...). Building needs PlatformIO and, the first
time per board, a normal internet connection (registry and GitHub downloads); without them the
commands stop with a message saying so (gaitnode.host.firmware_build).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError

MODEL_DIR_HELP = ("NAME=DIR for each model the board carries, e.g. heel_strike=models/hs_shank (repeatable; "
                  "default: $GAITNODE_MODELS).")
COME_BACK_S = 10.0  # USB CDC boards re-enumerate after an upload; ESP32s reboot through the bridge
RETRY_S = 0.25


def _board(name: str, file: Path | None = None):
    from gaitnode.boards.config import get_board

    return get_board(name, file)


def _model_dirs(values: list[str] | None) -> dict[str, Path]:
    """--model-dir NAME=DIR values, else $GAITNODE_MODELS; each dir must exist."""
    from gaitnode.host.commands.boards import parse_model_dirs

    if not values:
        spec = os.environ.get("GAITNODE_MODELS", "").strip()
        values = [item.strip() for item in spec.replace(";", ",").split(",") if item.strip()]
        if not values:
            raise GaitnodeError("no model given: pass --model-dir heel_strike=MODEL_DIR (a folder after `gaitnode "
                                "quantize heel-strike`) or set GAITNODE_MODELS")
    dirs = parse_model_dirs(values)
    for name, d in dirs.items():
        if not d.is_dir():
            raise GaitnodeError(f"--model-dir {name}={d}: no such folder")
    return dirs


def _echo_line(line: str) -> None:
    typer.echo(f"  | {line}")


def _print_build(result) -> None:
    for line in result.manifest.summary():
        typer.echo(line)
    sizes = [f"{what} {use.used} B of {use.total} B ({use.percent:.1f} %)"
             for what, use in (("flash", result.flash), ("RAM", result.ram)) if use is not None]
    if sizes:
        typer.echo("image: " + ", ".join(sizes) + " (PlatformIO's size report)")
    typer.echo(f"manifest {result.manifest_path}")


def build(
    board: str = typer.Option(..., "--board", help="Board name (a key of boards.yaml)."),
    model_dir: list[str] | None = typer.Option(None, "--model-dir", help=MODEL_DIR_HELP),
    quiet: bool = typer.Option(False, "--quiet", help="Do not show PlatformIO's output (it is still used for "
                               "error messages)."),
) -> None:
    """Build the board's firmware with PlatformIO (first time per board: needs the internet)."""
    from gaitnode.host.build_manifest import check_model_dirs
    from gaitnode.host.firmware_build import build as pio_build
    from gaitnode.host.firmware_build import pio_env

    b = _board(board)
    env = pio_env(b)
    dirs = _model_dirs(model_dir)
    check_model_dirs(b, dirs)
    typer.echo(f"building {b.name} (PlatformIO env {env}) ...")
    result = pio_build(b, dirs, echo=None if quiet else _echo_line)
    _print_build(result)


def wait_for_node(port: str, board: str, timeout_s: float = COME_BACK_S):
    """open_node on `port`, retried while the board re-enumerates and boots (port missing or busy,
    no answer yet). A node that answers in another protocol version is not retried."""
    from gaitnode.host.node import open_node

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return open_node(port=port, board=board, hello_timeout=1.0)
        except GaitnodeError as e:
            if "protocol version" in str(e):
                raise  # a node answered: its firmware is not for this gaitnode
            if time.monotonic() >= deadline:
                raise GaitnodeError(f"after the upload, no gaitnode node came back on {port} within {timeout_s:g} s: "
                                    f"{e}") from None
        time.sleep(RETRY_S)


def _port_after_upload(port: str | None, board) -> str:
    """--port, else the one connected port whose USB ID is one of the board's."""
    if port is not None:
        return port
    from gaitnode.host.ports import list_ports

    likely = [p.device for p in list_ports() if p.match is not None and board.name in p.match.boards]
    if len(likely) == 1:
        return likely[0]
    found = ", ".join(likely) if likely else "none"
    raise GaitnodeError(f"uploaded, but cannot tell which port the {board.name} is on to verify it (candidates: "
                        f"{found}): pass --port, or run `gaitnode verify --port P --board {board.name}`")


def flash(
    board: str = typer.Option(..., "--board", help="Board name (a key of boards.yaml)."),
    port: str | None = typer.Option(None, "--port", help="Serial port to upload to and verify on (default: "
                                    "PlatformIO's choice, then the one port with the board's USB ID)."),
    model_dir: list[str] | None = typer.Option(None, "--model-dir", help=MODEL_DIR_HELP),
    no_build: bool = typer.Option(False, "--no-build", help="Upload the last build as it is (its manifest must "
                                  "exist)."),
    wait_s: float = typer.Option(COME_BACK_S, "--wait", help="Seconds to wait for the node to come back after "
                                 "the upload."),
    quiet: bool = typer.Option(False, "--quiet", help="Do not show PlatformIO's output."),
) -> None:
    """Build, upload, wait for the node to come back, and verify it runs this build (HELLO)."""
    from gaitnode.host.build_manifest import check_model_dirs, default_manifest_path, load_manifest, verify_node
    from gaitnode.host.firmware_build import build as pio_build
    from gaitnode.host.firmware_build import pio_env, upload

    if wait_s < 0:
        raise GaitnodeError(f"--wait: {wait_s:g} s is negative")
    b = _board(board)
    env = pio_env(b)
    echo = None if quiet else _echo_line
    if no_build:
        if model_dir:
            raise GaitnodeError("--no-build uploads the last build, whose models are fixed: leave out --model-dir")
        manifest = load_manifest(default_manifest_path(env))
        dirs = {name: Path(d) for name, d in manifest.model_dirs.items()}
        typer.echo(f"uploading the last build of {b.name}: firmware {manifest.firmware}")
    else:
        dirs = _model_dirs(model_dir)
        check_model_dirs(b, dirs)
        typer.echo(f"building {b.name} (PlatformIO env {env}) ...")
        result = pio_build(b, dirs, echo=echo)
        _print_build(result)
        manifest = result.manifest
    typer.echo(f"uploading to {port or 'the port PlatformIO finds'} ...")
    upload(b, dirs, port=port, echo=echo)
    where = _port_after_upload(port, b)
    typer.echo(f"waiting for the node on {where} ...")
    with wait_for_node(where, b.name, wait_s) as node:
        verify_node(node.info, manifest, where=f"the node on {where}")
    _print_verified(f"the node on {where}", node.info)


def _print_verified(who: str, info) -> None:
    models = ", ".join(f"{m.name} sha256 {bytes(m.sha256).hex()}" for m in info.models) or "no models"
    typer.echo(f"verified: {who} is board {info.board}, firmware {info.firmware}, protocol {info.protocol}, "
               f"{models}: it matches the build")


def _twin_model_dir(value: str | None) -> Path | None:
    """--model-dir for the twin: DIR or heel_strike=DIR."""
    if value is None:
        return None
    name, sep, path = value.partition("=")
    return Path(path) if sep and name == "heel_strike" else Path(value)


def verify(
    port: str | None = typer.Option(None, "--port", help="Serial port of the node."),
    twin: bool = typer.Option(False, "--twin", help="Start a twin on this machine instead of a board."),
    model_dir: str | None = typer.Option(None, "--model-dir", help="--twin: quantized heel-strike model dir."),
    board: str | None = typer.Option(None, "--board", help="Board whose last build to compare with "
                                     "(firmware/.pio/build/<env>/gaitnode_gen/gaitnode_build.json)."),
    manifest_file: Path | None = typer.Option(None, "--manifest", help="A build manifest (gaitnode_build.json) "
                                              "to compare with instead."),
) -> None:
    """Check that the node runs the build: protocol, board, firmware id and every model's sha256."""
    from gaitnode.boards.config import load_boards
    from gaitnode.host.build_manifest import default_manifest_path, load_manifest, verify_node
    from gaitnode.host.node import open_node

    if board is None and manifest_file is None:
        raise GaitnodeError("nothing to compare with: pass --board BOARD (its last build) or --manifest FILE")
    if manifest_file is not None:
        manifest = load_manifest(manifest_file)
    else:
        b = _board(board)
        if b.platformio is None:
            raise GaitnodeError(f"board {b.name} has no PlatformIO build to compare with: pass --manifest FILE "
                                f"(`gaitnode manifest --board {b.name} --model-dir heel_strike=DIR -o FILE` writes "
                                "the twin's)")
        manifest = load_manifest(default_manifest_path(b.platformio.env))
    node_board = board or (manifest.board if manifest.board in load_boards() else None)
    if twin and node_board is not None and load_boards()[node_board].platformio is not None:
        node_board = None  # a board build: the twin still runs as the twin
    with open_node(port, twin=twin, model_dir=_twin_model_dir(model_dir) if twin else model_dir,
                   board=node_board) as node:
        who = "the twin" if twin else f"the node on {port}"
        verify_node(node.info, manifest, where=who)
        _print_verified(who, node.info)


def manifest(
    board: str = typer.Option(..., "--board", help="Board name (a key of boards.yaml)."),
    model_dir: list[str] | None = typer.Option(None, "--model-dir", help="NAME=DIR of each model (repeatable)."),
    gen_dir: Path | None = typer.Option(None, "--gen-dir", help="The build's generated-sources folder (board "
                                        "header, model C files); needed for a PlatformIO board."),
    out: Path = typer.Option(..., "-o", "--out", help="Where to write the manifest (JSON)."),
    file: Path | None = typer.Option(None, "--file", help="boards.yaml to read (default: the repository's)."),
    firmware_dir: Path | None = typer.Option(None, "--firmware-dir", help="The PlatformIO project whose sources "
                                             "the id covers (default: the repository's firmware/)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write the build manifest: firmware id, protocol, model hashes (the pre-build step runs this)."""
    from gaitnode.errors import refuse_existing
    from gaitnode.host.build_manifest import FIRMWARE_DIR, make_manifest, write_manifest
    from gaitnode.host.commands.boards import parse_model_dirs

    b = _board(board, file)
    refuse_existing([out], overwrite=force)
    m = make_manifest(b, parse_model_dirs(model_dir), gen_dir, firmware_dir=firmware_dir or FIRMWARE_DIR)
    write_manifest(m, out)
    typer.echo(f"{b.name}: firmware {m.firmware}, " +
               (", ".join(f"{n} sha256 {s[:12]}" for n, s in sorted(m.models.items())) or "no models"))
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add build, flash, verify and manifest to app."""
    app.command("build")(build)
    app.command("flash")(flash)
    app.command("verify")(verify)
    app.command("manifest")(manifest)
