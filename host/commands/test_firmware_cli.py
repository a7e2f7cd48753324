"""`gaitnode build|flash|verify|manifest` through main(): a fake `pio` on PATH (host/test_firmware_build.py)
and, as the flashed board on its port, the firmware core built for the esp32s3 board behind a pty."""

from __future__ import annotations

import hashlib
import json
import os
from types import SimpleNamespace

import pytest

from gaitnode.boards.conftest import fake_model_dir
from gaitnode.host.build_manifest import BuildManifest, load_manifest, write_manifest
from gaitnode.host.cli import main
from gaitnode.host.test_firmware_build import install_fake_pio
from gaitnode.twin import twin as twin_module

FIRMWARE_ID = "0.1.0+feedbeef"


def model_sha(model_dir) -> str:
    return hashlib.sha256((model_dir / "model_int8.tflite").read_bytes()).hexdigest()


def s3_build(model_dir, firmware=FIRMWARE_ID) -> BuildManifest:
    """The manifest an esp32s3 build with model_dir writes."""
    return BuildManifest(board="esp32s3", env="esp32s3", firmware=firmware, protocol=1,
                         models={"heel_strike": model_sha(model_dir)}, model_dirs={"heel_strike": str(model_dir)})


@pytest.fixture
def board_on_port(twin_model_dir, monkeypatch):
    """Start the core built for esp32s3 on a pty, running the test model; firmware: the id its
    image reports (default: the twin's own)."""
    started = []

    def start(firmware: str | None = None):
        if firmware is not None:
            monkeypatch.setattr(twin_module, "FIRMWARE_VERSION", firmware.encode())
        node = twin_module.TwinNode(twin_model_dir, board="esp32s3").start()
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


def test_build_prints_the_manifest_and_sizes(tmp_path, monkeypatch, capsys):
    model = fake_model_dir(tmp_path / "model")
    sha = json.loads((model / "quantize.json").read_text())["model_sha256"]
    built = BuildManifest(board="esp32", env="esp32", firmware="0.1.0+1a2b3c4d", protocol=1,
                          models={"heel_strike": sha})
    fake = install_fake_pio(tmp_path, monkeypatch, manifest=built)
    assert main(["build", "--board", "esp32", "--model-dir", f"heel_strike={model}"]) == 0
    out = capsys.readouterr().out
    assert "  | Processing esp32 (platform: espressif32 @ 6.10.0" in out  # PlatformIO's output, indented
    assert "board esp32 (env esp32): firmware 0.1.0+1a2b3c4d, protocol 1" in out
    assert f"model heel_strike sha256 {sha}" in out
    assert "image: flash 292533 B of 1310720 B (22.3 %), RAM 21344 B of 327680 B (6.5 %)" in out
    assert f"manifest {fake.manifest_path('esp32')}" in out


def test_build_takes_the_models_from_the_environment(tmp_path, monkeypatch, capsys):
    model = fake_model_dir(tmp_path / "model")
    fake = install_fake_pio(tmp_path, monkeypatch, manifest=BuildManifest(
        board="esp32", env="esp32", firmware="0.1.0+1a2b3c4d", protocol=1, models={}))
    monkeypatch.setenv("GAITNODE_MODELS", f"heel_strike={model}")
    assert main(["build", "--board", "esp32", "--quiet"]) == 0
    assert fake.calls()[0]["models"] == f"heel_strike={model}"
    assert "  | " not in capsys.readouterr().out


def test_build_input_errors(tmp_path, monkeypatch, capsys):
    install_fake_pio(tmp_path, monkeypatch)
    monkeypatch.delenv("GAITNODE_MODELS", raising=False)
    assert main(["build", "--board", "esp32"]) == 2
    assert "no model given: pass --model-dir heel_strike=MODEL_DIR" in capsys.readouterr().err
    assert main(["build", "--board", "esp32", "--model-dir", f"heel_strike={tmp_path / 'nope'}"]) == 2
    assert f"--model-dir heel_strike={tmp_path / 'nope'}: no such folder" in capsys.readouterr().err
    assert main(["build", "--board", "twin", "--model-dir", f"heel_strike={tmp_path}"]) == 2
    assert "board twin has no PlatformIO build" in capsys.readouterr().err
    assert main(["build", "--board", "esp32", "--model-dir", f"heel_strike={tmp_path}"]) == 2
    assert "heel_strike_model_config.h: no such file" in capsys.readouterr().err


