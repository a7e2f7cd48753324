"""The firmware C core (firmware/lib/gaitnode_core) on the host, through ctypes.

The heel-strike units are written once in portable C11 for the nodes; this package compiles
them with the system C compiler (build.py) and wraps them as algorithm objects:
GyroHeelStrikeDetector (gyro_hs.py) and HeelStrikePicker (hs_picker.py).
"""

from gaitnode.ccore.gyro_hs import GyroHeelStrikeDetector, GyroHeelStrikeStream
from gaitnode.ccore.hs_picker import HeelStrikePicker, HeelStrikePickerStream

__all__ = ["GyroHeelStrikeDetector", "GyroHeelStrikeStream", "HeelStrikePicker", "HeelStrikePickerStream"]
