"""ctypes mirrors of the C core's structs and the prototypes of its functions.

Mirrors gn_hs_event.h, gn_gyro_hs.h, gn_hs_picker.h, gn_hs_stitch.h, gn_input.h, gn_acsm.h,
gn_cadence.h and gn_vo2.h field for field; the state structs stay opaque (allocated with the size
the library reports).
"""

from __future__ import annotations

import ctypes

from gaitnode.ccore.build import load_library

c_float_p = ctypes.POINTER(ctypes.c_float)
c_uint8_p = ctypes.POINTER(ctypes.c_uint8)
c_int8_p = ctypes.POINTER(ctypes.c_int8)
c_int16_p = ctypes.POINTER(ctypes.c_int16)

# gn_config.h / gn_sample.h sizes: the host library is built without a board header, so the defaults.
GN_MAX_CHANNELS = 9
GN_AXES = 9

PLACEMENTS = {"shank": 0, "foot": 1}  # gn_placement


class HsEvent(ctypes.Structure):
    """gn_hs_event: index (sample), frac (samples, -0.5..0.5), value (signal at the extremum)."""

    _fields_ = [("index", ctypes.c_uint32), ("frac", ctypes.c_float), ("value", ctypes.c_float)]


class GyroHsParams(ctypes.Structure):
    """gn_gyro_hs_params (units in gn_gyro_hs.h)."""

    _fields_ = [("placement", ctypes.c_int32), ("rate_hz", ctypes.c_float), ("axis_tau_s", ctypes.c_float),
                ("settle_s", ctypes.c_float), ("still_dps", ctypes.c_float), ("quiet_s", ctypes.c_float),
                ("min_peak_dps", ctypes.c_float), ("peak_frac", ctypes.c_float), ("peak_tau_s", ctypes.c_float),
                ("max_search_s", ctypes.c_float), ("refractory_s", ctypes.c_float)]


class PickerParams(ctypes.Structure):
    """gn_hs_picker_params: threshold, release (probability), min_interval (samples)."""

    _fields_ = [("threshold", ctypes.c_float), ("release", ctypes.c_float), ("min_interval", ctypes.c_uint32)]


class StitchParams(ctypes.Structure):
    """gn_hs_stitch_params: window, hop, output_delay (samples), output scale and zero point."""

    _fields_ = [("window", ctypes.c_uint16), ("hop", ctypes.c_uint16), ("output_delay", ctypes.c_uint16),
                ("out_scale", ctypes.c_float), ("out_zero_point", ctypes.c_int32)]


class Scale(ctypes.Structure):
    """gn_scale: physical units per count (m/s^2, deg/s, uT)."""

    _fields_ = [("acc_per_lsb", ctypes.c_float), ("gyr_per_lsb", ctypes.c_float), ("mag_per_lsb", ctypes.c_float)]


class QuantParams(ctypes.Structure):
    """gn_quant_params: channel selection, normalisation and the input tensor's quantisation."""

    _fields_ = [("n_channels", ctypes.c_uint8), ("channel", ctypes.c_uint8 * GN_MAX_CHANNELS),
                ("mean", ctypes.c_float * GN_MAX_CHANNELS), ("std", ctypes.c_float * GN_MAX_CHANNELS),
                ("scale", ctypes.c_float), ("zero_point", ctypes.c_int32)]


Rot = (ctypes.c_float * 3) * 3

SEXES = {"unknown": 0, "female": 1, "male": 2}  # gn_sex (gn_msg.h)


class CadenceParams(ctypes.Structure):
    """gn_cadence_params: strides in the median, stride bounds (s), sample rate (Hz)."""

    _fields_ = [("n_strides", ctypes.c_uint8), ("min_stride_s", ctypes.c_float), ("max_stride_s", ctypes.c_float),
                ("rate_hz", ctypes.c_float)]


class Vo2Params(ctypes.Structure):
    """gn_vo2_params (units in gn_vo2.h)."""

    _fields_ = [("rate_hz", ctypes.c_float), ("acsm_tau_s", ctypes.c_float), ("grade_frac", ctypes.c_float),
                ("model_tau_s", ctypes.c_float), ("model_out_scale", ctypes.c_float),
                ("model_out_zero_point", ctypes.c_int32)]


