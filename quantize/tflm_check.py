"""Run a model in the real TFLite-Micro interpreter: load it, measure its tensor arena, compare outputs.

TFLM reports problems (a missing kernel, an arena too small) only as text on the C-level
stderr (fd 2) followed by a bare "TFLM failed to allocate tensors"; `open_interpreter` captures
that text and turns it into one GaitnodeError.

Arena measurement. `print_allocations()` prints "Arena allocation total N bytes", but N counts
only what the recording allocator saw after it was set up: the allocator objects and the memory
planner's working list that TFLM also places in the arena are not in it, so an arena of exactly N
bytes can be too small (it was ~1.6 KB short for the tiny test model, and enough for the
cnn_lstm heel-strike model at W=128). `arena_report` therefore also finds, by bisection over
multiples of 16, the smallest arena in which the model loads and runs; that is the size to build
with. It is measured on this 64-bit host, where TFLM's structs (pointers) are larger than on a
32-bit microcontroller, so it is an upper bound for the device.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.tflite_model import parse

ARENA_ALIGNMENT = 16
# Below ~500 bytes TFLM cannot even place its allocator objects and dereferences a null pointer
# (segmentation fault, not an error); smaller arenas are refused before TFLM sees them.
MIN_ARENA_BYTES = 1024
_TOTAL_RE = re.compile(r"Arena allocation total (\d+) bytes")
# Head: non-persistent buffers (activations, scratch), planned per model, reusable by the next model
# once this one has run; tail: persistent (tensor structs, quantisation data, LSTM state).
_HEAD_RE = re.compile(r"Arena allocation head (\d+) bytes")
_TAIL_RE = re.compile(r"Arena allocation tail (\d+) bytes")
# TFLM's messages for an arena that is too small (allocators; the memory planner, whose buffer
# list also lives in the arena, reports "Too many buffers").
_ARENA_SHORT_RE = re.compile(r"Failed to (allocate|resize)|Unable to allocate|missing: \d+|Too many buffers")


class _Captured:
    text = ""


@contextlib.contextmanager
def capture_c_stderr():
    """Redirect file descriptor 2 (where TFLM's C++ code prints) into a buffer; `.text` after the block."""
    captured = _Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.text = tmp.read().decode(errors="replace")


def _round_up(n: int, to: int = ARENA_ALIGNMENT) -> int:
    return -(-int(n) // to) * to


def _tflm_error(text: str, arena_size: int, what: str, exc: Exception) -> GaitnodeError:
    """One GaitnodeError from TFLM's stderr text of a failed load."""
    missing = (re.search(r"Didn't find op for builtin opcode '([^']+)'", text)
               or re.search(r"Failed to get registration from op code (\S+)", text))
    if missing:
        return GaitnodeError(f"{what}: model uses ops TFLM cannot run: {missing.group(1)}")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    memory = [ln for ln in lines if _ARENA_SHORT_RE.search(ln)]
    if memory:
        return GaitnodeError(f"{what}: a TFLM arena of {arena_size} bytes is too small ({memory[0]})")
    prepare = re.search(r"Node (\S+) \(number (\d+)\) failed to prepare", text)
    if prepare:
        idx = next(i for i, ln in enumerate(lines) if "failed to prepare" in ln)
        reason = f": {lines[idx - 1]}" if idx > 0 else ""
        return GaitnodeError(f"{what}: model uses ops TFLM cannot run: {prepare.group(1)} "
                             f"(node {prepare.group(2)} failed to prepare{reason})")
    detail = lines[-1] if lines else str(exc)
    return GaitnodeError(f"{what}: TFLM cannot load the model: {detail}")


def open_interpreter(tflite_bytes: bytes, arena_size: int, *, what: str = "model"):
    """A TFLM `runtime.Interpreter` for `tflite_bytes` with a tensor arena of `arena_size` bytes.

    GaitnodeError (TFLM's own reason) if the model cannot be loaded.
    """
    from tflite_micro.python.tflite_micro import runtime

    parse(tflite_bytes, what=what)  # TFLM does not verify the flatbuffer: garbage would crash it
    if int(arena_size) < MIN_ARENA_BYTES:
        raise GaitnodeError(f"{what}: a TFLM arena of {arena_size} bytes is too small (TFLM needs at least "
                            f"{MIN_ARENA_BYTES} bytes for its own bookkeeping)")
    with capture_c_stderr() as err:
        try:
            return runtime.Interpreter.from_bytes(bytes(tflite_bytes), arena_size=int(arena_size))
        except (RuntimeError, ValueError) as e:
            failure = e
    raise _tflm_error(err.text, int(arena_size), what, failure)


def _loads_and_runs(tflite_bytes: bytes, arena_size: int) -> bool:
    from tflite_micro.python.tflite_micro import runtime

    assert arena_size >= MIN_ARENA_BYTES  # smaller arenas crash TFLM
    with capture_c_stderr():
        try:
            interp = runtime.Interpreter.from_bytes(tflite_bytes, arena_size=arena_size)
            details = interp.get_input_details(0)
            interp.set_input(np.zeros(details["shape"], dtype=details["dtype"]), 0)
            interp.invoke()
        except (RuntimeError, ValueError):
            return False
    return True


@dataclass(frozen=True)
class ArenaReport:
    """Tensor-arena needs of one model in TFLM, bytes.

    recorded_total: "Arena allocation total" printed by TFLM's recording allocator.
    required: smallest arena (multiple of 16) in which the model loads and runs; build with this
        (plus a margin).
    recorded_total_suffices: whether an arena of recorded_total (rounded up to 16) already works.
    recorded_head / recorded_tail: the non-persistent and persistent parts of recorded_total. Models
        run one after another can share one arena: the sum of their tails plus the largest head
        (TFLM's multi-tenant allocation; gaitnode.boards.budget).
    """

    recorded_total: int
    required: int
    recorded_total_suffices: bool
    recorded_head: int = 0
    recorded_tail: int = 0


def arena_report(tflite_bytes: bytes, *, what: str = "model") -> ArenaReport:
    """Measure the TFLM arena of `tflite_bytes`; GaitnodeError if TFLM cannot run the model at all."""
    data = bytes(tflite_bytes)
    generous = _round_up(max(4 << 20, 20 * len(data)))
    interp = open_interpreter(data, generous, what=what)
    details = interp.get_input_details(0)
    with capture_c_stderr() as err:
        interp.set_input(np.zeros(details["shape"], dtype=details["dtype"]), 0)
        interp.invoke()
        interp.print_allocations()
    totals = _TOTAL_RE.findall(err.text)
    if not totals:
        raise GaitnodeError(f"{what}: TFLM printed no 'Arena allocation total' line")
    recorded = int(totals[-1])
    heads, tails = _HEAD_RE.findall(err.text), _TAIL_RE.findall(err.text)
    head, tail = (int(heads[-1]), int(tails[-1])) if heads and tails else (0, recorded)
    # The recorded allocations must all fit, so the need starts near `recorded`.
    lo = max(MIN_ARENA_BYTES, recorded) // ARENA_ALIGNMENT
    hi = generous // ARENA_ALIGNMENT
    if _loads_and_runs(data, lo * ARENA_ALIGNMENT):
        hi = lo
    # Bisection over multiples of 16 bytes: arenas of lo blocks fail, of hi blocks work.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _loads_and_runs(data, mid * ARENA_ALIGNMENT):
            hi = mid
        else:
            lo = mid
    required = hi * ARENA_ALIGNMENT
    suffices = _loads_and_runs(data, max(MIN_ARENA_BYTES, _round_up(recorded)))
    return ArenaReport(recorded_total=recorded, required=required, recorded_total_suffices=suffices,
                       recorded_head=head, recorded_tail=tail)


def measure_arena(tflite_bytes: bytes, *, what: str = "model") -> int:
    """Smallest TFLM tensor arena (bytes, multiple of 16) in which `tflite_bytes` loads and runs."""
    return arena_report(tflite_bytes, what=what).required


def compare(float_outputs, int8_outputs) -> dict:
    """Errors of dequantised int8 outputs against float outputs (same shape, probabilities).

    Returns {"max_abs": float, "mean_abs": float}.
    """
    a = np.asarray(float_outputs, dtype=np.float64)
    b = np.asarray(int8_outputs, dtype=np.float64)
    if a.shape != b.shape:
        raise GaitnodeError(f"cannot compare outputs of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise GaitnodeError("cannot compare empty outputs")
    diff = np.abs(a - b)
    return {"max_abs": float(diff.max()), "mean_abs": float(diff.mean())}
