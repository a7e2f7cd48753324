"""Do a board's models fit its budgets? Flash, RAM and tensor arena, from the generated files.

    report = check_budget(get_board("nano33ble"), {"heel_strike": Path("models/hs_shank")})
    report.ram_bytes, report.ram_headroom_pct, report.summary()

Models: heel_strike, vo2, phase and activity (boards.yaml `models`), each counted with its own sizes.
Inputs per model dir: c/<name>_model_config.h (what the firmware compiles: GN_<NAME>_MODEL_BYTES,
GN_<NAME>_ARENA_BYTES, window, channels) and, when present, quantize.json (cross-checked so stale
C sources are caught). The core's RAM is sizeof(gn_node) for the board: a one-line probe compiled
against gn_node.h with the board's header (arm-none-eabi-gcc when installed, the host compiler for
the twin or when it is not), read from the assembler's `.size` directive, so nothing is run.

flash = the models' int8 bytes; RAM = the shared tensor arena + sizeof(gn_node) + the serial TX queue.
The node runs its models one at a time, so the firmware gives them one arena (TFLM's multi-tenant
allocation, firmware/src/gn_infer_tflm.cc): each model keeps its persistent part (TFLM's tail,
GN_<NAME>_ARENA_PERSISTENT_BYTES), and the rest (activations, scratch; with the model's margin) is
reused by whichever model runs: shared = sum(persistent) + max(arena - persistent). Sources from
before that macro count their whole arena as persistent (the sum of the arenas).
A model whose arena exceeds the arena budget, a window or channel count above the board's
max_window / max_channels, or a total above its budget raises GaitnodeError with the numbers.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gaitnode.boards.config import REPO, Board
from gaitnode.boards.header import board_header, header_name
from gaitnode.errors import GaitnodeError

CORE_SRC = REPO / "firmware" / "lib" / "gaitnode_core" / "src"
C_DIR = "c"
REPORT_FILE = "quantize.json"
ARM_CC = "arm-none-eabi-gcc"
ARM_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")
PROBE = '#include "gn_node.h"\nunsigned char gn_probe_node[sizeof(gn_node)];\n'

_size_cache: dict[str, int] = {}


@dataclass(frozen=True)
class ModelCost:
    name: str
    model_dir: Path
    model_bytes: int  # int8 .tflite (flash)
    arena_bytes: int  # tensor arena on its own (RAM)
    window: int
    channels: int
    persistent_bytes: int = -1  # the arena's persistent part; -1: all of it

    @property
    def persistent(self) -> int:
        return self.arena_bytes if self.persistent_bytes < 0 else min(self.persistent_bytes, self.arena_bytes)


def shared_arena_bytes(costs) -> int:
    """One arena for models that run one after another: every persistent part plus the largest rest."""
    costs = list(costs)
    return (sum(c.persistent for c in costs) + max((c.arena_bytes - c.persistent for c in costs), default=0))


@dataclass
class BudgetReport:
    board: str
    models: list[ModelCost]
    flash_bytes: int
    flash_budget: int
    arena_bytes: int  # the shared arena (shared_arena_bytes)
    arena_budget: int  # per model
    core_bytes: int  # sizeof(gn_node) for the board
    tx_buffer_bytes: int
    ram_bytes: int
    ram_budget: int
    compiler: str  # what measured core_bytes
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def _headroom(used: int, budget: int) -> float:
        return 100.0 * (budget - used) / budget

    @property
    def flash_headroom_pct(self) -> float:
        return self._headroom(self.flash_bytes, self.flash_budget)

    @property
    def ram_headroom_pct(self) -> float:
        return self._headroom(self.ram_bytes, self.ram_budget)

    @property
    def arena_headroom_pct(self) -> float:
        """Headroom of the largest model's arena under the per-model arena budget."""
        largest = max((m.arena_bytes for m in self.models), default=0)
        return self._headroom(largest, self.arena_budget)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Multi-line text for the CLI."""
        models = ", ".join(f"{m.name} {m.model_bytes} B + arena {m.arena_bytes} B" for m in self.models) or "none"
        return "\n".join([
            f"{self.board}: models: {models}",
            f"flash: {self.flash_bytes} B of {self.flash_budget} B ({self.flash_headroom_pct:.1f} % headroom)",
            f"shared arena: persistent {' + '.join(str(m.persistent) for m in self.models) or '0'} B + largest "
            f"working part {max((m.arena_bytes - m.persistent for m in self.models), default=0)} B = "
            f"{self.arena_bytes} B (separate arenas: {sum(m.arena_bytes for m in self.models)} B)",
            f"RAM: arena {self.arena_bytes} B + core {self.core_bytes} B + tx buffer {self.tx_buffer_bytes} B = "
            f"{self.ram_bytes} B of {self.ram_budget} B ({self.ram_headroom_pct:.1f} % headroom)",
            f"arena: largest {max((m.arena_bytes for m in self.models), default=0)} B of {self.arena_budget} B "
            f"per model ({self.arena_headroom_pct:.1f} % headroom)",
            f"core size measured with {self.compiler}",
        ])

    def as_dict(self) -> dict:
        return {"board": self.board, "ok": self.ok, "problems": list(self.problems),
                "models": [{"name": m.name, "model_dir": str(m.model_dir), "model_bytes": m.model_bytes,
                            "arena_bytes": m.arena_bytes, "arena_persistent_bytes": m.persistent,
                            "window": m.window, "channels": m.channels}
                           for m in self.models],
                "flash_bytes": self.flash_bytes, "flash_budget": self.flash_budget,
                "flash_headroom_pct": self.flash_headroom_pct, "arena_bytes": self.arena_bytes,
                "arena_budget": self.arena_budget, "arena_headroom_pct": self.arena_headroom_pct,
                "core_bytes": self.core_bytes, "tx_buffer_bytes": self.tx_buffer_bytes, "ram_bytes": self.ram_bytes,
                "ram_budget": self.ram_budget, "ram_headroom_pct": self.ram_headroom_pct, "compiler": self.compiler}


def quantize_command(name: str) -> str:
    """The command that writes model `name`'s C sources (heel_strike -> `gaitnode quantize heel-strike`)."""
    return f"gaitnode quantize {name.replace('_', '-')}"


