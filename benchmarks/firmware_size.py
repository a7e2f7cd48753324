"""Flash, static RAM and stack of the firmware core on Cortex-M4F, per board.

For each board of boards.yaml (or --boards a,b) the core is cross-compiled as the unit tests'
ARM build is (arm-none-eabi-gcc -Os, -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard, see
docs/firmware-core.md) with the board's buffer sizes from its generated header
(gaitnode.boards, as `gaitnode boards header` writes it); the row `defaults` uses gn_config.h's defaults. Reported:
- core text/data/bss: every object of libgaitnode_core.a (all core functions; a firmware's linker
  keeps only those it calls, so this is an upper bound of the core's flash);
- gn_node: sizeof(gn_node) (the `gn_size_probe_node` symbol of size_probe.elf), the RAM a firmware
  reserves for the node; static RAM = core data + core bss + gn_node;
- stack: the largest single frame (-fstack-usage) and the deepest call chain inside the core
  (-fcallgraph-info=su: frames summed along calls; libc/libm calls and the callbacks the core
  calls through pointers (HAL, inference) are not included).
The ESP32 boards are Xtensa; their row is the same core on Cortex-M4F with their sizes, which
bounds the RAM (identical struct layout) and indicates the code size.
Writes build/bench/firmware_size.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from gaitnode.boards.config import load_boards as load_board_table
from gaitnode.boards.header import write_board_header
from gaitnode.ccore import cmake
from gaitnode.errors import GaitnodeError

HEADER_ROOT = cmake.BUILD_ROOT / "boards"  # shared with the twin (gaitnode/twin/library.py)
CORE_OBJ_DIR = Path("CMakeFiles") / "gaitnode_core.dir"


def load_boards(names: str | None) -> tuple[list, list[str]]:
    """The boards to measure (all of boards.yaml, or the comma-separated --boards) and notes on
    names that are not boards."""
    boards = load_board_table()
    if not names:
        return list(boards.values()), []
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    notes = [f"{n}: unknown board (known: {', '.join(boards)}); not measured" for n in wanted if n not in boards]
    return [boards[n] for n in wanted if n in boards], notes


def board_header_dir(board) -> Path:
    """Folder holding gn_board_<name>.h, written from boards.yaml (an unchanged header keeps its mtime)."""
    write_board_header(board, HEADER_ROOT, overwrite=True)
    return HEADER_ROOT


def _tool(name: str) -> str:
    return cmake.require_tool(name, "measure the firmware core", "arm-none-eabi-gcc")


def library_sizes(lib: Path) -> dict:
    """text/data/bss per object and in total (arm-none-eabi-size -t, Berkeley format)."""
    out = subprocess.run([_tool("arm-none-eabi-size"), "-t", str(lib)], capture_output=True, text=True, check=True).stdout
    objects, total = {}, None
    for line in out.splitlines()[1:]:
        parts = line.split(None, 5)
        if len(parts) < 6:
            continue
        sizes = {"text": int(parts[0]), "data": int(parts[1]), "bss": int(parts[2])}
        if parts[5] == "(TOTALS)":
            total = sizes
        else:
            objects[parts[5].split(" ")[0].removesuffix(".obj").removesuffix(".o")] = sizes
    if total is None:
        raise GaitnodeError(f"arm-none-eabi-size gave no totals for {lib}")
    return {"total": total, "objects": objects}


def node_bytes(probe: Path) -> int:
    """sizeof(gn_node): the size of the probe's gn_size_probe_node symbol."""
    out = subprocess.run([_tool("arm-none-eabi-nm"), "-S", str(probe)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == "gn_size_probe_node":
            return int(parts[1], 16)
    raise GaitnodeError(f"{probe} has no gn_size_probe_node symbol")


_NODE_RE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_FRAME_RE = re.compile(r"^(\d+) bytes \(([\w,]+)\)$")
_EDGE_RE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def stack_estimate(obj_dir: Path) -> dict:
    """Largest frame (.su) and deepest call chain (.ci) of the core's functions."""
    frames: dict[str, tuple[str, int, str]] = {}  # title -> (function, bytes, qualifier)
    external: set[str] = set()
    calls: dict[str, list[str]] = {}
    indirect = False
    for ci in sorted(obj_dir.rglob("*.ci")):
        text = ci.read_text(errors="replace")
        for title, label in _NODE_RE.findall(text):
            parts = label.split("\\n")  # the label's lines: name, file:line:col[, "N bytes (kind)"]
            frame = _FRAME_RE.match(parts[-1])
            if frame:
                frames[title] = (parts[0], int(frame.group(1)), frame.group(2))
            elif title == "__indirect_call":
                indirect = True
            else:
                external.add(parts[0].removeprefix("__builtin_"))
        for src, dst in _EDGE_RE.findall(text):
            calls.setdefault(src, []).append(dst)
    if not frames:
        raise GaitnodeError(f"no call-graph files (.ci) under {obj_dir}; the ARM build adds -fcallgraph-info=su")
    # A call to a non-static function names it by its plain name; static functions are file:name.
    memo: dict[str, tuple[int, list[str]]] = {}
    recursive: set[str] = set()

    def deepest(title: str, active: frozenset) -> tuple[int, list[str]]:
        if title in memo:
            return memo[title]
        if title not in frames:
            return 0, []
        if title in active:
            recursive.add(frames[title][0])
            return 0, []
        best: tuple[int, list[str]] = (0, [])
        for callee in calls.get(title, []):
            depth = deepest(callee, active | {title})
            if depth[0] > best[0]:
                best = depth
        result = (frames[title][1] + best[0], [frames[title][0], *best[1]])
        memo[title] = result
        return result

    chains = {t: deepest(t, frozenset()) for t in frames}
    top_title = max(chains, key=lambda t: chains[t][0])
    big = max(frames.values(), key=lambda f: f[1])
    defined = {f[0] for f in frames.values()}
    return {
        "max_frame_bytes": big[1], "max_frame_function": big[0],
        "dynamic_frames": sorted(f[0] for f in frames.values() if "dynamic" in f[2]),
        "deepest_chain_bytes": chains[top_title][0], "deepest_chain": chains[top_title][1],
        "recursive_functions": sorted(recursive),
        "external_calls_not_counted": sorted(external - defined - {"__indirect_call"}),
        "indirect_calls_not_counted": indirect,
    }


def measure(board, header_dir: Path | None) -> dict:
    """Sizes of the core built with `board`'s header (None: gn_config.h's defaults)."""
    name = board.name if board is not None else None
    build_dir = cmake.build_firmware("arm", board=name, board_header_dir=header_dir, targets=["core_size"])
    lib = library_sizes(build_dir / "libgaitnode_core.a")
    node = node_bytes(build_dir / "size_probe.elf")
    total = lib["total"]
    return {
        "board": name or "defaults",
        "board_header": str(header_dir / f"gn_board_{name}.h") if name else None,
        "core": total,
        "core_objects": lib["objects"],
        "gn_node_bytes": node,
        "flash_bytes": total["text"] + total["data"],
        "static_ram_bytes": total["data"] + total["bss"] + node,
        # gaitnode's RAM budget on the board (gn_node + TX queue + model arenas), boards.yaml
        "ram_budget_bytes": board.budgets.ram_bytes if board is not None else None,
        "stack": stack_estimate(build_dir / CORE_OBJ_DIR),
        "build_dir": str(build_dir),
    }


def markdown(rows: list[dict]) -> str:
    head = ("| board | core text | core data | core bss | gn_node | static RAM | RAM budget | largest frame | "
            "deepest call chain |\n|---|---:|---:|---:|---:|---:|---:|---|---|")
    lines = [head]
    for r in rows:
        c, s = r["core"], r["stack"]
        lines.append(f"| {r['board']} | {c['text']} | {c['data']} | {c['bss']} | {r['gn_node_bytes']} | "
                     f"{r['static_ram_bytes']} | {r['ram_budget_bytes'] or '-'} | {s['max_frame_bytes']} ({s['max_frame_function']}) | "
                     f"{s['deepest_chain_bytes']} ({' > '.join(s['deepest_chain'])}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", help="comma-separated board keys (default: all boards of boards.yaml)")
    ap.add_argument("--out", type=Path, default=cmake.REPO / "build" / "bench", help="folder for firmware_size.json")
    args = ap.parse_args(argv)
    try:
        boards, notes = load_boards(args.boards)
        rows = [measure(None, None)] + [measure(b, board_header_dir(b)) for b in boards]
    except GaitnodeError as e:
        print(f"firmware_size: error: {e}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "firmware_size.json"
    out.write_text(json.dumps({"target": "cortex-m4f, arm-none-eabi-gcc -Os", "boards": rows, "notes": notes},
                              indent=2) + "\n")
    print("Firmware core on Cortex-M4F (bytes; static RAM = core data + bss + gn_node; stack excludes "
          "libc/libm and callbacks)\n")
    print(markdown(rows))
    for note in notes:
        print(f"\n- {note}")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
