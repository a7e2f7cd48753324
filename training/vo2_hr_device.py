"""Could the VO2-from-HR model run on a node? Its recurrent core in int8, checked in TFLite-Micro.

The model runs once per second, so a node would keep the GRU state and the Kalman state between
calls and run one second of the core per call: features [1, F] and state [1, H] -> new state [1, H] and
the raw heads [1, K] (no loop inside, fixed batch 1). The Kalman update and blend (`kalman_update`:
about 15 float operations) stay outside the int8 model: its VO2 state accumulates steps of a few
ml/min per second, which an int8 tensor (256 levels over the whole VO2 range) would round away.

`Vo2HrDeviceCheck(...).run(model_dir, train, heldout)`:
1. representative (features, state) pairs from the float model run over the training recordings;
2. conversion to full-integer int8 in a child process (`vo2_hr_convert_child`);
3. every tensor int8/int32 (`gaitnode.quantize.tensor_check`), every op in TFLite-Micro's resolver
   (`gaitnode.quantize.op_resolver`), the arena measured in the real TFLM interpreter
   (`gaitnode.quantize.tflm_check.arena_report`);
4. the held-out recordings second by second with the int8 core in TFLM (state re-quantised each
   second, Kalman update in float) against the float model: VO2 difference and each one's MAPE.
Writes step_float.tflite, step_int8.tflite and device.json into the model folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.training.vo2_hr_data import smooth_vo2
from gaitnode.training.vo2_hr_stream import StepWeights, kalman_update
from gaitnode.training.vo2_hr_trainer import Prepared, load_model_dir

DEVICE_FILES = ("step_float.tflite", "step_int8.tflite", "device.json")
MAX_MODEL_BYTES, MAX_ARENA_BYTES = 65536, 32768  # the budgets for an int8 VO2 model


def _inputs(prepared: Prepared, meta: dict, calibration) -> tuple[np.ndarray, float]:
    """Standardised features [T, F] of a whole recording and its v0 (internal unit)."""
    v0 = prepared.calibration(calibration)
    x = prepared.window(0, len(prepared), v0)
    return (x - np.asarray(meta["norm_mean"])) / np.asarray(meta["norm_std"]), v0


def float_run(w: StepWeights, x: np.ndarray, v0: float, architecture: str):
    """(VO2 [T] internal unit, states before each second [T, H]) of the float core + Kalman update."""
    h, v1, v2 = np.zeros(w.units), v0, v0
    out, states = np.empty(len(x)), np.empty((len(x), w.units))
    for t, row in enumerate(x):
        states[t] = h
        h = w.gru_step(row, h)
        heads = h @ w.head_w + w.head_b
        if architecture == "kalman":
            out[t], v = kalman_update(heads, v0, v1, v2)
            v2, v1 = v1, v
        else:
            out[t] = v0 + heads[0]
    return out, states


def _quantize(x, scale, zero_point, dtype):
    info = np.iinfo(dtype)
    q = np.sign(x / scale) * np.floor(np.abs(x / scale) + 0.5) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


class _TflmCore:
    """The int8 core in TFLite-Micro, one second per call (inputs and outputs found by their shapes)."""

    def __init__(self, tflite_bytes: bytes, arena: int, n_features: int, units: int, n_heads: int):
        from gaitnode.quantize.tflm_check import open_interpreter

        if len({n_features, units}) < 2 or len({units, n_heads}) < 2:
            raise GaitnodeError(f"the core's features ({n_features}), state ({units}) and heads ({n_heads}) need "
                                f"distinct sizes to tell its tensors apart")
        self.interp = open_interpreter(tflite_bytes, arena, what="VO2-from-HR core (TFLM)")
        ins = [self.interp.get_input_details(i) for i in range(2)]
        outs = [self.interp.get_output_details(i) for i in range(2)]

        def by_width(details, width):
            for i, d in enumerate(details):
                if int(d["shape"][-1]) == width:
                    q = d["quantization_parameters"]
                    return i, float(np.ravel(q["scales"])[0]), int(np.ravel(q["zero_points"])[0]), np.dtype(d["dtype"])
            raise GaitnodeError(f"VO2-from-HR core: no tensor of width {width}")

        self.x_in, self.h_in = by_width(ins, n_features), by_width(ins, units)
        self.h_out, self.heads_out = by_width(outs, units), by_width(outs, n_heads)

    def __call__(self, x: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        for (idx, s, z, dt), v in ((self.x_in, x), (self.h_in, h)):
            self.interp.set_input(_quantize(np.asarray(v, np.float64)[None], s, z, dt), idx)
        self.interp.invoke()
        res = []
        for idx, s, z, _ in (self.h_out, self.heads_out):
            res.append((np.asarray(self.interp.get_output(idx), np.float64)[0] - z) * s)
        return res[0], res[1]


def tflm_run(core: _TflmCore, x: np.ndarray, v0: float, architecture: str, units: int) -> np.ndarray:
    h, v1, v2 = np.zeros(units), v0, v0
    out = np.empty(len(x))
    for t, row in enumerate(x):
        h, heads = core(row, h)
        if architecture == "kalman":
            out[t], v = kalman_update(heads, v0, v1, v2)
            v2, v1 = v1, v
        else:
            out[t] = v0 + heads[0]
    return out


def _convert(weights: StepWeights, feats: np.ndarray, states: np.ndarray, timeout_s: float) -> tuple[bytes, bytes]:
    from gaitnode.training.vo2_hr_convert_child import ERROR_MARKER

    with tempfile.TemporaryDirectory(prefix="gaitnode-vo2hr-convert-") as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "weights.npz", enc_w=weights.enc_w, enc_b=weights.enc_b, in_w=weights.in_w, in_b=weights.in_b,
                 rec_w=weights.rec_w, rec_b=weights.rec_b, head_w=weights.head_w, head_b=weights.head_b)
        np.savez(tmp / "rep.npz", features=feats.astype(np.float32), state=states.astype(np.float32))
        cmd = [sys.executable, "-m", "gaitnode.training.vo2_hr_convert_child", "--weights", str(tmp / "weights.npz"),
               "--representative", str(tmp / "rep.npz"), "--out-dir", str(tmp)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED="0"),
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise GaitnodeError(f"VO2-from-HR core: TFLite conversion did not finish within {timeout_s:g} s") from None
        if proc.returncode != 0:
            lines = [ln[len(ERROR_MARKER):] for ln in proc.stderr.splitlines() if ln.startswith(ERROR_MARKER)]
            last = lines[-1] if lines else (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise GaitnodeError(f"VO2-from-HR core: TFLite conversion failed (exit status {proc.returncode}): {last}")
        return (tmp / "step_float.tflite").read_bytes(), (tmp / "step_int8.tflite").read_bytes()


class Vo2HrDeviceCheck:
    """int8 + TFLite-Micro check of a VO2-from-HR model's recurrent core (see the module docstring).

    Parameters
    ----------
    n_representative : (features, state) pairs for the int8 calibration.
    max_heldout : held-out recordings run second by second in TFLM (the rest are left out; slow in Python).
    seed : seeds the choice of representative pairs. overwrite : replace the files of an earlier check.
    timeout_s : limit for the converter's child process.

    Results (after `run`)
    ---------------------
    report_ : the device.json dict: int8_bytes, float_bytes, ops, resolver_methods, tensor dtypes,
        arena_bytes (smallest that runs, this 64-bit host: an upper bound for a 32-bit MCU),
        arena_recorded_bytes, within_budget (64 KB model, 32 KB arena), heldout {recordings, seconds,
        vo2_rel_diff_mean_pct, vo2_rel_diff_max_pct, mape_float_pct, mape_tflm_pct}.
    paths_ : the written files.
    """

    def __init__(self, n_representative: int = 600, max_heldout: int = 6, seed: int = 0, overwrite: bool = False,
                 timeout_s: float = 600.0):
        self.n_representative = n_representative
        self.max_heldout = max_heldout
        self.seed = seed
        self.overwrite = overwrite
        self.timeout_s = timeout_s

    def run(self, model_dir, train, heldout, calibration="first_second") -> "Vo2HrDeviceCheck":
        from gaitnode.quantize.op_resolver import resolver_methods
        from gaitnode.quantize.tensor_check import check_integer_only
        from gaitnode.quantize.tflm_check import arena_report

        d = Path(model_dir)
        paths = {name: d / name for name in DEVICE_FILES}
        refuse_existing(list(paths.values()), overwrite=self.overwrite)
        model, meta = load_model_dir(d)
        w = StepWeights.from_model(model, meta)
        arch, use_cad = meta["architecture"], "cadence" in meta["features"]
        train, heldout = list(train), list(heldout)[: self.max_heldout]
        if not train or not heldout:
            raise GaitnodeError("the device check needs training recordings (representative inputs) and held-out ones")
        feats, states = [], []
        for s in train:
            x, v0 = _inputs(Prepared(s, meta["target"], use_cad), meta, calibration)
            _, st = float_run(w, x, v0, arch)
            feats.append(x)
            states.append(st)
        feats, states = np.concatenate(feats), np.concatenate(states)
        pick = np.sort(np.random.default_rng(self.seed).choice(len(feats), min(self.n_representative, len(feats)),
                                                               replace=False))
        float_bytes, int8_bytes = _convert(w, feats[pick], states[pick], self.timeout_s)
        what = f"{d} (VO2-from-HR core, int8)"
        tensors = check_integer_only(int8_bytes, what=what)
        methods = resolver_methods(tensors.ops, what=what)
        arena = arena_report(int8_bytes, what=what)
        core = _TflmCore(int8_bytes, arena.required, feats.shape[1], w.units, w.head_w.shape[1])
        rel, err_f, err_q, n = [], [], [], 0
        for s in heldout:
            p = Prepared(s, meta["target"], use_cad)
            x, v0 = _inputs(p, meta, calibration)
            vf, _ = float_run(w, x, v0, arch)
            vq = tflm_run(core, x, v0, arch, w.units)
            rel.append(np.abs(vq - vf) / np.abs(vf))
            ref = smooth_vo2(s.vo2_ml_min) / (s.mass_kg if meta["target"] == "vo2_ml_kg_min" else 1.0) \
                / meta["target_scale"]
            ok = np.isfinite(ref)
            err_f.append(np.abs(vf[ok] - ref[ok]) / ref[ok])
            err_q.append(np.abs(vq[ok] - ref[ok]) / ref[ok])
            n += len(x)
        rel_all = np.concatenate(rel)
        self.report_ = {
            "what": "the recurrent core (encoder, GRU step, heads) for one second; Kalman update in float outside",
            "architecture": arch, "features": meta["features"], "gru_units": w.units, "heads": int(w.head_w.shape[1]),
            "int8_bytes": len(int8_bytes), "float_bytes": len(float_bytes), "ops": tensors.ops,
            "unique_ops": tensors.unique_ops, "resolver_methods": methods, "tensor_dtypes": tensors.dtype_counts,
            "integer_only": True, "arena_bytes": arena.required, "arena_recorded_bytes": arena.recorded_total,
            "arena_note": "smallest arena that loads and runs on this 64-bit host: an upper bound for a 32-bit MCU",
            "within_budget": len(int8_bytes) <= MAX_MODEL_BYTES and arena.required <= MAX_ARENA_BYTES,
            "budget": {"model_bytes": MAX_MODEL_BYTES, "arena_bytes": MAX_ARENA_BYTES},
            "representative_pairs": int(len(pick)), "calibration": calibration,
            "heldout": {"recordings": [s.name for s in heldout], "seconds": int(n),
                        "data": "synthetic, simulator" if all(s.synthetic for s in heldout) else "real",
                        "vo2_rel_diff_mean_pct": float(100 * rel_all.mean()),
                        "vo2_rel_diff_max_pct": float(100 * rel_all.max()),
                        "mape_float_pct": float(100 * np.mean([e.mean() for e in err_f])),
                        "mape_tflm_pct": float(100 * np.mean([e.mean() for e in err_q]))},
        }
        d.mkdir(parents=True, exist_ok=True)
        paths["step_float.tflite"].write_bytes(float_bytes)
        paths["step_int8.tflite"].write_bytes(int8_bytes)
        paths["device.json"].write_text(json.dumps(self.report_, indent=2, sort_keys=True) + "\n")
        self.paths_ = paths
        return self