def _macro_int_or(text: str, macro: str, default: int | None) -> int | None:
    m = re.search(rf"^#define {macro} \(?(-?\d+)\)?\s*$", text, re.MULTILINE)
    return default if m is None else int(m.group(1))


def _macro_int(text: str, macro: str, where: Path, name: str) -> int:
    value = _macro_int_or(text, macro, None)
    if value is None:
        raise GaitnodeError(f"{where}: no {macro}; regenerate it with `{quantize_command(name)} MODEL_DIR`")
    return value


def model_cost(name: str, model_dir) -> ModelCost:
    """Sizes of model `name` from model_dir/c/<name>_model_config.h, cross-checked with quantize.json."""
    model_dir = Path(model_dir)
    config = model_dir / C_DIR / f"{name}_model_config.h"
    try:
        text = config.read_text(encoding="ascii")
    except FileNotFoundError:
        raise GaitnodeError(f"{config}: no such file; {model_dir} has no C sources for {name} (run "
                            f"`{quantize_command(name)}` on it first)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise GaitnodeError(f"{config}: cannot be read ({e})") from None
    p = f"GN_{name.upper()}"
    cost = ModelCost(name=name, model_dir=model_dir, model_bytes=_macro_int(text, f"{p}_MODEL_BYTES", config, name),
                     arena_bytes=_macro_int(text, f"{p}_ARENA_BYTES", config, name),
                     window=_macro_int(text, f"{p}_WINDOW", config, name),
                     channels=_macro_int(text, f"{p}_CHANNELS", config, name),
                     persistent_bytes=_macro_int_or(text, f"{p}_ARENA_PERSISTENT_BYTES", -1))
    report = model_dir / REPORT_FILE
    if report.exists():
        try:
            q = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise GaitnodeError(f"{report}: not readable JSON ({e})") from None
        if not isinstance(q, dict):
            raise GaitnodeError(f"{report}: must be a JSON object")
        for key, value in (("model_int8_bytes", cost.model_bytes), ("arena_bytes", cost.arena_bytes)):
            if key in q and q[key] != value:
                raise GaitnodeError(f"{model_dir}: {REPORT_FILE} says {key} {q[key]} but {config.name} says {value}; "
                                    f"the C sources are stale (re-run `{quantize_command(name)} --force`)")
    return cost


def _probe_compiler(board: Board) -> tuple[list[str], str]:
    """(command prefix, description) of the compiler measuring sizeof(gn_node) for the board."""
    from gaitnode.ccore.build import find_compiler

    if board.platformio is not None and shutil.which(ARM_CC):
        return [ARM_CC, *ARM_FLAGS], f"{ARM_CC} (Cortex-M4)"
    cc = find_compiler()
    host = "the host" if board.platformio is None else f"the host ({ARM_CC} not installed)"
    return [cc], f"{Path(cc).name} ({host})"


def core_ram_bytes(board: Board) -> tuple[int, str]:
    """(sizeof(gn_node) with the board's header, compiler description)."""
    if not (CORE_SRC / "gn_node.h").is_file():
        raise GaitnodeError(f"{CORE_SRC / 'gn_node.h'} is missing; the budget check needs the gaitnode source tree")
    cmd, what = _probe_compiler(board)
    text = board_header(board)
    headers = sorted(CORE_SRC.glob("*.h"))
    key = hashlib.sha256("\0".join([*cmd, text, *(h.name + h.read_text(errors="replace") for h in headers)])
                         .encode()).hexdigest()
    if key not in _size_cache:
        with tempfile.TemporaryDirectory(prefix="gn-budget-") as tmp:
            (Path(tmp) / header_name(board)).write_text(text, encoding="ascii")
            (Path(tmp) / "probe.c").write_text(PROBE, encoding="ascii")
            proc = subprocess.run([*cmd, "-std=c11", "-fno-common", "-S", "-o", "-", f"-I{tmp}", f"-I{CORE_SRC}",
                                   f'-DGN_BOARD_HEADER="{header_name(board)}"', str(Path(tmp) / "probe.c")],
                                  capture_output=True, text=True)
        if proc.returncode != 0:
            raise GaitnodeError(f"{board.name}: cannot compile gn_node.h with the board header to measure the "
                                f"core's RAM ({what}):\n{proc.stderr.strip()}")
        m = re.search(r"\.size\s+gn_probe_node\s*,\s*(\d+)", proc.stdout)
        if m is None:
            raise GaitnodeError(f"{board.name}: the compiler's output has no size for the probe ({what})")
        _size_cache[key] = int(m.group(1))
    return _size_cache[key], what


def check_budget(board: Board, model_dirs: dict, *, raise_on_failure: bool = True) -> BudgetReport:
    """Check the board's models (name -> model dir) against its budgets.

    Every dir must be for a model the board lists, and on a board (PlatformIO env) every model it
    lists needs a dir: the firmware compiles them all. The twin runs whichever of its models it is
    given, so the models given are what count. Every model given counts: flash is the sum of the
    int8 models, RAM the shared arena (module docstring) + the core + the TX queue, and each arena must fit the
    per-model budget. Raises GaitnodeError naming the numbers when a budget is exceeded (all
    problems in one message); with raise_on_failure=False the report's `problems` lists them instead.
    """
    names = dict(model_dirs or {})
    extra = [n for n in names if n not in board.models]
    if extra:
        raise GaitnodeError(f"{board.name}: {extra[0]} is not among the board's models "
                            f"({', '.join(board.models) or 'none'}; see boards.yaml)")
    missing = [n for n in board.models if n not in names]
    if missing and board.platformio is not None:
        raise GaitnodeError(f"{board.name}: no model dir for {missing[0]} (the board carries "
                            f"{', '.join(board.models)}; give {missing[0]}=MODEL_DIR)")
    costs = [model_cost(n, names[n]) for n in board.models if n in names]
    core, compiler = core_ram_bytes(board)
    b = board.budgets
    flash = sum(c.model_bytes for c in costs)
    arena = shared_arena_bytes(costs)
    ram = arena + core + board.tx_buffer_bytes
    problems = []
    for c in costs:
        if c.window > board.max_window:
            problems.append(f"{board.name}: {c.name}'s window of {c.window} samples exceeds max_window "
                            f"{board.max_window}")
        if c.channels > board.max_channels:
            problems.append(f"{board.name}: {c.name}'s {c.channels} channels exceed max_channels "
                            f"{board.max_channels}")
        if c.arena_bytes > b.arena_bytes:
            problems.append(f"{board.name}: arena budget exceeded: {c.name} needs {c.arena_bytes} B > budget "
                            f"{b.arena_bytes} B")
    if flash > b.flash_bytes:
        parts = " + ".join(f"{c.name} {c.model_bytes} B" for c in costs)
        problems.append(f"{board.name}: flash budget exceeded: models {parts} = {flash} B > budget "
                        f"{b.flash_bytes} B")
    if ram > b.ram_bytes:
        problems.append(f"{board.name}: RAM budget exceeded: arena {arena} B + core {core} B + tx buffer "
                        f"{board.tx_buffer_bytes} B = {ram} B > budget {b.ram_bytes} B")
    report = BudgetReport(board=board.name, models=costs, flash_bytes=flash, flash_budget=b.flash_bytes,
                          arena_bytes=arena, arena_budget=b.arena_bytes, core_bytes=core,
                          tx_buffer_bytes=board.tx_buffer_bytes, ram_bytes=ram, ram_budget=b.ram_bytes,
                          compiler=compiler, problems=problems)
    if problems and raise_on_failure:
        raise GaitnodeError("; ".join(problems))
    return report
