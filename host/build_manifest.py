"""What a firmware build contains, and the check that a node runs exactly that.

A board build's manifest (gaitnode_build.json, next to the generated sources in
firmware/.pio/build/<env>/gaitnode_gen/) records:

    board, env         the boards.yaml entry and its PlatformIO environment
    firmware           the id the node reports in INFO: "<gaitnode version>+<8 hex>", the hex being
                       the start of `source_sha256`
    source_sha256      sha256 over every source that goes into the image (sorted names + bytes):
                       firmware/platformio.ini, firmware/src/*, firmware/lib/gaitnode_core/src/*,
                       the generated board header and each model's generated C files
    protocol           the wire protocol version the firmware speaks (gaitnode.protocol.framing)
    models             model name -> sha256 hex of its int8 flatbuffer, read from the
                       <name>_model_config.h the firmware compiles (GN_<NAME>_MODEL_SHA256, which
                       src/models.cpp puts into INFO), cross-checked with the model dir's quantize.json
    model_dirs         model name -> the model dir it came from (`flash --no-build` builds again from them)
    created_by         the gaitnode version that wrote it

The PlatformIO pre-build step (firmware/scripts/pio_pre.py) writes it with `gaitnode manifest`, so a
build run by `gaitnode build` and one run by `pio run` by hand identify themselves the same way.
The twin has no build: its manifest (make_manifest for a board without a PlatformIO env) names the
twin's fixed firmware id and the models of the dirs given.

verify_node(info, manifest) compares a node's INFO with a manifest and refuses, naming both values,
when the protocol, board, firmware id or any model differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gaitnode import __version__
from gaitnode.boards.config import REPO, Board
from gaitnode.errors import GaitnodeError

FIRMWARE_DIR = REPO / "firmware"
MANIFEST_NAME = "gaitnode_build.json"
GEN_FOLDER = "gaitnode_gen"  # the pre-build step's folder inside the env's build dir
FORMAT = "gaitnode-build"
FORMAT_VERSION = 1
ID_HEX = 8  # hex digits of the source hash in the firmware id
MODEL_FILES = ("{name}_model_data.h", "{name}_model_data.cc", "{name}_model_config.h")
# Folders whose files all go into a board image (relative to firmware/), and single files.
SOURCE_FOLDERS = ("src", "lib/gaitnode_core/src")
SOURCE_FILES = ("platformio.ini",)  # flags and pinned libraries decide the image too
INFO_TEXT_MAX = 15  # INFO's firmware field: 16 bytes, NUL-terminated


class FirmwareMismatch(GaitnodeError):
    """The node does not run the firmware (or the models) the manifest describes."""


@dataclass(frozen=True)
class BuildManifest:
    """One build's identity (see the module docstring for the fields)."""

    board: str
    env: str | None  # None: the twin (no PlatformIO build)
    firmware: str
    protocol: int
    models: dict[str, str] = field(default_factory=dict)
    model_dirs: dict[str, str] = field(default_factory=dict)
    source_sha256: str | None = None
    sources: int = 0  # number of files hashed
    created_by: str = f"gaitnode {__version__}"

    def as_dict(self) -> dict:
        return {"format": FORMAT, "version": FORMAT_VERSION, "board": self.board, "env": self.env,
                "firmware": self.firmware, "protocol": self.protocol, "models": dict(sorted(self.models.items())),
                "model_dirs": dict(sorted(self.model_dirs.items())), "source_sha256": self.source_sha256,
                "sources": self.sources, "created_by": self.created_by}

    def summary(self) -> list[str]:
        """Lines for the CLI: firmware id, protocol, each model's hash."""
        lines = [f"board {self.board}" + (f" (env {self.env})" if self.env else "") +
                 f": firmware {self.firmware}, protocol {self.protocol}"]
        lines += [f"model {name} sha256 {sha}" for name, sha in sorted(self.models.items())]
        if not self.models:
            lines.append("no models (the classical detector only)")
        return lines


# -- the firmware id --

def _source_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise GaitnodeError(f"{folder} is missing; the firmware id needs the gaitnode source tree")
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts))


def firmware_sources(board: Board, model_names, gen_dir, *, firmware_dir=FIRMWARE_DIR) -> list[tuple[str, Path]]:
    """(name in the hash, path) of every source of the board's image, sorted by name. Names are
    relative (firmware/..., gaitnode_gen/...) so the id does not depend on where the tree is."""
    firmware_dir, gen_dir = Path(firmware_dir), Path(gen_dir)
    out = []
    for folder in SOURCE_FOLDERS:
        out += [(f"firmware/{p.relative_to(firmware_dir).as_posix()}", p) for p in _source_files(firmware_dir / folder)]
    for name in SOURCE_FILES:
        out.append((f"firmware/{name}", firmware_dir / name))
    generated = [f"gn_board_{board.name}.h"] + [pattern.format(name=m) for m in model_names for pattern in MODEL_FILES]
    for name in generated:
        path = gen_dir / name
        if not path.is_file():
            raise GaitnodeError(f"{path} is missing: the pre-build step writes it (build with `gaitnode build "
                                f"--board {board.name}` or `pio run -e {board.name}`)")
        out.append((f"{GEN_FOLDER}/{name}", path))
    return sorted(out)


