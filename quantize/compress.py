"""Weight clustering + LUT compression of an int8 .tflite for TFLite-Micro's DECODE operator.

    c = LutCompressor(bits=4).run(int8_tflite_bytes)
    c.clustered_tflite_, c.compressed_tflite_, c.tensors_   # bytes, bytes, per-tensor rows

Steps:
1. Cluster: every compressible weight tensor gets at most 2**bits distinct int8 values per
   channel (1-D k-means on the int8 values, seeded at quantiles, centres rounded to integers).
   Zero is always kept as a centre where a channel has zeros, so pruned weights stay exactly 0.
   The result is still a plain int8 model ("clustered") that any TFLM build runs.
2. Compress: `tflite_micro.compression.compress` with a per-channel look-up table (the tensor's
   quantised dimension) on per-channel-quantised tensors and one table on per-tensor ones; it
   rewrites each tensor as packed `bits`-wide indices and inserts a TFLM_DECODE custom op before
   its consumer, which expands the weights into the arena at Invoke.

Which tensors. DECODE outputs exist only after DECODE ran in Invoke, so a kernel that reads a
weight in Prepare reads garbage. TFLM's UNIDIRECTIONAL_SEQUENCE_LSTM does: its Prepare
precomputes zero_point * row sums of every gate weight (PrecomputeZeroPointTimesWeightWithBias),
and a compressed LSTM weight gave outputs off by up to 0.99 (probability) while conv and fully
connected weights decoded bit-exactly. So only CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
weights are compressed (COMPRESSIBLE_INPUTS); LSTM weights stay int8. A tensor is also left out
where the packed indices + tables + the decoded tensor's duplicated quantisation parameters would
not be smaller than the int8 data (small tensors with many channels).

The compressed model is lossless against the clustered one: `verify_lossless` runs both in TFLM
and requires identical int8 outputs.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np

from gaitnode.errors import GaitnodeError

# (builtin op name, input position of its weight): inputs whose kernels read them only in Eval.
COMPRESSIBLE_INPUTS = {("CONV_2D", 1), ("DEPTHWISE_CONV_2D", 1), ("FULLY_CONNECTED", 1)}
DECODE_OP = "TFLM_DECODE"
DCM_BYTES = 16  # DECODE common metadata at the start of each ancillary tensor
MIN_BITS, MAX_BITS = 1, 7  # the LUT format's index widths


def check_bits(bits) -> int:
    """`bits` as an int in 1..7 (the LUT index widths TFLM decodes); GaitnodeError otherwise."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not MIN_BITS <= int(bits) <= MAX_BITS:
        raise GaitnodeError(f"LUT index bits must be an integer from {MIN_BITS} to {MAX_BITS}, got {bits!r}")
    return int(bits)


def cluster_values(values: np.ndarray, k: int, *, iters: int = 50) -> np.ndarray:
    """`values` (int8, any shape) mapped to at most k distinct int8 values by 1-D k-means.

    Centres start at evenly spaced quantiles, are rounded to integers after every update, and 0 is
    pinned as a centre when the values contain 0 (pruned weights stay 0). Deterministic.
    """
    v = np.asarray(values).ravel().astype(np.float64)
    if len(np.unique(v)) <= k:
        return np.asarray(values).copy()
    has_zero = bool(np.any(v == 0))
    centres = np.unique(np.round(np.quantile(v, np.linspace(0.0, 1.0, k))))
    if has_zero:
        centres[np.argmin(np.abs(centres))] = 0.0
        centres = np.unique(centres)
    for _ in range(iters):
        idx = np.abs(v[:, None] - centres[None, :]).argmin(axis=1)
        new = np.array([np.round(v[idx == j].mean()) if np.any(idx == j) else centres[j]
                        for j in range(len(centres))])
        if has_zero:
            new[np.argmin(np.abs(centres))] = 0.0
        new = np.unique(new)
        if np.array_equal(new, centres):
            break
        centres = new
    idx = np.abs(v[:, None] - centres[None, :]).argmin(axis=1)
    return centres[idx].reshape(np.shape(values)).astype(np.asarray(values).dtype)


@dataclass(frozen=True)
class _Candidate:
    index: int
    name: str
    op: str
    shape: tuple
    axis: int | None  # quantised dimension of a per-channel tensor, None: per-tensor
    n_scales: int


def _model_editor():
    from tflite_micro.tensorflow.lite.micro.compression import model_editor

    return model_editor


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated

    return schema_py_generated


def _candidates(subgraph) -> list[_Candidate]:
    """Constant int8 weights whose every use is a COMPRESSIBLE_INPUTS position."""
    fb = _schema()
    out = []
    for t in subgraph.tensors:
        if t.buffer is None or not t.buffer.data or t.dtype != fb.TensorType.INT8:
            continue
        uses = [(op.opcode_name, pos) for op in subgraph.operators for pos, x in enumerate(op.inputs) if x is t]
        if not uses or any(u not in COMPRESSIBLE_INPUTS for u in uses):
            continue
        q = t.quantization
        scales = np.ravel(q.scales) if q is not None else np.zeros(0)
        per_channel = len(scales) > 1
        out.append(_Candidate(index=t.index, name=t.name or f"tensor {t.index}", op=uses[0][0], shape=tuple(int(d) for d in t.shape),
                              axis=int(q.axis or 0) if per_channel else None, n_scales=len(scales)))
    return out


