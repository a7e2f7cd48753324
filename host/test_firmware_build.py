"""The PlatformIO wrapper against a fake `pio` on PATH (PlatformIO and its registry are out of reach here).

The fake behaves like `pio run` for the commands the wrapper uses: it reads platformio.ini (unknown
envs are refused as PlatformIO does), runs the project's real pre-build script (scripts/pio_pre.py,
which calls the real gaitnode CLI) unless a test hands it a manifest, writes the build folder's
firmware image, prints PlatformIO's size lines, honours `-t nobuild` / `-t upload` /
`--upload-port` and PLATFORMIO_BUILD_DIR, and in FAKE_PIO_MODE prints what PlatformIO, git,
esptool or the pre-build step print when the network is down, the budget is exceeded, a compile
fails or the upload port is busy or missing.
install_fake_pio() is shared with host/commands/test_firmware_cli.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from gaitnode.boards.conftest import fake_model_dir
from gaitnode.boards.config import get_board
from gaitnode.errors import GaitnodeError
from gaitnode.host import firmware_build as fb
from gaitnode.host.build_manifest import BuildManifest, write_manifest

FAKE_PIO = r'''
import argparse, configparser, json, os, runpy, shutil, sys
from pathlib import Path


class SConsEnv(dict):
    """What scripts/pio_pre.py uses of PlatformIO's SCons environment."""

    def __init__(self, pioenv, project, build_dir):
        super().__init__(PIOENV=pioenv)
        self.vars = {"$PROJECT_DIR": str(project), "$BUILD_DIR": str(build_dir)}

    def subst(self, text):
        for k, v in self.vars.items():
            text = text.replace(k, v)
        return text

    def Exit(self, code):
        sys.exit(code)

    def Append(self, **kw):
        pass

    def BuildSources(self, *a):
        pass