def source_digest(files: list[tuple[str, Path]]) -> str:
    """sha256 hex over the files: each name, its length and its bytes, in the given order."""
    h = hashlib.sha256()
    for name, path in files:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise GaitnodeError(f"cannot read {path} for the firmware id: {e}") from None
        h.update(name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def firmware_id(digest: str) -> str:
    """INFO's firmware text for a build: "<gaitnode version>+<first 8 hex of the source digest>"."""
    fid = f"{__version__}+{digest[:ID_HEX]}"
    if len(fid) > INFO_TEXT_MAX:
        raise GaitnodeError(f"firmware id {fid!r} is longer than INFO's {INFO_TEXT_MAX} characters")
    return fid


# -- models --

def model_sha256(name: str, config_header, model_dir=None) -> str:
    """sha256 hex of model `name` as the firmware compiles it (GN_<NAME>_MODEL_SHA256 of its config
    header), checked against model_dir/quantize.json when there is one (stale C sources)."""
    config_header = Path(config_header)
    try:
        text = config_header.read_text(encoding="ascii")
    except FileNotFoundError:
        raise GaitnodeError(f"{config_header}: no such file; run `gaitnode quantize heel-strike` on the model "
                            "dir first") from None
    except (OSError, UnicodeDecodeError) as e:
        raise GaitnodeError(f"{config_header}: cannot be read ({e})") from None
    macro = f"GN_{name.upper()}_MODEL_SHA256"
    found = re.search(rf'^#define {macro} "([0-9a-f]{{64}})"\s*$', text, re.MULTILINE)
    if found is None:
        raise GaitnodeError(f"{config_header}: no {macro}; regenerate it with `gaitnode quantize heel-strike`")
    sha = found.group(1)
    if model_dir is not None:
        report = Path(model_dir) / "quantize.json"
        if report.is_file():
            try:
                q = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                raise GaitnodeError(f"{report}: not readable JSON ({e})") from None
            listed = q.get("model_sha256") if isinstance(q, dict) else None
            if listed is not None and listed != sha:
                raise GaitnodeError(f"{model_dir}: quantize.json says model sha256 {listed} but {config_header.name} "
                                    f"says {sha}; the C sources are stale (re-run `gaitnode quantize heel-strike "
                                    "--force`)")
    return sha


def _check_model_names(board: Board, model_dirs: dict, *, all_required: bool) -> None:
    extra = [n for n in model_dirs if n not in board.models]
    if extra:
        raise GaitnodeError(f"{board.name}: {extra[0]} is not among the board's models "
                            f"({', '.join(board.models) or 'none'}; see boards.yaml)")
    missing = [n for n in board.models if n not in model_dirs]
    if all_required and missing:
        raise GaitnodeError(f"{board.name}: no model dir for {missing[0]} (the board carries "
                            f"{', '.join(board.models)}; give --model-dir {missing[0]}=MODEL_DIR)")


def check_model_dirs(board: Board, model_dirs: dict) -> dict[str, str]:
    """Before a build: every model the board carries has a dir with generated C sources that match
    its quantize.json. Returns name -> sha256 hex."""
    _check_model_names(board, model_dirs, all_required=True)
    return {n: model_sha256(n, Path(d) / "c" / f"{n}_model_config.h", d) for n, d in model_dirs.items()}


def make_manifest(board: Board, model_dirs: dict, gen_dir=None, *, firmware_dir=FIRMWARE_DIR) -> BuildManifest:
    """The manifest of `board` built with `model_dirs` (name -> dir).

    A PlatformIO board needs gen_dir, the folder the pre-build step filled (board header, model
    C files): the id hashes what is compiled. The twin (no PlatformIO env) needs none: its id is
    fixed, and it may run without a model.
    """
    from gaitnode.protocol.framing import PROTOCOL_VERSION

    dirs = {n: str(Path(d).resolve()) for n, d in (model_dirs or {}).items()}
    if board.platformio is None:
        from gaitnode.twin.twin import FIRMWARE_VERSION

        _check_model_names(board, dirs, all_required=False)
        models = {n: model_sha256(n, Path(d) / "c" / f"{n}_model_config.h", d) for n, d in dirs.items()}
        return BuildManifest(board=board.name, env=None, firmware=FIRMWARE_VERSION.decode(), protocol=PROTOCOL_VERSION,
                             models=models, model_dirs=dirs)
    if gen_dir is None:
        raise GaitnodeError(f"{board.name}: the manifest of a board build needs --gen-dir (the build's "
                            f"{GEN_FOLDER} folder)")
    _check_model_names(board, dirs, all_required=True)
    gen_dir = Path(gen_dir)
    files = firmware_sources(board, list(dirs), gen_dir, firmware_dir=firmware_dir)
    digest = source_digest(files)
    models = {n: model_sha256(n, gen_dir / f"{n}_model_config.h", d) for n, d in dirs.items()}
    return BuildManifest(board=board.name, env=board.platformio.env, firmware=firmware_id(digest),
                         protocol=PROTOCOL_VERSION, models=models, model_dirs=dirs, source_sha256=digest,
                         sources=len(files))


# -- files --

def build_dir(project_dir=FIRMWARE_DIR) -> Path:
    """PlatformIO's build folder: $PLATFORMIO_BUILD_DIR, else <project>/.pio/build."""
    env = os.environ.get("PLATFORMIO_BUILD_DIR")
    return Path(env) if env else Path(project_dir) / ".pio" / "build"


def default_manifest_path(env: str, project_dir=FIRMWARE_DIR) -> Path:
    """Where the pre-build step writes the manifest of PlatformIO env `env`."""
    return build_dir(project_dir) / env / GEN_FOLDER / MANIFEST_NAME


def write_manifest(manifest: BuildManifest, path) -> Path:
    """Write atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest.as_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _field(d: dict, key: str, kind, where: Path, *, optional: bool = False):
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise GaitnodeError(f"{where}: field {key!r} is missing or not a {kind.__name__}; not a gaitnode build "
                            "manifest (rebuild to write it again)")
    return value


def load_manifest(path) -> BuildManifest:
    """Read a manifest; GaitnodeError naming the file when it is missing or malformed."""
    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GaitnodeError(f"no build manifest at {path}: build first (`gaitnode build --board BOARD`), or pass "
                            "the manifest of the firmware on the node with --manifest") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GaitnodeError(f"{path}: not readable JSON ({e})") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise GaitnodeError(f"{path}: not a gaitnode build manifest (no \"format\": \"{FORMAT}\")")
    if d.get("version") != FORMAT_VERSION:
        raise GaitnodeError(f"{path}: manifest version {d.get('version')!r}; this gaitnode reads version "
                            f"{FORMAT_VERSION} (rebuild to write it again)")
    models = _field(d, "models", dict, path)
    if not all(isinstance(k, str) and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)
               for k, v in models.items()):
        raise GaitnodeError(f"{path}: field 'models' must map model names to 64-digit sha256 hex")
    model_dirs = _field(d, "model_dirs", dict, path, optional=True) or {}
    return BuildManifest(board=_field(d, "board", str, path), env=_field(d, "env", str, path, optional=True),
                         firmware=_field(d, "firmware", str, path), protocol=_field(d, "protocol", int, path),
                         models=dict(models), model_dirs={str(k): str(v) for k, v in model_dirs.items()},
                         source_sha256=_field(d, "source_sha256", str, path, optional=True),
                         sources=_field(d, "sources", int, path, optional=True) or 0,
                         created_by=_field(d, "created_by", str, path, optional=True) or "")


# -- the check --

def mismatches(info, manifest: BuildManifest) -> list[str]:
    """Every difference between a node's INFO and the manifest, as text naming both values."""
    from gaitnode.protocol.framing import PROTOCOL_VERSION

    out = []
    if manifest.protocol != PROTOCOL_VERSION:
        out.append(f"the build speaks protocol {manifest.protocol}, this gaitnode speaks {PROTOCOL_VERSION}")
    if info.protocol != manifest.protocol:
        out.append(f"the node speaks protocol {info.protocol}, the build {manifest.protocol}")
    if info.board != manifest.board:
        out.append(f"the node is board {info.board!r}, the build is for {manifest.board!r}")
    if info.firmware != manifest.firmware:
        out.append(f"the node runs firmware {info.firmware!r}, the build is {manifest.firmware!r}")
    on_node = {mdl.name: bytes(mdl.sha256).hex() for mdl in info.models}
    for name, sha in sorted(manifest.models.items()):
        if name not in on_node:
            out.append(f"the node reports no model {name}, the build has it (sha256 {sha}); the model did not load "
                       "on the node (see its LOG frames) or other firmware is on it")
        elif on_node[name] != sha:
            out.append(f"model {name} on the node has sha256 {on_node[name]}, the build has {sha}")
    for name, sha in sorted(on_node.items()):
        if name not in manifest.models:
            out.append(f"the node reports model {name} (sha256 {sha}), which the build does not have")
    return out


def verify_node(info, manifest: BuildManifest, *, where: str = "the node") -> None:
    """Raise FirmwareMismatch (all differences in one message) unless INFO matches the manifest."""
    problems = mismatches(info, manifest)
    if problems:
        raise FirmwareMismatch(f"{where} does not run this build: " + "; ".join(problems) +
                               ": refusing to continue (flash again, or pass the matching --manifest)")