def _estimated_bytes(c: _Candidate, bits: int) -> tuple[int, int]:
    """(int8 bytes now, bytes after LUT compression): packed indices + DCM + tables + the decoded
    tensor's copy of the quantisation parameters (a float32 scale and an int64 zero point each)."""
    n = int(np.prod(c.shape))
    tables = (c.shape[c.axis] if c.axis is not None else 1) * (1 << bits)
    return n, -(-n * bits // 8) + DCM_BYTES + tables + 12 * max(c.n_scales, 1) + 64


class LutCompressor:
    """Cluster and LUT-compress the weights of an int8 .tflite (see the module docstring).

    Parameters: bits (LUT index width, 1-7: at most 2**bits values per channel), strip_names
    (drop tensor names from the compressed model: TFLM never reads them; default False).

    Results (after `run`)
    ---------------------
    clustered_tflite_: the int8 model with clustered weights (uncompressed), bytes.
    compressed_tflite_: the LUT-compressed model with TFLM_DECODE ops, bytes.
    tensors_: rows {"tensor", "name", "op", "shape", "per_channel", "compressed", "int8_bytes",
        "estimated_bytes", "distinct_max"} for every candidate weight, compressed or not.
    n_compressed_: how many tensors were compressed.
    """

    def __init__(self, bits: int = 4, *, strip_names: bool = False):
        self.bits = bits
        self.strip_names = strip_names

    def run(self, int8_tflite: bytes) -> "LutCompressor":
        bits = check_bits(self.bits)
        me = _model_editor()
        from tflite_micro.tensorflow.lite.micro.compression import spec
        from tflite_micro.tensorflow.lite.micro.compression.compress import compress
        from tflite_micro.tensorflow.lite.micro.compression.compressor import CompressionError

        try:
            model = me.read(bytes(int8_tflite))
        except Exception as e:  # the flatbuffer reader raises anything on damaged bytes
            raise GaitnodeError(f"cannot read the int8 model for compression ({type(e).__name__}: {e})") from None
        if len(model.subgraphs) != 1:
            raise GaitnodeError(f"expected a model with one subgraph, got {len(model.subgraphs)}")
        sg = model.subgraphs[0]
        rows, specs = [], []
        for c in _candidates(sg):
            t = sg.tensors[c.index]
            axis = 0 if c.axis is None else c.axis
            moved = np.moveaxis(t.array.copy(), axis, 0)
            if c.axis is None:
                clustered = cluster_values(moved, 1 << bits)
            else:
                clustered = np.stack([cluster_values(ch, 1 << bits) for ch in moved])
            t.array = np.ascontiguousarray(np.moveaxis(clustered, 0, axis)).astype(np.int8)
            now, after = _estimated_bytes(c, bits)
            ok = after < now and c.axis in (None, 0, len(c.shape) - 1)
            distinct = max(len(np.unique(ch)) for ch in clustered) if c.axis is not None else len(np.unique(clustered))
            rows.append({"tensor": c.index, "name": c.name, "op": c.op, "shape": list(c.shape),
                         "per_channel": c.axis is not None, "compressed": bool(ok), "int8_bytes": now,
                         "estimated_bytes": after, "distinct_max": int(distinct)})
            if ok:
                mode = spec.PerTensor() if c.axis is None else spec.PerChannel(axis=c.axis)
                specs.append(spec.Tensor(subgraph=0, tensor=c.index,
                                         compression=[spec.LookUpTableCompression(index_bitwidth=bits, mode=mode)]))
        clustered_bytes = bytes(model.build())
        if not specs:
            raise GaitnodeError(f"no weight tensor of this model gets smaller with {bits}-bit LUT compression "
                                f"(compressible: conv / fully connected weights; LSTM weights cannot be decoded in TFLM)")
        # compress() prints a warning line for any table wider than needed; it is expected here.
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                compressed = bytes(compress(clustered_bytes, specs))
            except CompressionError as e:
                raise GaitnodeError(f"TFLM compression failed: {e}") from None
        if self.strip_names:
            compressed = strip_tensor_names(compressed)
        self.clustered_tflite_ = clustered_bytes
        self.compressed_tflite_ = compressed
        self.tensors_ = rows
        self.n_compressed_ = len(specs)
        return self


def strip_tensor_names(tflite_bytes: bytes) -> bytes:
    """The model without tensor names (TFLM does not read them; they are ~10 % of a small model)."""
    me = _model_editor()
    model = me.read(bytes(tflite_bytes))
    for sg in model.subgraphs:
        for t in sg.tensors:
            t.name = None
    return bytes(model.build())


def decode_op_count(tflite_bytes: bytes) -> int:
    """How many TFLM_DECODE ops the model has (0: not compressed)."""
    model = _model_editor().read(bytes(tflite_bytes))
    return sum(1 for sg in model.subgraphs for op in sg.operators if op.custom_code == DECODE_OP)


def verify_lossless(clustered: bytes, compressed: bytes, windows: np.ndarray, *, arena_clustered: int,
                    arena_compressed: int) -> dict:
    """Run both models in TFLM on `windows` (float32 [n, W, C]); GaitnodeError unless every int8
    output is identical (LUT decoding must reproduce the clustered weights exactly).
    Returns {"windows": n, "max_abs": 0.0}."""
    from gaitnode.quantize.runners import TFLMRunner

    a = TFLMRunner(clustered, arena_clustered, what="clustered int8 model (TFLM)").predict(windows)
    b = TFLMRunner(compressed, arena_compressed, what="compressed model (TFLM)").predict(windows)
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    if diff != 0.0:
        raise GaitnodeError(f"the compressed model's TFLM outputs differ from the clustered int8 model's "
                            f"(max |difference| {diff:.4g} over {len(windows)} windows): TFLM did not decode the "
                            f"weights exactly; not writing it")
    return {"windows": int(len(windows)), "max_abs": diff}
