"""Read a .tflite flatbuffer: its operators (builtin names, in execution order) and tensors.

Uses the TFLite schema bindings that ship with ai-edge-litert (`schema_py_generated`), which,
unlike the interpreter API, also expose each operator's `intermediates` (the LSTM's scale
tensors). Only the first subgraph is read: gaitnode models have one (a WHILE/IF body would be
a second subgraph, and WHILE is rejected by name).
"""

from __future__ import annotations

from dataclasses import dataclass

from gaitnode.errors import GaitnodeError

_FILE_IDENTIFIER = b"TFL3"


def _schema():
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def _enum_names(enum_class) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


@dataclass(frozen=True)
class Operator:
    """One operator: builtin name (e.g. "CONV_2D"; "CUSTOM:<code>" for a custom op), tensor indices."""

    name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    intermediates: tuple[int, ...]


@dataclass(frozen=True)
class Tensor:
    """One tensor of subgraph 0: index, name, dtype name as in the schema ("INT8", "FLOAT32", ...), shape."""

    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class TFLiteModel:
    """The parts of a .tflite model that gaitnode inspects (subgraph 0 only)."""

    operators: tuple[Operator, ...]
    tensors: tuple[Tensor, ...]
    n_subgraphs: int

    @property
    def op_names(self) -> list[str]:
        """Builtin names of the operators in execution order (repeats kept)."""
        return [op.name for op in self.operators]


def parse(tflite_bytes: bytes, *, what: str = "model") -> TFLiteModel:
    """Parse `tflite_bytes`; GaitnodeError naming `what` if they are not a TFLite flatbuffer."""
    data = bytes(tflite_bytes)
    if len(data) < 8 or data[4:8] != _FILE_IDENTIFIER:
        raise GaitnodeError(f"{what}: not a TFLite flatbuffer (no 'TFL3' identifier at byte 4; {len(data)} bytes)")
    s = _schema()
    try:
        model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
    except Exception as e:  # flatbuffers raises assorted errors on damaged offsets
        raise GaitnodeError(f"{what}: damaged TFLite flatbuffer ({type(e).__name__}: {e})") from None
    if not model.subgraphs:
        raise GaitnodeError(f"{what}: TFLite model has no subgraph")
    op_names = _enum_names(s.BuiltinOperator)
    dtype_names = _enum_names(s.TensorType)
    graph = model.subgraphs[0]
    operators = []
    for op in graph.operators or []:
        code = model.operatorCodes[op.opcodeIndex]
        # Codes < 127 live in deprecatedBuiltinCode in old files, larger ones only in builtinCode.
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        name = op_names.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            custom = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode)
            name = f"CUSTOM:{custom}"
        operators.append(Operator(
            name=name,
            inputs=tuple(int(i) for i in (op.inputs if op.inputs is not None else ())),
            outputs=tuple(int(i) for i in (op.outputs if op.outputs is not None else ())),
            intermediates=tuple(int(i) for i in (op.intermediates if op.intermediates is not None else ())),
        ))
    tensors = []
    for i, t in enumerate(graph.tensors or []):
        name = t.name.decode(errors="replace") if isinstance(t.name, bytes) else str(t.name)
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
        tensors.append(Tensor(index=i, name=name, dtype=dtype_names.get(int(t.type), f"TYPE_{t.type}"), shape=shape))
    return TFLiteModel(operators=tuple(operators), tensors=tuple(tensors), n_subgraphs=len(model.subgraphs))

