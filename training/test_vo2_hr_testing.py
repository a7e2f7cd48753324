"""The test helpers: cut sequences and the tiny real CPET set."""

import numpy as np

from gaitnode.training.vo2_hr_testing import cut, tiny_cpet


def test_tiny_cpet_gives_real_tests_cut_to_length():
    tests = tiny_cpet(2, 100)
    assert [t.name for t in tests] == ["ramp_1", "ramp_2"]
    assert all(len(t) == 100 and len(t.vo2_ml_min) == 100 and not t.synthetic for t in tests)


def test_cut_copies_every_per_second_array():
    t = tiny_cpet(1, 300)[0]
    c = cut(t, 50)
    c.hr_bpm[0] = -1.0
    assert t.hr_bpm[0] != -1.0 and len(c.t_s) == 50 and np.array_equal(c.vo2_ml_min, t.vo2_ml_min[:50])
