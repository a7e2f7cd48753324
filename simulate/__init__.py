"""Synthetic sessions: subjects, protocols and physiology (docs/physiology.md), gait timing,
segment kinematics and the IMU sensor model (docs/simulator.md), composed by `Simulator`.

Import the pieces from their modules, e.g. ``from gaitnode.simulate.simulator import Simulator``.
"""
