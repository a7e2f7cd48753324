"""gaitnode: local toolchain for wearable IMU nodes (heel strike + VO2 on the device).

The sub-packages live in top-level folders and are mapped into this namespace by
pyproject.toml: sessions/ -> gaitnode.sessions, simulate/ -> gaitnode.simulate,
metrics/ -> gaitnode.metrics, host/ -> gaitnode.host, training/ -> gaitnode.training,
quantize/ -> gaitnode.quantize.
"""

__version__ = "0.1.0"
