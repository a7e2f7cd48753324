import os

import numpy as np
import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.tflm_check import (
    MIN_ARENA_BYTES, arena_report, capture_c_stderr, compare, measure_arena, open_interpreter,
)


@pytest.fixture(scope="module")
def arena(int8_bytes):
    return arena_report(int8_bytes, what="tiny int8")


def _run_once(interp):
    d = interp.get_input_details(0)
    interp.set_input(np.zeros(d["shape"], dtype=d["dtype"]), 0)
    interp.invoke()
    return interp.get_output(0)


def test_arena_is_measured_and_is_the_smallest_that_works(int8_bytes, arena):
    assert arena.recorded_total > 0
    assert arena.required % 16 == 0
    # TFLM's own bookkeeping lies outside the recorded total, so the need is above it.
    assert arena.required >= arena.recorded_total
    assert arena.recorded_total_suffices == (arena.required <= -(-arena.recorded_total // 16) * 16)
    out = _run_once(open_interpreter(int8_bytes, arena.required))
    assert out.shape == (1, 32) and out.dtype == np.int8
    with pytest.raises(GaitnodeError, match=r"tiny int8: a TFLM arena of \d+ bytes is too small"):
        open_interpreter(int8_bytes, arena.required - 16, what="tiny int8")
    assert measure_arena(int8_bytes) == arena.required


def test_much_smaller_arena_fails_cleanly(int8_bytes, arena):
    with pytest.raises(GaitnodeError, match="is too small"):
        open_interpreter(int8_bytes, arena.required // 4)
    # Below TFLM's bookkeeping size TFLM would crash the process; it is refused first.
    with pytest.raises(GaitnodeError, match=f"at least {MIN_ARENA_BYTES} bytes"):
        open_interpreter(int8_bytes, 200)


def test_op_tflm_lacks_is_named(int8_bytes, replace_op):
    gelu = replace_op(int8_bytes, "LOGISTIC", "GELU")
    with pytest.raises(GaitnodeError, match=r"^g\.tflite: model uses ops TFLM cannot run: GELU$"):
        open_interpreter(gelu, 1 << 20, what="g.tflite")
    with pytest.raises(GaitnodeError, match="model uses ops TFLM cannot run: GELU"):
        arena_report(gelu)


def test_capture_c_stderr_reads_fd2():
    with capture_c_stderr() as err:
        os.write(2, b"written by C code\n")
    assert err.text == "written by C code\n"


def test_compare():
    r = compare(np.array([[0.1, 0.5], [0.9, 0.0]]), np.array([[0.1, 0.25], [1.0, 0.0]]))
    assert r == pytest.approx({"max_abs": 0.25, "mean_abs": 0.0875})
    with pytest.raises(GaitnodeError, match=r"cannot compare outputs of shapes \(2, 2\) and \(2, 3\)"):
        compare(np.zeros((2, 2)), np.zeros((2, 3)))
