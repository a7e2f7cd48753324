"""The firmware core's C unit tests (firmware/test/test_*.c), run through CMake + CTest.

Host: under AddressSanitizer + UBSan. Cortex-M4F: on QEMU mps2-an386, semihosting. Each build must
register exactly one CTest test per test_*.c file, so a test that was not built cannot pass silently.
"""

import re

import pytest

from gaitnode.ccore import cmake


def _run_suite(kind: str) -> None:
    sources = cmake.c_test_sources()
    assert sources, f"no C unit tests in {cmake.FIRMWARE_DIR / 'test'}"
    build_dir = cmake.build_firmware(kind)
    assert sorted(cmake.ctest_names(build_dir)) == sorted(p.stem for p in sources)
    run = cmake.run_ctest(build_dir)
    report = f"{kind} C unit tests failed (ctest in {build_dir}):\n{run.stdout}{run.stderr}"
    m = re.search(r"100% tests passed, 0 tests failed out of (\d+)", run.stdout)
    if run.returncode != 0 or m is None:
        pytest.fail(report, pytrace=False)
    assert int(m.group(1)) == len(sources), report


def test_host_suite_passes_under_asan_and_ubsan():
    _run_suite("host")


def test_arm_suite_passes_on_qemu_mps2_an386():
    _run_suite("arm")
