"""Check that a converted model is integer-only (what an int8 microcontroller build needs).

Every tensor must be int8, int16 or int32, with one exception: the fused
UNIDIRECTIONAL_SEQUENCE_LSTM op carries float32 "intermediate" tensors (input_to_input_intermediate,
... - empty, shape [0]) that only hold the scales of its internal gate products; they take no
arena and no float arithmetic happens on them. They are recognised by being listed in that op's
`intermediates` in the flatbuffer, not by their name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gaitnode.errors import GaitnodeError
from gaitnode.quantize.tflite_model import parse

INTEGER_TYPES = ("INT8", "INT16", "INT32")
FUSED_LSTM = "UNIDIRECTIONAL_SEQUENCE_LSTM"


@dataclass(frozen=True)
class TensorReport:
    """Result of `check_integer_only`.

    ops: builtin op names in execution order (repeats kept).
    fused_lstm: whether a fused UNIDIRECTIONAL_SEQUENCE_LSTM op is present.
    n_tensors: number of tensors in the model.
    lstm_float_intermediates: names of the float32 LSTM scale tensors that were allowed.
    dtype_counts: tensor count per dtype name ("INT8": 20, ...).
    """

    ops: list[str]
    fused_lstm: bool
    n_tensors: int
    lstm_float_intermediates: list[str] = field(default_factory=list)
    dtype_counts: dict[str, int] = field(default_factory=dict)

    @property
    def unique_ops(self) -> list[str]:
        """The distinct op names, sorted."""
        return sorted(set(self.ops))


def check_integer_only(tflite_bytes: bytes, *, what: str = "model") -> TensorReport:
    """Return the TensorReport of `tflite_bytes`; GaitnodeError naming the first non-integer tensor.

    `what` names the model in messages (e.g. its path).
    """
    model = parse(tflite_bytes, what=what)
    lstm_intermediates = {i for op in model.operators if op.name == FUSED_LSTM for i in op.intermediates}
    allowed_float = []
    bad = []
    counts: dict[str, int] = {}
    for t in model.tensors:
        counts[t.dtype] = counts.get(t.dtype, 0) + 1
        if t.dtype in INTEGER_TYPES:
            continue
        if t.index in lstm_intermediates and t.dtype == "FLOAT32":
            allowed_float.append(t.name)
            continue
        bad.append(t)
    if bad:
        first = bad[0]
        more = f" (and {len(bad) - 1} more non-integer tensors)" if len(bad) > 1 else ""
        raise GaitnodeError(f"{what}: tensor {first.index} '{first.name}' is {first.dtype.lower()}, not "
                            f"int8/int16/int32{more}; the model is not integer-only")
    return TensorReport(ops=model.op_names, fused_lstm=FUSED_LSTM in model.op_names, n_tensors=len(model.tensors),
                        lstm_float_intermediates=allowed_float, dtype_counts=dict(sorted(counts.items())))