def main(argv):
    log = os.environ.get("FAKE_PIO_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"argv": argv, "models": os.environ.get("GAITNODE_MODELS"),
                                "cli": os.environ.get("GAITNODE_CLI")}) + "\n")
    if not argv or argv[0] != "run":
        print("Error: No such command %r." % (argv[0] if argv else ""))
        return 2
    p = argparse.ArgumentParser(prog="pio run")
    p.add_argument("-d", "--project-dir", default=".")
    p.add_argument("-e", "--environment", action="append", default=[])
    p.add_argument("-t", "--target", action="append", default=[])
    p.add_argument("--upload-port")
    a = p.parse_args(argv[1:])
    project = Path(a.project_dir).resolve()
    ini = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    if not ini.read(project / "platformio.ini"):
        print("Error: Not a PlatformIO project. `platformio.ini` file has not been found in %s" % project)
        return 1
    envs = [s[4:] for s in ini.sections() if s.startswith("env:")]
    unknown = [e for e in a.environment if e not in envs]
    if unknown:
        print("Error: Unknown environment names '%s'. Valid names are '%s'" % (", ".join(unknown), ", ".join(envs)))
        return 1
    env = a.environment[0]
    section = ini["env:" + env]
    build_dir = Path(os.environ.get("PLATFORMIO_BUILD_DIR") or project / ".pio" / "build") / env
    mode = os.environ.get("FAKE_PIO_MODE", "ok")
    print("Processing %s (platform: %s; board: %s; framework: arduino)" % (env, section["platform"], section["board"]))
    print("-" * 70)
    if mode == "offline":
        print("Platform Manager: Installing espressif32 @ 6.10.0")
        print("Error: You are not connected to the Internet.")
        print("PlatformIO needs the Internet connection to download dependent packages or to work with "
              "PlatformIO Account.")
        return 1
    if mode == "git-offline":
        url = "https://github.com/spaziochirale/Chirale_TensorFlowLite.git"
        print("Library Manager: Installing git+%s#v2.0.0" % url)
        print("fatal: unable to access '%s/': Could not resolve host: github.com" % url)
        print("VCSBaseException: VCS: Could not process command ['git', 'clone', '--depth', '1', '%s']" % url)
        return 1
    if mode == "prebuild-fail":  # scripts/pio_pre.py's report (firmware/test_board_sources.py checks its text)
        sys.stderr.write("gaitnode pre-build (env %s): gaitnode: error: %s: flash budget exceeded: models "
                         "heel_strike 300000 B = 300000 B > budget 262144 B\n" % (env, env))
        return 1
    # extra_scripts = pre:scripts/pio_pre.py runs first, also for `-t nobuild`.
    build_dir.mkdir(parents=True, exist_ok=True)
    given = os.environ.get("FAKE_PIO_MANIFEST")
    if given:
        gen = build_dir / "gaitnode_gen"
        gen.mkdir(exist_ok=True)
        shutil.copy(given, gen / "gaitnode_build.json")
    else:
        runpy.run_path(str(project / "scripts" / "pio_pre.py"),
                       init_globals={"Import": lambda name: None, "env": SConsEnv(env, project, build_dir)})
    if "nobuild" not in a.target:
        if mode == "compile-error":
            print("src/main.cpp:70:5: error: 'gn_node_poll' was not declared in this scope")
            print("*** [%s/src/main.cpp.o] Error 1" % build_dir)
            print("========================= [FAILED] Took 3.21 seconds =========================")
            return 1
        (build_dir / "firmware.bin").write_bytes(b"\xe9" + bytes(255))
        print("RAM:   [=         ]   6.5% (used 21344 bytes from 327680 bytes)")
        print("Flash: [==        ]  22.3% (used 292533 bytes from 1310720 bytes)")
    if "upload" in a.target:
        image = build_dir / "firmware.bin"
        if not image.is_file():
            print("scons: *** [upload] Source `%s' not found, needed by target `upload'." % image)
            return 1
        port = a.upload_port or "/dev/ttyUSB0"
        errno = {"upload-busy": "[Errno 16] Device or resource busy",
                 "upload-missing": "[Errno 2] No such file or directory"}.get(mode)
        if errno:
            print("A fatal error occurred: Could not open %s, the port is busy or doesn't exist." % port)
            print("(%s: could not open port %s: %s: '%s')" % (errno.split("]")[0] + "]", port, errno, port))
            print("*** [upload] Error 2")
            return 1
        print("Auto-detected: %s" % port if not a.upload_port else "Uploading %s" % image)
        print("Writing at 0x00010000... (100 %)")
        print("Hard resetting via RTS pin...")
    print("========================= [SUCCESS] Took 1.00 seconds =========================")
    return 0


