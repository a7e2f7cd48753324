"""The heel-strike model as the twin runs it: the gn_hs_model description for the C core, and the
inference callback that runs the int8 model in the tflite-micro package's interpreter (real TFLM
kernels), the way the board's TFLM adapter runs it (firmware/src/gn_infer_tflm.cc)."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.twin import abi


@dataclass
class TwinModel:
    """A quantized heel-strike model dir, ready for the twin.

    hs: the gn_hs_model struct for gn_twin_init. tflite: the int8 model bytes.
    arena_bytes: the arena the board builds with (quantize.json), used here too.
    """

    hs: abi.HsModel
    tflite: bytes
    arena_bytes: int
    meta: dict
    quant: dict

    @classmethod
    def from_dir(cls, model_dir) -> "TwinModel":
        from gaitnode.quantize.c_export import PLACEMENT_CODES, channel_index
        from gaitnode.quantize.quantizer import output_paths
        from gaitnode.training.model_dir import load_meta
        from gaitnode.ccore.hs_picker import picker_params

        model_dir = Path(model_dir)
        meta = load_meta(model_dir)
        paths = output_paths(model_dir)
        if not paths["int8_tflite"].is_file() or not paths["report"].is_file():
            raise GaitnodeError(f"{model_dir} has no int8 model: run `gaitnode quantize heel-strike {model_dir} "
                                "--data SESSIONS` first")
        try:
            quant = json.loads(paths["report"].read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise GaitnodeError(f"cannot read {paths['report']}: {e}") from None
        tflite = paths["int8_tflite"].read_bytes()
        channels = list(meta["channels"])
        if len(channels) > abi.GN_MAX_CHANNELS:
            raise GaitnodeError(f"{model_dir}: {len(channels)} channels, the node takes at most {abi.GN_MAX_CHANNELS}")
        hs = abi.HsModel()
        hs.name = b"heel_strike"
        hs.sha256[:] = list(bytes.fromhex(quant["model_sha256"]))
        hs.model_bytes = len(tflite)
        hs.arena_bytes = int(quant["arena_bytes"])
        hs.input.n_channels = len(channels)
        for c, idx in enumerate(channel_index(channels)):
            hs.input.channel[c] = idx
            hs.input.mean[c] = float(meta["norm_mean"][c])
            hs.input.std[c] = float(meta["norm_std"][c])
        hs.input.scale = float(quant["input_scale"])
        hs.input.zero_point = int(quant["input_zero_point"])
        hs.output.window = int(meta["window"])
        hs.output.hop = int(meta["hop"])
        hs.output.output_delay = int(meta["output_delay"])
        hs.output.out_scale = float(quant["output_scale"])
        hs.output.out_zero_point = int(quant["output_zero_point"])
        # the same picker parameters the host-side evaluation uses (threshold, release, refractory)
        hs.picker = picker_params(threshold=float(meta["threshold"]), min_interval_s=float(meta["min_interval_s"]),
                                  rate_hz=float(meta["rate_hz"]))
        placement = PLACEMENT_CODES.get(str(meta["placement"]))
        if placement is None:
            raise GaitnodeError(f"{model_dir}: placement {meta['placement']!r} has no firmware code")
        hs.placement = placement
        return cls(hs=hs, tflite=tflite, arena_bytes=hs.arena_bytes, meta=meta, quant=quant)


class TflmInference:
    """The twin's inference: int8 window in, int8 probabilities out, through TFLM (quantize's
    TFLMRunner, with the arena the board builds with).

    Called from the C core (gn_infer.run) through a ctypes callback. The LSTM state is reset after
    every window, as on the board. Exceptions cannot cross into C: they are kept in `error` and
    the call returns non-zero (the node counts an inference error).
    """

    def __init__(self, model: TwinModel):
        from gaitnode.quantize.runners import TFLMRunner

        self._runner = TFLMRunner(model.tflite, model.arena_bytes, what="twin heel-strike model")
        self._in_shape = (1, *self._runner.input_shape)
        self.error: str | None = None
        self.calls = 0
        self.arena_used = self._runner.recorded_arena()  # what TFLM itself reports using
        self.callback = abi.INFER_FN(self._run)

    def _run(self, model, in_ptr, in_len, out_ptr, out_len) -> int:
        try:
            n_in, n_out = int(np.prod(self._in_shape)), self._runner.output_width
            if model != 0 or in_len != n_in or out_len != n_out:
                raise ValueError(f"model {model}: {in_len} in / {out_len} out, expected {n_in} / {n_out}")
            x = np.ctypeslib.as_array(in_ptr, shape=(in_len,)).reshape(self._in_shape).copy()
            y = np.ascontiguousarray(self._runner.run_raw(x), dtype=np.int8)
            ctypes.memmove(out_ptr, y.ctypes.data, n_out)
            self.calls += 1
            return 0
        except Exception as e:  # noqa: BLE001 - nothing may propagate into C
            self.error = f"{type(e).__name__}: {e}"
            return 1
