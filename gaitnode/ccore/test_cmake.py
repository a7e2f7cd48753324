"""gaitnode.ccore.cmake: the CMake build of the firmware core, on small copies of the firmware tree."""

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gaitnode.ccore import cmake
from gaitnode.errors import GaitnodeError

SRC = cmake.FIRMWARE_DIR / "lib" / "gaitnode_core" / "src"

# A core source that uses the configured window size, so a board header is visible in the build.
CORE_C = """#include "gn_config.h"
#include "gn_tiny.h"
unsigned gn_tiny_window(void) { return (unsigned)GN_MAX_WINDOW; }
"""
CORE_H = "#ifndef GN_TINY_H\n#define GN_TINY_H\nunsigned gn_tiny_window(void);\n#endif\n"
TEST_C = """#include "gn_test.h"
#include "gn_tiny.h"
static void test_window(void) { GN_CHECK_EQ_INT(gn_tiny_window(), EXPECTED); }
int main(void) { GN_RUN(test_window); return gn_test_finish("%s"); }
"""


def make_tree(root: Path, tests: dict[str, int] | None = None, extra_core: str | None = None) -> Path:
    """A firmware tree with the real CMake files, one tiny core unit and C tests expecting a window."""
    fw = root / "fw"
    shutil.copytree(cmake.FIRMWARE_DIR / "cmake", fw / "cmake")
    shutil.copytree(cmake.FIRMWARE_DIR / "test" / "qemu", fw / "test" / "qemu")
    shutil.copy(cmake.FIRMWARE_DIR / "CMakeLists.txt", fw)
    shutil.copy(cmake.FIRMWARE_DIR / "test" / "gn_test.h", fw / "test")
    src = fw / "lib" / "gaitnode_core" / "src"
    src.mkdir(parents=True)
    shutil.copy(SRC / "gn_config.h", src)
    (src / "gn_tiny.c").write_text(CORE_C)
    (src / "gn_tiny.h").write_text(CORE_H)
    if extra_core:
        (src / "gn_extra.c").write_text(extra_core)
    for name, expected in (tests or {}).items():
        (fw / "test" / f"test_{name}.c").write_text(f"#define EXPECTED {expected}\n" + TEST_C % name)
    return fw


def path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only links to the given tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return str(bin_dir)


def test_default_build_dirs_are_per_kind_and_board():
    root = cmake.REPO / "build" / "firmware"
    assert cmake.default_build_dir("host") == root / "host"
    assert cmake.default_build_dir("arm") == root / "arm"
    assert cmake.default_build_dir("host", "twin") == root / "host-twin"
    assert cmake.default_build_dir("host", sanitize=False) == root / "host-nosan"
    assert cmake.default_build_dir("arm", "nrf52840dk", sanitize=False) == root / "arm-nrf52840dk"


def test_missing_cmake_names_the_apt_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_with(tmp_path))
    with pytest.raises(GaitnodeError, match=r"cmake not found.*apt-get install --no-install-recommends cmake"):
        cmake.build_firmware("host", build_dir=tmp_path / "b")


def test_missing_cross_compiler_names_the_apt_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_with(tmp_path, "cmake"))
    with pytest.raises(GaitnodeError) as e:
        cmake.build_firmware("arm", build_dir=tmp_path / "b")
    assert "arm-none-eabi-gcc not found" in str(e.value)
    assert "install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi" in str(e.value)


def test_arm_tests_without_qemu_name_the_apt_package(tmp_path, monkeypatch):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "CMakeCache.txt").write_text("GN_TARGET_KIND:INTERNAL=arm\n")
    monkeypatch.setenv("PATH", path_with(tmp_path, "ctest"))
    with pytest.raises(GaitnodeError, match=r"qemu-system-arm not found.*install --no-install-recommends qemu-system-arm"):
        cmake.run_ctest(tmp_path / "b")


def test_bad_requests_are_refused(tmp_path):
    with pytest.raises(GaitnodeError, match="unknown firmware build kind 'esp32'"):
        cmake.build_firmware("esp32")
    with pytest.raises(GaitnodeError, match="not a board key"):
        cmake.build_firmware("host", board="../x", board_header_dir=tmp_path)
    with pytest.raises(GaitnodeError, match="needs board_header_dir"):
        cmake.build_firmware("host", board="twin")
    with pytest.raises(GaitnodeError, match=r"gn_board_twin\.h does not exist.*gaitnode boards header"):
        cmake.build_firmware("host", board="twin", board_header_dir=tmp_path)
    with pytest.raises(GaitnodeError, match="not a configured firmware build"):
        cmake.run_ctest(tmp_path)


