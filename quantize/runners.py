"""Runners: one model behind `predict(x [n, W, C] float32 normalised) -> [n, K] float32`.

K is the model's outputs per window: W for a heel-strike model (probabilities), 1 for a VO2 model
(ml/kg/min).

* KerasRunner: the float tf_keras model of a model dir.
* LiteRTRunner: a .tflite model (float or int8) in the LiteRT interpreter with TFLite's reference kernels.
* TFLMRunner: an int8 .tflite model in the real TFLite-Micro interpreter, as on the device.

Interpreter runners feed one window per invoke (batch 1, like the device) and reset the LSTM
state before every window, so a window's output never depends on the previous window. For an
int8 model the input is quantised with the input tensor's scale and zero point
(q = round(x / scale) + zero_point, rounding half away from zero like TFLite, clipped to int8) and the
output is dequantised ((q - zero_point) * scale), so all runners return the float model's unit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError


def quantize_input(x: np.ndarray, scale: float, zero_point: int, dtype) -> np.ndarray:
    """Float -> integer tensor values of `dtype` (int8) with TFLite's rounding (half away from zero)."""
    info = np.iinfo(dtype)
    v = np.asarray(x, np.float64) / float(scale)
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + int(zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize_output(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Integer tensor values -> float32."""
    return ((np.asarray(q, np.float64) - int(zero_point)) * float(scale)).astype(np.float32)


def _check_input(x, shape: tuple[int, int], what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 3 or tuple(arr.shape[1:]) != tuple(shape):
        raise GaitnodeError(f"{what}: expected input windows [n, {shape[0]}, {shape[1]}], got {list(arr.shape)}")
    if arr.dtype.kind not in "fiu":
        raise GaitnodeError(f"{what}: expected numeric input windows, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise GaitnodeError(f"{what}: input windows contain NaN or infinite values")
    return arr


def _quant_params(details: dict, what: str) -> tuple[float, int] | None:
    """(scale, zero_point) of an integer tensor, None for a float one."""
    if np.dtype(details["dtype"]) == np.float32:
        return None
    q = details.get("quantization_parameters") or {}
    scales, zps = np.ravel(q.get("scales", [])), np.ravel(q.get("zero_points", []))
    if len(scales) != 1 or len(zps) != 1:
        raise GaitnodeError(f"{what}: input/output tensor of type {np.dtype(details['dtype'])} has no per-tensor "
                            "quantisation parameters")
    return float(scales[0]), int(zps[0])


class KerasRunner:
    """The float tf_keras model of `model_dir` (model.keras + model.json)."""

    def __init__(self, model_dir, batch_size: int = 256):
        from gaitnode.training.model_dir import load_model_dir, output_width
        from gaitnode.training.predict import KerasModelRunner

        self.model_dir = Path(model_dir)
        model, self.meta = load_model_dir(self.model_dir)
        self.input_shape = (int(self.meta["window"]), len(self.meta["channels"]))
        self.output_width = output_width(self.meta)
        self._runner = KerasModelRunner(model, batch_size=batch_size)

    def predict(self, x) -> np.ndarray:
        """Probabilities float32 [n, W] for windows float32 [n, W, C]."""
        x = _check_input(x, self.input_shape, f"{self.model_dir} (Keras)")
        if len(x) == 0:
            return np.zeros((0, self.output_width), np.float32)
        return self._runner.predict(x).reshape(len(x), -1)


class _InterpreterRunner:
    """Shared per-window loop: quantise, set, invoke, read, dequantise, reset."""

    what = "model"

    def _setup(self, in_details: dict, out_details: dict) -> None:
        in_shape = tuple(int(d) for d in in_details["shape"])
        out_shape = tuple(int(d) for d in out_details["shape"])
        if len(in_shape) != 3 or in_shape[0] != 1 or len(out_shape) not in (2, 3) or out_shape[0] != 1:
            raise GaitnodeError(f"{self.what}: expected input [1, W, C] and output [1, K] or [1, R, K], got "
                                f"{list(in_shape)} and {list(out_shape)}")
        self.input_shape = in_shape[1:]
        self.output_width = int(np.prod(out_shape[1:]))  # outputs are handled flattened, row-major
        self.input_dtype = np.dtype(in_details["dtype"])
        self.input_quant = _quant_params(in_details, self.what)
        self.output_quant = _quant_params(out_details, self.what)

    def predict(self, x) -> np.ndarray:
        """Probabilities float32 [n, W] for windows float32 [n, W, C]; one window per invoke."""
        x = _check_input(x, self.input_shape, self.what)
        out = np.empty((len(x), self.output_width), np.float32)
        for i in range(len(x)):
            window = x[i:i + 1]
            if self.input_quant is not None:
                window = quantize_input(window, *self.input_quant, self.input_dtype)
            y = self.run_raw(window)
            out[i] = dequantize_output(y, *self.output_quant) if self.output_quant is not None else y
        return out


class LiteRTRunner(_InterpreterRunner):
    """A .tflite model (path or bytes, float or int8) in the LiteRT interpreter."""

    def __init__(self, tflite_path_or_bytes):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        if isinstance(tflite_path_or_bytes, (bytes, bytearray, memoryview)):
            data, self.what = bytes(tflite_path_or_bytes), "tflite model (LiteRT)"
        else:
            path = Path(tflite_path_or_bytes)
            if not path.is_file():
                raise GaitnodeError(f"{path}: no such .tflite file")
            data, self.what = path.read_bytes(), f"{path} (LiteRT)"
        try:
            # Reference kernels: TFLite's defined int8 arithmetic, no XNNPACK delegate.
            self._interp = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise GaitnodeError(f"{self.what}: LiteRT cannot load the model ({' '.join(str(e).split())})") from None
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        self._setup(self._in, self._out)

    def run_raw(self, window: np.ndarray) -> np.ndarray:
        """One already-quantised input [1, W, C] -> the raw output [W] (LSTM state reset first)."""
        # The LSTM state lives in variable tensors that persist across invokes: back to zeros first.
        self._interp.reset_all_variables()
        self._interp.set_tensor(self._in["index"], window)
        self._interp.invoke()
        return self._interp.get_tensor(self._out["index"])[0].reshape(-1).copy()


class TFLMRunner(_InterpreterRunner):
    """An int8 .tflite model (bytes) in TFLite-Micro with a tensor arena of `arena_size` bytes."""

    def __init__(self, tflite_bytes, arena_size: int, *, what: str = "tflite model (TFLM)"):
        from gaitnode.quantize.tflm_check import open_interpreter

        self.what = what
        self.arena_size = int(arena_size)
        self._interp = open_interpreter(bytes(tflite_bytes), self.arena_size, what=what)
        self._setup(self._interp.get_input_details(0), self._interp.get_output_details(0))

    def run_raw(self, window: np.ndarray) -> np.ndarray:
        """One already-quantised input [1, W, C] -> the raw output [W] (the node's view of the model)."""
        self._interp.set_input(window, 0)
        self._interp.invoke()
        y = np.array(self._interp.get_output(0))[0].reshape(-1)
        self._interp.reset()  # LSTM state (variable tensors) back to zeros for the next window
        return y

    def recorded_arena(self) -> int:
        """The "Arena allocation total" TFLM reports for this interpreter after one run (bytes)."""
        from gaitnode.quantize.tflm_check import _TOTAL_RE, capture_c_stderr

        with capture_c_stderr() as err:
            self.run_raw(np.zeros((1, *self.input_shape), self.input_dtype))
            self._interp.print_allocations()
        totals = _TOTAL_RE.findall(err.text)
        if not totals:
            raise GaitnodeError(f"{self.what}: TFLM printed no 'Arena allocation total' line")
        return int(totals[-1])