class Vo2Result(ctypes.Structure):
    """gn_vo2_result: which estimators have a value, smoothed and raw (ml/kg/min)."""

    _fields_ = [("has_acsm", ctypes.c_uint8), ("has_model", ctypes.c_uint8), ("acsm", ctypes.c_float),
                ("model", ctypes.c_float), ("acsm_raw", ctypes.c_float), ("model_raw", ctypes.c_float)]


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    ev_p = ctypes.POINTER(HsEvent)
    protos = {
        "gn_gyro_hs_default_params": (None, [ctypes.POINTER(GyroHsParams), ctypes.c_int32]),
        "gn_gyro_hs_check_params": (ctypes.c_int, [ctypes.POINTER(GyroHsParams)]),
        "gn_gyro_hs_init": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(GyroHsParams)]),
        "gn_gyro_hs_push": (ctypes.c_int, [ctypes.c_void_p, c_float_p, ev_p]),
        "gn_gyro_hs_gap": (None, [ctypes.c_void_p]),
        "gn_gyro_hs_settled": (ctypes.c_int, [ctypes.c_void_p]),
        "gn_gyro_hs_state_size": (ctypes.c_uint32, []),
        "gn_gyro_hs_run": (ctypes.c_uint32, [ctypes.c_void_p, c_float_p, c_uint8_p, ctypes.c_uint32, ev_p,
                                             ctypes.c_uint32]),
        "gn_hs_picker_default_params": (None, [ctypes.POINTER(PickerParams)]),
        "gn_hs_picker_check_params": (ctypes.c_int, [ctypes.POINTER(PickerParams)]),
        "gn_hs_picker_init": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(PickerParams)]),
        "gn_hs_picker_push": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_float, ev_p]),
        "gn_hs_picker_flush": (ctypes.c_int, [ctypes.c_void_p, ev_p]),
        "gn_hs_picker_state_size": (ctypes.c_uint32, []),
        "gn_hs_picker_run": (ctypes.c_uint32, [ctypes.c_void_p, c_float_p, ctypes.c_uint32, ctypes.c_int, ev_p,
                                               ctypes.c_uint32]),
        "gn_hs_stitch_init": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(StitchParams),
                                             ctypes.POINTER(PickerParams)]),
        "gn_hs_stitch_window": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.c_uint32, c_int8_p, ev_p,
                                                  ctypes.c_uint32]),
        "gn_hs_stitch_flush": (ctypes.c_int, [ctypes.c_void_p, ev_p]),
        "gn_hs_stitch_set_trace": (None, [ctypes.c_void_p, c_float_p, ctypes.c_uint32]),
        "gn_hs_stitch_trace_len": (ctypes.c_uint32, [ctypes.c_void_p]),
        "gn_hs_stitch_size": (ctypes.c_uint32, []),
        "gn_scale_from_ranges": (ctypes.c_int, [ctypes.POINTER(Scale), ctypes.c_float, ctypes.c_float,
                                                ctypes.c_float]),
        "gn_input_physical": (None, [ctypes.POINTER(Scale), ctypes.POINTER(Rot), c_int16_p, c_float_p]),
        "gn_quant_check": (ctypes.c_int, [ctypes.POINTER(QuantParams)]),
        "gn_input_quantize": (None, [ctypes.POINTER(QuantParams), c_float_p, c_int8_p]),
        "gn_acsm_step_length_m": (ctypes.c_float, [ctypes.c_uint8, ctypes.c_float]),
        "gn_acsm_speed_m_min": (ctypes.c_float, [ctypes.c_uint8, ctypes.c_float, ctypes.c_float]),
        "gn_acsm_walk_vo2": (ctypes.c_float, [ctypes.c_float, ctypes.c_float]),
        "gn_cadence_default_params": (None, [ctypes.POINTER(CadenceParams)]),
        "gn_cadence_init": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(CadenceParams)]),
        "gn_cadence_push": (None, [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_float]),
        "gn_cadence_size": (ctypes.c_uint32, []),
        "gn_vo2_default_params": (None, [ctypes.POINTER(Vo2Params)]),
        "gn_vo2_init": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(Vo2Params)]),
        "gn_vo2_estimate": (None, [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint8, ctypes.c_float,
                                   ctypes.POINTER(Vo2Result)]),
        "gn_vo2_size": (ctypes.c_uint32, []),
    }
    for name, (restype, argtypes) in protos.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_core: ctypes.CDLL | None = None


def core() -> ctypes.CDLL:
    """The loaded C core with its prototypes declared (built on first use)."""
    global _core
    if _core is None:
        _core = _declare(load_library())
    return _core


def new_state(size: int) -> ctypes.Array:
    """Zeroed, malloc-aligned memory for a C state struct of `size` bytes."""
    return ctypes.create_string_buffer(int(size))
