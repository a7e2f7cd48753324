"""Building and loading the firmware C core; the portability rules of its sources."""

import ctypes
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from gaitnode.ccore import abi, build
from gaitnode.errors import GaitnodeError

# Math functions the core may call; anything else (malloc, printf, ...) breaks the no-heap/no-stdio rule.
# libm's float functions and the two memory copies; no malloc, no stdio. The core's own gn_*
# functions may call each other.
ALLOWED_UNDEFINED = {"sqrtf", "expf", "fabsf", "fmaxf", "fminf", "floorf", "roundf", "memcpy", "memset"}
ALL_CORE_SOURCES = sorted(p.name for p in build.SRC_DIR.glob("*.c"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GAITNODE_CCORE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_builds_into_the_cache_dir_once(cache_dir):
    lib = build.build_library()
    assert lib.is_file() and lib.parent.parent == cache_dir
    mtime = lib.stat().st_mtime_ns
    assert build.build_library() == lib
    assert lib.stat().st_mtime_ns == mtime  # cached, not rebuilt
    loaded = ctypes.CDLL(str(lib))
    assert loaded.gn_gyro_hs_state_size() > 0


def test_parallel_builds_race_safely(cache_dir):
    with ThreadPoolExecutor(4) as pool:
        libs = list(pool.map(lambda _: build.build_library(), range(4)))
    assert len(set(libs)) == 1 and libs[0].is_file()
    assert [p.name for p in libs[0].parent.iterdir()] == [build.LIB_NAME]  # no temporary files left


def test_source_change_gives_a_new_build(cache_dir, tmp_path, monkeypatch):
    first = build.build_library()
    src = tmp_path / "src"
    shutil.copytree(build.SRC_DIR, src)
    with open(src / "gn_hs_picker.c", "a") as f:
        f.write("\n/* edited */\n")
    monkeypatch.setattr(build, "SRC_DIR", src)
    second = build.build_library()
    assert second != first and second.is_file()


@pytest.mark.parametrize("source", ALL_CORE_SOURCES)
def test_strict_flags_compile_without_warnings(source, tmp_path):
    run = build.strict_compile(build.SRC_DIR / source, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""


@pytest.mark.parametrize("source", ALL_CORE_SOURCES)
def test_objects_use_no_heap_and_no_stdio(source, tmp_path):
    run = build.strict_compile(build.SRC_DIR / source, tmp_path, ("-O0",))
    assert run.returncode == 0, run.stderr
    nm = subprocess.run(["nm", "-u", str(tmp_path / (source[:-2] + ".o"))], capture_output=True, text=True,
                        check=True)
    undefined = {line.split()[-1] for line in nm.stdout.splitlines() if line.strip()}
    undefined = {s for s in undefined if not s.startswith("gn_")}
    assert undefined <= ALLOWED_UNDEFINED, undefined - ALLOWED_UNDEFINED


def test_headers_compile_as_cpp(tmp_path):
    src = tmp_path / "use.cpp"
    src.write_text('#include "gn_gyro_hs.h"\n#include "gn_hs_picker.h"\n'
                   "int main() { gn_hs_picker_state s; gn_hs_picker_params p;\n"
                   "  gn_hs_picker_default_params(&p); return gn_hs_picker_init(&s, &p); }\n")
    run = subprocess.run([build.find_compiler(), "-x", "c++", "-std=c++11", "-Wall", "-Wextra", "-Werror",
                          "-fsyntax-only", "-I", str(build.SRC_DIR), str(src)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_abi_mirror_reads_the_c_defaults():
    lib = abi.core()
    p = abi.GyroHsParams()
    lib.gn_gyro_hs_default_params(ctypes.byref(p), abi.PLACEMENTS["foot"])
    assert (p.placement, p.rate_hz, p.settle_s, p.refractory_s) == (1, 100.0, 2.0, pytest.approx(0.4))
    q = abi.PickerParams()
    lib.gn_hs_picker_default_params(ctypes.byref(q))
    assert (q.threshold, q.release, q.min_interval) == (0.5, pytest.approx(0.4), 35)


def test_missing_compiler_is_one_clear_error(cache_dir, monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/bin/cc")
    with pytest.raises(GaitnodeError, match="no C compiler found"):
        build.build_library()


def test_missing_sources_are_one_clear_error(cache_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "SRC_DIR", tmp_path / "nowhere")
    with pytest.raises(GaitnodeError, match="gn_gyro_hs.c is missing"):
        build.build_library()


def test_compile_failure_reports_the_compiler_message(cache_dir, tmp_path, monkeypatch):
    src = tmp_path / "src"
    shutil.copytree(build.SRC_DIR, src)
    (src / "gn_hs_picker.c").write_text("int broken(void) { return undeclared_name; }\n")
    monkeypatch.setattr(build, "SRC_DIR", src)
    with pytest.raises(GaitnodeError, match="undeclared_name"):
        build.build_library()
    out_dirs = list(cache_dir.iterdir())
    assert all(not any(d.iterdir()) for d in out_dirs)  # the failed build left nothing behind


def test_unwritable_cache_dir_is_one_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("GAITNODE_CCORE_DIR", str(blocker / "sub"))
    with pytest.raises(GaitnodeError, match="GAITNODE_CCORE_DIR"):
        build.build_library()
    assert os.path.isfile(blocker)