def test_build_without_pio_or_network(tmp_path, monkeypatch, capsys):
    model = fake_model_dir(tmp_path / "model")
    install_fake_pio(tmp_path, monkeypatch, mode="offline")
    assert main(["build", "--board", "esp32s3", "--model-dir", f"heel_strike={model}", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitnode: error: PlatformIO could not reach the PlatformIO registry or GitHub")
    assert "needs a normal internet connection" in err and "Traceback" not in err
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr("gaitnode.host.firmware_build.PIO_HOME_BIN", tmp_path / "empty")
    assert main(["build", "--board", "esp32s3", "--model-dir", f"heel_strike={model}"]) == 2
    assert "gaitnode: error: PlatformIO is not installed" in capsys.readouterr().err


def test_flash_builds_uploads_and_verifies_the_node(twin_model_dir, board_on_port, tmp_path, monkeypatch, capsys):
    fake = install_fake_pio(tmp_path, monkeypatch, manifest=s3_build(twin_model_dir))
    node = board_on_port(firmware=FIRMWARE_ID)
    assert main(["flash", "--board", "esp32s3", "--port", node.port, "--model-dir",
                 f"heel_strike={twin_model_dir}", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"verified: the node on {node.port} is board esp32s3, firmware {FIRMWARE_ID}, protocol 1, heel_strike " \
           f"sha256 {model_sha(twin_model_dir)}: it matches the build" in out
    build, up = [c["argv"] for c in fake.calls()]
    assert build[-2:] == ["-e", "esp32s3"]
    assert up[-7:] == ["esp32s3", "-t", "nobuild", "-t", "upload", "--upload-port", node.port]


def test_flash_refuses_a_node_that_runs_other_firmware(twin_model_dir, board_on_port, tmp_path, monkeypatch,
                                                        capsys):
    install_fake_pio(tmp_path, monkeypatch, manifest=s3_build(twin_model_dir))
    node = board_on_port()  # still the old image: the twin's own id
    assert main(["flash", "--board", "esp32s3", "--port", node.port, "--model-dir",
                 f"heel_strike={twin_model_dir}", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"the node on {node.port} does not run this build: the node runs firmware 'gaitnode-twin-1', the build " \
           f"is '{FIRMWARE_ID}': refusing to continue" in err


def test_flash_finds_the_port_by_usb_id(twin_model_dir, board_on_port, tmp_path, monkeypatch, capsys):
    install_fake_pio(tmp_path, monkeypatch, manifest=s3_build(twin_model_dir))
    node = board_on_port(firmware=FIRMWARE_ID)
    cp2102 = SimpleNamespace(device=node.port, description="CP2102N USB to UART Bridge Controller", vid=0x10C4,
                             pid=0xEA60, serial_number="0001")
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [cp2102])
    assert main(["flash", "--board", "esp32s3", "--model-dir", f"heel_strike={twin_model_dir}", "--quiet"]) == 0
    assert f"verified: the node on {node.port} is board esp32s3" in capsys.readouterr().out
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [])
    assert main(["flash", "--board", "esp32s3", "--model-dir", f"heel_strike={twin_model_dir}", "--quiet"]) == 2
    assert "cannot tell which port the esp32s3 is on to verify it (candidates: none): pass --port" in \
        capsys.readouterr().err


def test_flash_no_build_uploads_the_last_build(twin_model_dir, board_on_port, tmp_path, monkeypatch, capsys):
    fake = install_fake_pio(tmp_path, monkeypatch, manifest=s3_build(twin_model_dir))
    node = board_on_port(firmware=FIRMWARE_ID)
    assert main(["flash", "--board", "esp32s3", "--port", node.port, "--no-build"]) == 2
    assert "no build manifest at" in capsys.readouterr().err
    assert main(["build", "--board", "esp32s3", "--model-dir", f"heel_strike={twin_model_dir}", "--quiet"]) == 0
    assert main(["flash", "--board", "esp32s3", "--port", node.port, "--no-build", "--quiet"]) == 0
    assert f"uploading the last build of esp32s3: firmware {FIRMWARE_ID}" in capsys.readouterr().out
    last = fake.calls()[-1]
    assert "nobuild" in last["argv"] and last["models"] == f"heel_strike={twin_model_dir}"
    assert main(["flash", "--board", "esp32s3", "--no-build", "--model-dir", f"heel_strike={twin_model_dir}"]) == 2
    assert "--no-build uploads the last build" in capsys.readouterr().err


def test_flash_upload_busy_and_node_not_coming_back(twin_model_dir, tmp_path, monkeypatch, capsys):
    install_fake_pio(tmp_path, monkeypatch, mode="upload-busy", manifest=s3_build(twin_model_dir))
    args = ["flash", "--board", "esp32s3", "--model-dir", f"heel_strike={twin_model_dir}", "--quiet"]
    assert main(args + ["--port", "/dev/ttyUSB9"]) == 2
    assert "gaitnode: error: upload failed: /dev/ttyUSB9 is busy" in capsys.readouterr().err
    monkeypatch.setenv("FAKE_PIO_MODE", "ok")
    master, slave = os.openpty()  # a port where nothing answers
    silent = os.ttyname(slave)
    try:
        assert main(args + ["--port", silent, "--wait", "0.5"]) == 2
    finally:
        os.close(master)
        os.close(slave)
    err = capsys.readouterr().err
    assert f"after the upload, no gaitnode node came back on {silent} within 0.5 s: no gaitnode node " \
           "answered" in err


def test_verify_the_twin_against_its_manifest(twin_model_dir, tmp_path, capsys):
    manifest = tmp_path / "twin.json"
    assert main(["manifest", "--board", "twin", "--model-dir", f"heel_strike={twin_model_dir}", "-o",
                 str(manifest)]) == 0
    made = load_manifest(manifest)
    assert (made.firmware, made.models) == ("gaitnode-twin-1", {"heel_strike": model_sha(twin_model_dir)})
    assert main(["verify", "--twin", "--model-dir", str(twin_model_dir), "--manifest", str(manifest)]) == 0
    assert "verified: the twin is board twin, firmware gaitnode-twin-1" in capsys.readouterr().out

    other = "9f8e" * 16
    write_manifest(BuildManifest(**{**made.__dict__, "models": {"heel_strike": other}}), tmp_path / "hash.json")
    verify = ["verify", "--twin", "--model-dir", str(twin_model_dir), "--manifest"]
    assert main(verify + [str(tmp_path / "hash.json")]) == 2
    err = capsys.readouterr().err
    assert f"model heel_strike on the node has sha256 {model_sha(twin_model_dir)}, the build has {other}: refusing " \
           "to continue (flash again, or pass the matching --manifest)" in err

    write_manifest(BuildManifest(**{**made.__dict__, "firmware": "0.1.0+00000000"}), tmp_path / "fw.json")
    assert main(verify + [str(tmp_path / "fw.json")]) == 2
    assert "the node runs firmware 'gaitnode-twin-1', the build is '0.1.0+00000000'" in capsys.readouterr().err


def test_verify_twin200_takes_the_board_from_the_manifest(tmp_path, capsys):
    manifest = tmp_path / "twin200.json"
    assert main(["manifest", "--board", "twin200", "-o", str(manifest)]) == 0
    assert main(["verify", "--twin", "--manifest", str(manifest)]) == 0
    assert "verified: the twin is board twin200, firmware gaitnode-twin-1, protocol 1, no models" in \
        capsys.readouterr().out


def test_verify_input_errors(twin_model_dir, tmp_path, capsys):
    assert main(["verify", "--twin"]) == 2
    assert "nothing to compare with: pass --board BOARD (its last build) or --manifest FILE" in capsys.readouterr().err
    assert main(["verify", "--twin", "--board", "twin"]) == 2
    assert "board twin has no PlatformIO build to compare with: pass --manifest FILE" in capsys.readouterr().err
    manifest = tmp_path / "twin.json"
    assert main(["manifest", "--board", "twin", "-o", str(manifest)]) == 0
    assert main(["verify", "--port", "/dev/ttyUSB9", "--twin", "--manifest", str(manifest)]) == 2
    assert "give either a serial port (--port) or --twin, not both" in capsys.readouterr().err
    assert main(["verify", "--port", str(tmp_path / "ttyNONE"), "--manifest", str(manifest)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_manifest_command_errors(tmp_path, capsys):
    out = tmp_path / "m.json"
    assert main(["manifest", "--board", "twin", "-o", str(out)]) == 0
    assert main(["manifest", "--board", "twin", "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    model = fake_model_dir(tmp_path / "model")
    assert main(["manifest", "--board", "esp32", "--model-dir", f"heel_strike={model}", "-o", str(out),
                 "--force"]) == 2
    assert "needs --gen-dir" in capsys.readouterr().err
