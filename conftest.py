"""Fixtures shared by every test folder that talks to a twin (gaitnode/twin, host/, hil_tests/)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def walk():
    """A 40 s synthetic walk the test model has not seen (subject 5)."""
    from gaitnode.twin.testing import simulated_walk

    return simulated_walk(5, 40.0)


@pytest.fixture(scope="session")
def twin_model_dir():
    """A small real quantized heel-strike model (gaitnode.twin.testing.small_heel_strike_model);
    read-only, shared by all tests and workers."""
    from gaitnode.twin.testing import small_heel_strike_model

    return small_heel_strike_model()


@pytest.fixture(scope="session")
def twin_vo2_model_dir():
    """A small real quantized VO2 model (gaitnode.twin.testing.small_vo2_model); read-only, shared."""
    from gaitnode.twin.testing import small_vo2_model

    return small_vo2_model()


@pytest.fixture(scope="session")
def twin_phase_model_dir():
    """A small real quantized gait-phase model (gaitnode.twin.testing.small_phase_model); read-only, shared."""
    from gaitnode.twin.testing import small_phase_model

    return small_phase_model()


@pytest.fixture(scope="session")
def twin_activity_model_dir():
    """A small real quantized activity model (gaitnode.twin.testing.small_activity_model); read-only, shared."""
    from gaitnode.twin.testing import small_activity_model

    return small_activity_model()
