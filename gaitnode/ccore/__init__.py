"""The firmware C core (firmware/lib/gaitnode_core) on the host, through ctypes.

The heel-strike and estimate units are written once in portable C11 for the nodes; this package
compiles them with the system C compiler (build.py) and wraps them as algorithm objects:
GyroHeelStrikeDetector (gyro_hs.py), HeelStrikePicker (hs_picker.py) and AcsmVo2Estimator with
acsm_vo2_ml_kg_min / acsm_series (acsm.py: the ACSM walking equation and the node's VO2 estimate stage).
"""

from gaitnode.ccore.acsm import AcsmVo2Estimator, acsm_series, acsm_vo2_ml_kg_min
from gaitnode.ccore.gyro_hs import GyroHeelStrikeDetector, GyroHeelStrikeStream
from gaitnode.ccore.hs_picker import HeelStrikePicker, HeelStrikePickerStream

__all__ = ["AcsmVo2Estimator", "GyroHeelStrikeDetector", "GyroHeelStrikeStream", "HeelStrikePicker",
           "HeelStrikePickerStream", "acsm_series", "acsm_vo2_ml_kg_min"]
