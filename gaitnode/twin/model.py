"""The models as the twin runs them: the gn_hs_model and gn_vo2_model descriptions for the C core, and
the inference callback that runs the int8 models in the tflite-micro package's interpreter (real
TFLM kernels), the way the board's TFLM adapter runs them (firmware/src/gn_infer_tflm.cc): model 0
the heel-strike model, 1 the VO2 model, 2 the gait-phase model, 3 the activity model (gn_infer.h),
each with its own interpreter and the arena the board builds with (on boards they share one arena:
the twin's interpreters are separate, which changes no output)."""

from __future__ import annotations

import ctypes
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.twin import abi


def _input_params(model_dir: Path, meta: dict, quant: dict) -> abi.QuantParams:
    """gn_quant_params of a model: its channels' places in the core's sample, normalisation and int8
    input quantisation. GaitnodeError for more channels than the node takes."""
    from gaitnode.quantize.c_export import channel_index

    channels = list(meta["channels"])
    if len(channels) > abi.GN_MAX_CHANNELS:
        raise GaitnodeError(f"{model_dir}: {len(channels)} channels, the node takes at most {abi.GN_MAX_CHANNELS}")
    q = abi.QuantParams()
    q.n_channels = len(channels)
    for c, idx in enumerate(channel_index(channels)):
        q.channel[c] = idx
        q.mean[c] = float(meta["norm_mean"][c])
        q.std[c] = float(meta["norm_std"][c])
    q.scale = float(quant["input_scale"])
    q.zero_point = int(quant["input_zero_point"])
    return q


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
        from gaitnode.quantize.c_export import PLACEMENT_CODES
        from gaitnode.quantize.quantizer import output_paths
        from gaitnode.training.model_dir import load_meta
        from gaitnode.ccore.hs_picker import picker_params

        model_dir = Path(model_dir)
        meta = load_meta(model_dir)
        if meta.get("task") == "vo2":
            raise GaitnodeError(f"{model_dir} is a VO2 model, not a heel-strike model: give it as the VO2 model "
                                "(--vo2-model-dir, vo2_model_dir=)")
        paths = output_paths(model_dir)
        if not paths["int8_tflite"].is_file() or not paths["report"].is_file():
            raise GaitnodeError(f"{model_dir} has no int8 model: run `gaitnode quantize heel-strike {model_dir} "
                                "--data SESSIONS` first")
        try:
            quant = json.loads(paths["report"].read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise GaitnodeError(f"cannot read {paths['report']}: {e}") from None
        tflite = paths["int8_tflite"].read_bytes()
        hs = abi.HsModel()
        hs.name = b"heel_strike"
        hs.sha256[:] = list(bytes.fromhex(quant["model_sha256"]))
        hs.model_bytes = len(tflite)
        hs.arena_bytes = int(quant["arena_bytes"])
        hs.input = _input_params(model_dir, meta, quant)
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


def _quantized(model_dir: Path, name: str, command: str) -> tuple[bytes, dict]:
    """(int8 model bytes, quantize.json) of a quantized model dir; GaitnodeError when it has none, or
    when the two disagree (a stale quantize.json)."""
    from gaitnode.quantize.quantizer import output_paths

    paths = output_paths(model_dir, name)
    if not paths["int8_tflite"].is_file() or not paths["report"].is_file():
        raise GaitnodeError(f"{model_dir} has no int8 model: run `gaitnode quantize {command} {model_dir} "
                            "--data SESSIONS` first")
    try:
        quant = json.loads(paths["report"].read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GaitnodeError(f"cannot read {paths['report']}: {e}") from None
    if not isinstance(quant, dict):
        raise GaitnodeError(f"{paths['report']}: must be a JSON object")
    tflite = paths["int8_tflite"].read_bytes()
    missing = [k for k in ("model_sha256", "arena_bytes", "input_scale", "input_zero_point", "output_scale",
                           "output_zero_point") if k not in quant]
    if missing:
        raise GaitnodeError(f"{paths['report']}: no {missing[0]!r}; quantize the model again")
    if hashlib.sha256(tflite).hexdigest() != quant["model_sha256"]:
        raise GaitnodeError(f"{model_dir}: {paths['int8_tflite'].name} is not the model {paths['report'].name} "
                            f"describes (sha256 differs): quantize the model again")
    return tflite, quant


@dataclass
class TwinVo2Model:
    """A quantized VO2 model dir (model.json with task "vo2", quantize.json, model_int8.tflite), ready
    for the twin on a given board.

    vo2: the gn_vo2_model struct for gn_twin_init. tflite: the int8 model bytes. arena_bytes: the
    arena the board builds with (quantize.json).
    """

    vo2: abi.Vo2Model
    tflite: bytes
    arena_bytes: int
    meta: dict
    quant: dict

    @classmethod
    def from_dir(cls, model_dir, board=None) -> "TwinVo2Model":
        """Load and check a VO2 model dir. board (a boards.yaml Board, optional): the model must run at
        its sample rate and fit its window, channel and model slots. GaitnodeError otherwise."""
        from gaitnode.training.model_dir import load_meta

        model_dir = Path(model_dir)
        meta = load_meta(model_dir)
        if meta.get("task") != "vo2":
            raise GaitnodeError(f"{model_dir} is not a VO2 model (model.json task {meta.get('task')!r}, a VO2 "
                                "model's is 'vo2'); give a trained VO2 model dir quantized with `gaitnode quantize "
                                "vo2`")
        tflite, quant = _quantized(model_dir, "vo2", "vo2")
        channels = list(meta["channels"])
        window, hop = int(meta["window"]), int(meta["hop"])
        if board is not None:
            if "vo2" not in board.models:
                raise GaitnodeError(f"board {board.name} carries no VO2 model (boards.yaml models: "
                                    f"{', '.join(board.models) or 'none'})")
            if float(meta["rate_hz"]) != float(board.sample_rate_hz):
                raise GaitnodeError(f"{model_dir}: the VO2 model was trained at {float(meta['rate_hz']):g} Hz but "
                                    f"board {board.name} samples at {board.sample_rate_hz} Hz")
            if window > board.max_window:
                raise GaitnodeError(f"{model_dir}: the VO2 model's window of {window} samples exceeds board "
                                    f"{board.name}'s max_window {board.max_window}")
            if len(channels) > board.max_channels:
                raise GaitnodeError(f"{model_dir}: the VO2 model's {len(channels)} channels exceed board "
                                    f"{board.name}'s max_channels {board.max_channels}")
        v = abi.Vo2Model()
        v.name = b"vo2"
        v.sha256[:] = list(bytes.fromhex(quant["model_sha256"]))
        v.model_bytes = len(tflite)
        v.arena_bytes = int(quant["arena_bytes"])
        v.input = _input_params(model_dir, meta, quant)
        v.window, v.hop = window, hop
        v.out_scale = float(quant["output_scale"])
        v.out_zero_point = int(quant["output_zero_point"])
        v.smooth_tau_s = float(meta["smooth_tau_s"])
        return cls(vo2=v, tflite=tflite, arena_bytes=v.arena_bytes, meta=meta, quant=quant)


# node model name -> (model.json task, quantize command, infer slot)
CLASSIFIERS = {"phase": ("gait_phase", "phase", abi.GN_INFER_PHASE),
               "activity": ("activity", "activity", abi.GN_INFER_ACTIVITY)}


@dataclass
class TwinClassModel:
    """A quantized classifier dir (gait phase or activity: model.json task "gait_phase" / "activity",
    quantize.json, model_int8.tflite), ready for the twin on a given board.

    cls: the gn_class_model struct for gn_node_add_classifier. slot: its gn_infer index.
    """

    name: str
    slot: int
    cls: abi.ClassModel
    tflite: bytes
    arena_bytes: int
    meta: dict
    quant: dict

    @classmethod
    def from_dir(cls, model_dir, name: str, board=None) -> "TwinClassModel":
        """Load and check a classifier dir for node model `name` ("phase" or "activity"). board (a
        boards.yaml Board, optional): the model must fit its rate (a whole number of samples per row),
        window, channel and model slots. GaitnodeError otherwise."""
        from gaitnode.quantize.classifier_config import class_codes
        from gaitnode.training.model_dir import load_meta
        from gaitnode.training.windows import IMU9

        task, command, slot = CLASSIFIERS[name]
        model_dir = Path(model_dir)
        meta = load_meta(model_dir)
        if meta.get("task") != task:
            raise GaitnodeError(f"{model_dir} is not a {name} model (model.json task {meta.get('task')!r}, a {name} "
                                f"model's is {task!r}); give a model dir quantized with `gaitnode quantize {command}`")
        tflite, quant = _quantized(model_dir, name, command)
        channels = list(meta["channels"])
        extra = [c for c in channels if c not in IMU9]
        if extra:
            raise GaitnodeError(f"{model_dir}: channel {extra[0]!r} is not an IMU channel: a node cannot run this model")
        window, hop, n = int(meta["window"]), int(meta["hop"]), len(meta["classes"])
        rate = float(board.sample_rate_hz) if board is not None else 100.0
        decimate = rate / float(meta["rate_hz"])
        if board is not None:
            if name not in board.models:
                raise GaitnodeError(f"board {board.name} carries no {name} model (boards.yaml models: "
                                    f"{', '.join(board.models) or 'none'})")
            if window > board.max_window:
                raise GaitnodeError(f"{model_dir}: the {name} model's window of {window} rows exceeds board "
                                    f"{board.name}'s max_window {board.max_window}")
            if len(channels) > board.max_channels:
                raise GaitnodeError(f"{model_dir}: the {name} model's {len(channels)} channels exceed board "
                                    f"{board.name}'s max_channels {board.max_channels}")
        if decimate < 1 or abs(decimate - round(decimate)) > 1e-9:
            raise GaitnodeError(f"{model_dir}: the {name} model runs at {float(meta['rate_hz']):g} Hz, which is not the "
                                f"board's {rate:g} Hz divided by a whole number")
        c = abi.ClassModel()
        c.name = name.encode()
        c.sha256[:] = list(bytes.fromhex(quant["model_sha256"]))
        c.model_bytes = len(tflite)
        c.arena_bytes = int(quant["arena_bytes"])
        c.input = _input_params(model_dir, meta, quant)
        c.window, c.hop, c.decimate = window, hop, int(round(decimate))
        c.n_classes = n
        c.last_hop = 1 if meta["output"] == "last_hop" else 0
        for k, code in enumerate(class_codes(meta)):
            c.class_code[k] = code
        c.out_scale = float(quant["output_scale"])
        c.out_zero_point = int(quant["output_zero_point"])
        return cls(name=name, slot=slot, cls=c, tflite=tflite, arena_bytes=c.arena_bytes, meta=meta, quant=quant)


class TflmInference:
    """The twin's inference: int8 window in, int8 output out, through TFLM (quantize's TFLMRunner,
    with the arena the board builds with), one interpreter per model of the table (gn_infer.h):
    0 the heel-strike model (probabilities per sample), 1 the VO2 model (one value), 2 / 3 the
    classifiers (TwinClassModel: softmax outputs, flattened).

    Called from the C core (gn_infer.run) through a ctypes callback. The LSTM state is reset after
    every window, as on the board. Exceptions cannot cross into C: they are kept in `error` and
    the call returns non-zero (the node counts an inference error).
    """

    def __init__(self, model: TwinModel | None = None, vo2: TwinVo2Model | None = None,
                 classifiers: tuple = ()):
        from gaitnode.quantize.runners import TFLMRunner

        self._runners = {}
        if model is not None:
            self._runners[abi.GN_INFER_HEEL_STRIKE] = TFLMRunner(model.tflite, model.arena_bytes,
                                                                 what="twin heel-strike model")
        if vo2 is not None:
            self._runners[abi.GN_INFER_VO2] = TFLMRunner(vo2.tflite, vo2.arena_bytes, what="twin VO2 model")
        for c in classifiers:
            self._runners[c.slot] = TFLMRunner(c.tflite, c.arena_bytes, what=f"twin {c.name} model")
        self.error: str | None = None
        self.calls = 0
        self.calls_by_model = dict.fromkeys(self._runners, 0)
        # what TFLM itself reports using, per model index
        self.arena_used_by_model = {k: r.recorded_arena() for k, r in self._runners.items()}
        self.callback = abi.INFER_FN(self._run)

    @property
    def arena_used(self) -> int:
        """Arena the heel-strike model uses (0 without one)."""
        return self.arena_used_by_model.get(abi.GN_INFER_HEEL_STRIKE, 0)

    def _run(self, model, in_ptr, in_len, out_ptr, out_len) -> int:
        try:
            runner = self._runners.get(model)
            if runner is None:
                raise ValueError(f"model {model}: not in the twin's model table")
            in_shape = (1, *runner.input_shape)
            n_in, n_out = int(np.prod(in_shape)), runner.output_width
            if in_len != n_in or out_len != n_out:
                raise ValueError(f"model {model}: {in_len} in / {out_len} out, expected {n_in} / {n_out}")
            x = np.ctypeslib.as_array(in_ptr, shape=(in_len,)).reshape(in_shape).copy()
            y = np.ascontiguousarray(runner.run_raw(x), dtype=np.int8)
            ctypes.memmove(out_ptr, y.ctypes.data, n_out)
            self.calls += 1
            self.calls_by_model[model] += 1
            return 0
        except Exception as e:  # noqa: BLE001 - nothing may propagate into C
            self.error = f"{type(e).__name__}: {e}"
            return 1
