"""ctypes mirrors of the structs the twin's host side fills (gn_node.h, gn_twin.h), and the
library's prototypes. Sizes are checked against the library at load time, so a header change
that is not mirrored here fails loudly instead of corrupting memory."""

from __future__ import annotations

import ctypes

from gaitnode.ccore.abi import PickerParams
from gaitnode.errors import GaitnodeError

GN_MAX_CHANNELS = 9
GN_NAME_LEN = 16
GN_INFER_HEEL_STRIKE, GN_INFER_VO2, GN_INFER_PHASE, GN_INFER_ACTIVITY = 0, 1, 2, 3  # the model table (gn_infer.h)
GN_INFER_SLOTS = 4
GN_MAX_CLASSES = 8


class QuantParams(ctypes.Structure):
    """gn_quant_params (gn_input.h)."""

    _fields_ = [("n_channels", ctypes.c_uint8), ("channel", ctypes.c_uint8 * GN_MAX_CHANNELS),
                ("mean", ctypes.c_float * GN_MAX_CHANNELS), ("std", ctypes.c_float * GN_MAX_CHANNELS),
                ("scale", ctypes.c_float), ("zero_point", ctypes.c_int32)]


class StitchParams(ctypes.Structure):
    """gn_hs_stitch_params (gn_hs_stitch.h)."""

    _fields_ = [("window", ctypes.c_uint16), ("hop", ctypes.c_uint16), ("output_delay", ctypes.c_uint16),
                ("out_scale", ctypes.c_float), ("out_zero_point", ctypes.c_int32)]


class HsModel(ctypes.Structure):
    """gn_hs_model (gn_node.h)."""

    _fields_ = [("name", ctypes.c_char * GN_NAME_LEN), ("sha256", ctypes.c_uint8 * 32),
                ("model_bytes", ctypes.c_uint32), ("arena_bytes", ctypes.c_uint32),
                ("input", QuantParams), ("output", StitchParams), ("picker", PickerParams),
                ("placement", ctypes.c_uint8)]


class Vo2Model(ctypes.Structure):
    """gn_vo2_model (gn_node.h)."""

    _fields_ = [("name", ctypes.c_char * GN_NAME_LEN), ("sha256", ctypes.c_uint8 * 32),
                ("model_bytes", ctypes.c_uint32), ("arena_bytes", ctypes.c_uint32), ("input", QuantParams),
                ("window", ctypes.c_uint16), ("hop", ctypes.c_uint16), ("out_scale", ctypes.c_float),
                ("out_zero_point", ctypes.c_int32), ("smooth_tau_s", ctypes.c_float)]


class ClassModel(ctypes.Structure):
    """gn_class_model (gn_classify.h)."""

    _fields_ = [("name", ctypes.c_char * GN_NAME_LEN), ("sha256", ctypes.c_uint8 * 32),
                ("model_bytes", ctypes.c_uint32), ("arena_bytes", ctypes.c_uint32), ("input", QuantParams),
                ("window", ctypes.c_uint16), ("hop", ctypes.c_uint16), ("decimate", ctypes.c_uint8),
                ("n_classes", ctypes.c_uint8), ("last_hop", ctypes.c_uint8),
                ("class_code", ctypes.c_uint8 * GN_MAX_CLASSES), ("out_scale", ctypes.c_float),
                ("out_zero_point", ctypes.c_int32)]


class NodeBoard(ctypes.Structure):
    """gn_node_board (gn_node.h)."""

    _fields_ = [("firmware", ctypes.c_char_p), ("board", ctypes.c_char_p), ("sample_rate_hz", ctypes.c_uint16),
                ("acc_range_g", ctypes.c_uint16), ("gyr_range_dps", ctypes.c_uint16),
                ("mag_range_ut", ctypes.c_uint16)]


class Twin(ctypes.Structure):
    """gn_twin (gn_twin.h)."""

    _fields_ = [("fd", ctypes.c_int), ("infer", ctypes.c_void_p), ("imu", ctypes.c_void_p),
                ("arena_used", ctypes.c_uint32 * GN_INFER_SLOTS), ("bytes_written", ctypes.c_uint64),
                ("write_failures", ctypes.c_uint32)]


INFER_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint8, ctypes.POINTER(ctypes.c_int8), ctypes.c_uint32,
                            ctypes.POINTER(ctypes.c_int8), ctypes.c_uint32)
IMU_FN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_uint16)


def declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Set the prototypes of the twin library's functions and check the mirrored struct sizes."""
    vp, u8p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8)
    protos = {
        "gn_twin_init": (ctypes.c_int, [ctypes.POINTER(Twin), vp, ctypes.c_int, INFER_FN, IMU_FN,
                                        ctypes.POINTER(NodeBoard), ctypes.POINTER(HsModel), ctypes.POINTER(Vo2Model)]),
        "gn_twin_size": (ctypes.c_uint32, []),
        "gn_twin_hs_model_size": (ctypes.c_uint32, []),
        "gn_twin_vo2_model_size": (ctypes.c_uint32, []),
        "gn_twin_class_model_size": (ctypes.c_uint32, []),
        "gn_node_add_classifier": (ctypes.c_int, [vp, ctypes.c_uint8, ctypes.POINTER(ClassModel)]),
        "gn_twin_board_size": (ctypes.c_uint32, []),
        "gn_twin_now_us": (ctypes.c_uint64, []),
        "gn_node_size": (ctypes.c_uint32, []),
        "gn_node_start": (None, [vp]),
        "gn_node_rx": (None, [vp, u8p, ctypes.c_uint32]),
        "gn_node_poll": (ctypes.c_uint32, [vp]),
        "gn_node_imu_isr": (None, [vp, ctypes.POINTER(ctypes.c_int16)]),
    }
    for name, (restype, argtypes) in protos.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    for struct, size_fn in ((Twin, "gn_twin_size"), (HsModel, "gn_twin_hs_model_size"),
                            (Vo2Model, "gn_twin_vo2_model_size"), (ClassModel, "gn_twin_class_model_size"),
                            (NodeBoard, "gn_twin_board_size")):
        if ctypes.sizeof(struct) != getattr(lib, size_fn)():
            raise GaitnodeError(f"twin library and gaitnode.twin.abi disagree on {struct.__name__} "
                                f"({getattr(lib, size_fn)()} vs {ctypes.sizeof(struct)} bytes): rebuild or update abi.py")
    return lib