def test_strict_warnings_fail_the_build_with_the_compiler_message(tmp_path):
    fw = make_tree(tmp_path, extra_core="float gn_half(float x);\nfloat gn_half(float x) { return x * 0.5; }\n")
    with pytest.raises(GaitnodeError) as e:
        cmake.build_firmware("host", build_dir=tmp_path / "b", targets=["gaitnode_core"], source_dir=fw)
    msg = str(e.value)
    assert msg.startswith("building the firmware core (host) failed")
    assert "gn_extra.c" in msg and "-Werror=double-promotion" in msg


def test_host_tests_run_under_sanitizers_and_failures_show(tmp_path):
    fw = make_tree(tmp_path, {"pass": 128, "fail": 7})
    build_dir = cmake.build_firmware("host", build_dir=tmp_path / "b", source_dir=fw)
    assert sorted(cmake.ctest_names(build_dir)) == ["test_fail", "test_pass"]
    run = cmake.run_ctest(build_dir)
    assert run.returncode != 0
    assert "1 tests failed out of 2" in run.stdout
    assert "gn_tiny_window() == EXPECTED (128 != 7)" in run.stdout  # the failing test's own output
    # The test programs carry the sanitizer runtimes.
    nm = subprocess.run(["nm", str(build_dir / "test_pass")], capture_output=True, text=True).stdout
    assert "__asan_init" in nm and "__ubsan_handle" in nm


def test_board_header_reaches_core_and_tests(tmp_path, monkeypatch):
    monkeypatch.setattr(cmake, "BUILD_ROOT", tmp_path / "builds")
    headers = tmp_path / "headers"
    headers.mkdir()
    (headers / "gn_board_tiny.h").write_text("#define GN_MAX_WINDOW 32\n")
    fw = make_tree(tmp_path, {"window": 32})
    build_dir = cmake.build_firmware("host", board="tiny", board_header_dir=headers, source_dir=fw)
    assert build_dir == cmake.default_build_dir("host", "tiny")  # cached by kind and board
    run = cmake.run_ctest(build_dir, ["-R", "test_window"])
    assert run.returncode == 0, run.stdout


def test_board_header_is_checked_by_gn_config(tmp_path):
    headers = tmp_path / "headers"
    headers.mkdir()
    (headers / "gn_board_bad.h").write_text("#define GN_RING_CAPACITY 100\n")
    fw = make_tree(tmp_path)
    with pytest.raises(GaitnodeError, match="GN_RING_CAPACITY must be a power of two"):
        cmake.build_firmware("host", build_dir=tmp_path / "b", board="bad", board_header_dir=headers,
                             targets=["gaitnode_core"], source_dir=fw)


def test_parallel_builds_of_one_folder_wait_for_each_other(tmp_path):
    fw = make_tree(tmp_path, {"pass": 128})
    with ThreadPoolExecutor(3) as pool:
        dirs = list(pool.map(lambda _: cmake.build_firmware("host", build_dir=tmp_path / "b", source_dir=fw),
                             range(3)))
    assert len(set(dirs)) == 1 and (dirs[0] / "test_pass").is_file()
    assert cmake.run_ctest(dirs[0]).returncode == 0


def test_qemu_exit_code_is_the_test_result(tmp_path):
    fw = make_tree(tmp_path, {"pass": 128, "fail": 3})
    build_dir = cmake.build_firmware("arm", build_dir=tmp_path / "b", source_dir=fw,
                                     targets=["test_pass", "test_fail"])
    qemu = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
            "-semihosting-config", "enable=on,target=native", "-kernel"]
    ok = subprocess.run([*qemu, str(build_dir / "test_pass.elf")], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "pass: 1 checks, 0 failed" in ok.stdout
    bad = subprocess.run([*qemu, str(build_dir / "test_fail.elf")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1  # main's return value: one failed check
    assert "(128 != 3)" in bad.stdout and "fail: 1 checks, 1 failed" in bad.stdout
    run = cmake.run_ctest(build_dir)
    assert run.returncode != 0 and "1 tests failed out of 2" in run.stdout
