"""Raw counts -> physical units -> int8 model input: the firmware's C unit gn_input.

The units, the calibration rotation per triad and the quantisation rule (TFLite's affine int8,
halves rounded away from zero, decided on the real quotient) are documented in
firmware/lib/gaitnode_core/src/gn_input.h; this module only moves arrays in and out.
"""

from __future__ import annotations

import ctypes

import numpy as np

from gaitnode.ccore import abi
from gaitnode.errors import GaitnodeError

WHAT = "input quantiser"
CHECK_ERRORS = {
    1: f"needs 1..{abi.GN_MAX_CHANNELS} channels",
    2: f"a channel index is outside 0..{abi.GN_AXES - 1} (acc x,y,z, gyr x,y,z, mag x,y,z)",
    3: "every std must be finite and > 0, every mean finite",
    4: "the input scale must be finite and > 0",
    5: "the input zero point must be in -128..127",
}


def physical_units(raw, acc_range_g: float, gyr_range_dps: float, mag_range_ut: float, rot=None) -> np.ndarray:
    """raw counts int16 [n, 9] -> float32 [n, 9] (acc m/s^2, gyr deg/s, mag uT), each triad turned by rot
    (3x3, optional) as gn_input_physical does on the node."""
    r = np.asarray(raw)
    if r.ndim != 2 or r.shape[1] != abi.GN_AXES or r.dtype.kind not in "iu":
        raise GaitnodeError(f"{WHAT}: raw samples must be integers [n, {abi.GN_AXES}], got shape {r.shape} "
                            f"dtype {r.dtype}")
    if r.size and (r.min() < -32768 or r.max() > 32767):
        raise GaitnodeError(f"{WHAT}: raw samples must be int16 counts")
    r = np.ascontiguousarray(r, dtype=np.int16)
    lib = abi.core()
    scale = abi.Scale()
    if lib.gn_scale_from_ranges(ctypes.byref(scale), float(acc_range_g), float(gyr_range_dps),
                                float(mag_range_ut)) != 0:
        raise GaitnodeError(f"{WHAT}: full-scale ranges must be finite and > 0, got acc {acc_range_g} g, "
                            f"gyr {gyr_range_dps} deg/s, mag {mag_range_ut} uT")
    rot_c = None
    if rot is not None:
        m = np.asarray(rot, dtype=np.float32)
        if m.shape != (3, 3):
            raise GaitnodeError(f"{WHAT}: the rotation must be 3x3, got shape {m.shape}")
        rot_c = abi.Rot(*[(ctypes.c_float * 3)(*row) for row in m.tolist()])
    out = np.zeros((len(r), abi.GN_AXES), np.float32)
    for k in range(len(r)):
        lib.gn_input_physical(ctypes.byref(scale), None if rot_c is None else ctypes.byref(rot_c),
                              r[k].ctypes.data_as(abi.c_int16_p), out[k].ctypes.data_as(abi.c_float_p))
    return out


class InputQuantizer:
    """gn_input_quantize for one model: physical samples [n, 9] -> int8 model input [n, C].

    channels: index into the 9 physical axes per model channel; mean, std: the model's
    normalisation per channel; scale, zero_point: the input tensor's quantisation.
    """

    def __init__(self, channels, mean, std, scale: float, zero_point: int):
        ch = [int(c) for c in channels]
        mean = np.asarray(mean, np.float32).ravel()
        std = np.asarray(std, np.float32).ravel()
        if not 1 <= len(ch) <= abi.GN_MAX_CHANNELS or len(mean) != len(ch) or len(std) != len(ch):
            raise GaitnodeError(f"{WHAT}: {len(ch)} channels with {len(mean)} means and {len(std)} stds; "
                                f"need 1..{abi.GN_MAX_CHANNELS} of each")
        # values that would wrap in the C struct's integer fields (the C check sees the rest)
        if any(not 0 <= c <= 255 for c in ch):
            raise GaitnodeError(f"{WHAT}: {CHECK_ERRORS[2]}")
        if not -2**31 <= int(zero_point) < 2**31:
            raise GaitnodeError(f"{WHAT}: {CHECK_ERRORS[5]}")
        q = abi.QuantParams()
        q.n_channels = len(ch)
        for c in range(len(ch)):
            q.channel[c] = ch[c]
            q.mean[c] = float(mean[c])
            q.std[c] = float(std[c])
        q.scale = float(scale)
        q.zero_point = int(zero_point)
        rc = abi.core().gn_quant_check(ctypes.byref(q))
        if rc != 0:
            raise GaitnodeError(f"{WHAT}: {CHECK_ERRORS.get(rc, f'invalid parameters ({rc})')}")
        self.params = q
        self.n_channels = len(ch)

    def quantize(self, phys) -> np.ndarray:
        """float [n, 9] physical samples -> int8 [n, C]."""
        x = np.asarray(phys)
        if x.ndim != 2 or x.shape[1] != abi.GN_AXES or x.dtype.kind not in "fiu":
            raise GaitnodeError(f"{WHAT}: physical samples must be numbers [n, {abi.GN_AXES}], got shape {x.shape}")
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.zeros((len(x), self.n_channels), np.int8)
        fn = abi.core().gn_input_quantize
        ref = ctypes.byref(self.params)
        for k in range(len(x)):
            fn(ref, x[k].ctypes.data_as(abi.c_float_p), out[k].ctypes.data_as(abi.c_int8_p))
        return out
