"""int8 conversion, TFLite-Micro verification and C-array export.

Arrives with the heel-strike model milestone.
"""
