"""Keras training scripts, one per model (heel strike, VO2, gait phase, activity, HR).

Arrives with the heel-strike model milestone; sessions from gaitnode.sessions are the input.
"""