sys.exit(main(sys.argv[1:]))
'''


class FakePio:
    """The installed fake: its log of calls and the build folder it writes to."""

    def __init__(self, root: Path):
        self.bin = root / "bin"
        self.log = root / "pio-calls.jsonl"
        self.build_dir = root / "pio-build"

    def calls(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def manifest_path(self, env: str) -> Path:
        return self.build_dir / env / "gaitnode_gen" / "gaitnode_build.json"


def install_fake_pio(root: Path, monkeypatch, *, mode: str = "ok", manifest: BuildManifest | None = None) -> FakePio:
    """Put the fake `pio` first on PATH; its builds land in root/pio-build (PLATFORMIO_BUILD_DIR).
    manifest: written as the build's manifest instead of running the pre-build script."""
    fake = FakePio(Path(root))
    fake.bin.mkdir(parents=True, exist_ok=True)
    exe = fake.bin / "pio"
    exe.write_text(f"#!{sys.executable}\n" + FAKE_PIO)
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PLATFORMIO_BUILD_DIR", str(fake.build_dir))
    monkeypatch.setenv("FAKE_PIO_MODE", mode)
    monkeypatch.setenv("FAKE_PIO_LOG", str(fake.log))
    if manifest is not None:
        monkeypatch.setenv("FAKE_PIO_MANIFEST", str(write_manifest(manifest, Path(root) / "given-manifest.json")))
    else:
        monkeypatch.delenv("FAKE_PIO_MANIFEST", raising=False)
    return fake


def esp32_manifest(model: Path) -> BuildManifest:
    return BuildManifest(board="esp32", env="esp32", firmware="0.1.0+1a2b3c4d", protocol=1,
                         models={"heel_strike": json.loads((model / "quantize.json").read_text())["model_sha256"]},
                         model_dirs={"heel_strike": str(model)})


@pytest.fixture
def model(tmp_path) -> Path:
    return fake_model_dir(tmp_path / "model")


def test_build_runs_the_real_pre_build_step_and_reads_its_manifest(model, tmp_path, monkeypatch):
    fake = install_fake_pio(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    seen = []
    result = fb.build(get_board("esp32"), {"heel_strike": Path("model")}, echo=seen.append)
    call = fake.calls()[0]
    assert call["argv"] == ["run", "-d", str(fb.FIRMWARE_DIR), "-e", "esp32"]
    assert call["models"] == f"heel_strike={model.resolve()}"  # absolute: pio_pre resolves from the repo root
    assert call["cli"] == str(Path(sys.executable).parent / "gaitnode")
    m = result.manifest
    assert result.manifest_path == fake.manifest_path("esp32")
    assert (m.board, m.env) == ("esp32", "esp32") and m.firmware.startswith("0.1.0+")
    assert m.models == {"heel_strike": json.loads((model / "quantize.json").read_text())["model_sha256"]}
    assert (result.flash.used, result.flash.total, result.ram.used, result.ram.total) == (292533, 1310720, 21344,
                                                                                          327680)
    assert round(result.flash.percent, 1) == 22.3
    assert "esp32: within budget" in seen  # PlatformIO's output passed through as it came
    gen = fake.manifest_path("esp32").parent
    assert f'#define GN_FIRMWARE_ID "{m.firmware}"' in (gen / "gn_firmware_id.h").read_text()


def test_pre_build_refusal_is_shown_as_such(model, tmp_path, monkeypatch):
    install_fake_pio(tmp_path, monkeypatch, mode="prebuild-fail")
    with pytest.raises(fb.PlatformIOError) as e:
        fb.build(get_board("nano33ble"), {"heel_strike": model})
    assert str(e.value) == ("the pre-build step stopped the build of env nano33ble: nano33ble: flash budget exceeded: "
                            "models heel_strike 300000 B = 300000 B > budget 262144 B")


@pytest.mark.parametrize("mode, said", [
    ("offline", "it said: Error: You are not connected to the Internet."),
    ("git-offline", "Could not resolve host: github.com"),
])
def test_no_network_says_the_registry_is_needed(mode, said, model, tmp_path, monkeypatch):
    install_fake_pio(tmp_path, monkeypatch, mode=mode)
    with pytest.raises(fb.PlatformIOError) as e:
        fb.build(get_board("esp32s3"), {"heel_strike": model})
    text = str(e.value)
    assert text.startswith("PlatformIO could not reach the PlatformIO registry or GitHub")
    assert said in text and "needs a normal internet connection" in text and "env esp32s3" in text


def test_compile_error_shows_the_last_lines(model, tmp_path, monkeypatch):
    install_fake_pio(tmp_path, monkeypatch, mode="compile-error", manifest=esp32_manifest(model))
    with pytest.raises(fb.PlatformIOError) as e:
        fb.build(get_board("esp32"), {"heel_strike": model})
    text = str(e.value)
    assert "run -d" in text and "-e esp32` failed (exit 1); its last lines:" in text
    assert "  src/main.cpp:70:5: error: 'gn_node_poll' was not declared in this scope" in text


def test_a_build_without_a_fresh_manifest_is_refused(model, tmp_path, monkeypatch):
    """A project whose pre-build step does nothing: no manifest, or only one from an older build."""
    fake = install_fake_pio(tmp_path, monkeypatch)
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(fb.FIRMWARE_DIR / "platformio.ini", project / "platformio.ini")
    (project / "scripts" / "pio_pre.py").write_text("")
    refused = "wrote no manifest at .*is `extra_scripts = pre:scripts/pio_pre.py` still in firmware/platformio.ini"
    with pytest.raises(fb.PlatformIOError, match=refused):
        fb.build(get_board("esp32"), {"heel_strike": model}, project_dir=project)
    old = write_manifest(esp32_manifest(model), fake.manifest_path("esp32"))
    os.utime(old, (1_000_000, 1_000_000))
    with pytest.raises(fb.PlatformIOError, match=refused):
        fb.build(get_board("esp32"), {"heel_strike": model}, project_dir=project)


def test_a_manifest_for_another_board_is_refused(model, tmp_path, monkeypatch):
    install_fake_pio(tmp_path, monkeypatch, manifest=esp32_manifest(model))
    with pytest.raises(fb.PlatformIOError, match="describes board 'esp32' .*not 'esp32s3'"):
        fb.build(get_board("esp32s3"), {"heel_strike": model})


def test_upload_uses_nobuild_and_the_port(model, tmp_path, monkeypatch):
    fake = install_fake_pio(tmp_path, monkeypatch, manifest=esp32_manifest(model))
    fb.build(get_board("esp32"), {"heel_strike": model})
    lines = fb.upload(get_board("esp32"), {"heel_strike": model}, port="/dev/ttyUSB7")
    assert fake.calls()[-1]["argv"] == ["run", "-d", str(fb.FIRMWARE_DIR), "-e", "esp32", "-t", "nobuild", "-t",
                                        "upload", "--upload-port", "/dev/ttyUSB7"]
    assert "Hard resetting via RTS pin..." in lines


@pytest.mark.parametrize("mode, message", [
    ("upload-busy", "upload failed: /dev/ttyUSB7 is busy; close the monitor"),
    ("upload-missing", "upload failed: /dev/ttyUSB7 does not exist; is the board plugged in?"),
])
def test_upload_port_problems(mode, message, model, tmp_path, monkeypatch):
    install_fake_pio(tmp_path, monkeypatch, mode=mode, manifest=esp32_manifest(model))
    fb.build(get_board("esp32"), {"heel_strike": model})
    with pytest.raises(fb.PlatformIOError) as e:
        fb.upload(get_board("esp32"), {"heel_strike": model}, port="/dev/ttyUSB7")
    assert str(e.value).startswith(message)


def test_upload_without_a_build(model, tmp_path, monkeypatch):
    install_fake_pio(tmp_path, monkeypatch, manifest=esp32_manifest(model))
    with pytest.raises(fb.PlatformIOError, match=r"(?s)failed \(exit 1\).*firmware\.bin' not found, needed by target"):
        fb.upload(get_board("esp32"), {"heel_strike": model})


def test_twin_boards_have_no_build(model):
    with pytest.raises(GaitnodeError, match="board twin200 has no PlatformIO build: it is the host-built twin"):
        fb.build(get_board("twin200"), {"heel_strike": model})


def test_pio_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(fb, "PIO_HOME_BIN", tmp_path / "penv" / "bin")
    with pytest.raises(fb.PlatformIOError) as e:
        fb.find_pio()
    assert "PlatformIO is not installed (no `pio` or `platformio` on PATH): install it with `pip install " \
           "platformio`" in str(e.value)
    assert "needs a normal internet connection" in str(e.value)


def test_where_pio_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    penv = tmp_path / "penv" / "bin"
    monkeypatch.setattr(fb, "PIO_HOME_BIN", penv)
    pkg = tmp_path / "site" / "platformio"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert fb.find_pio() == [sys.executable, "-m", "platformio"]  # installed as a package only
    penv.mkdir(parents=True)
    (penv / "pio").write_text("#!/bin/sh\n")
    (penv / "pio").chmod(0o755)
    assert fb.find_pio() == [str(penv / "pio")]  # PlatformIO's own installer
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "platformio").write_text("#!/bin/sh\n")
    (tmp_path / "path" / "platformio").chmod(0o755)
    assert fb.find_pio() == [str(tmp_path / "path" / "platformio")]  # PATH first


def test_size_lines_are_optional():
    assert fb.parse_sizes(["Building .pio/build/esp32/firmware.bin", "esptool.py v4.5"]) == (None, None)
