"""Build manifests: the firmware id over the image's sources, model hashes from the compiled headers,
the file round trip, and the INFO check that refuses naming both values."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from gaitnode.boards.conftest import fake_model_dir
from gaitnode.boards.config import get_board
from gaitnode.boards.header import write_board_header
from gaitnode.errors import GaitnodeError
from gaitnode.host.build_manifest import (FIRMWARE_DIR, BuildManifest, FirmwareMismatch, firmware_sources,
                                          load_manifest, make_manifest, mismatches, model_sha256, verify_node,
                                          write_manifest)
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import PROTOCOL_VERSION


def gen_dir_for(board: str, model_dir: Path, out: Path) -> Path:
    """What the pre-build step leaves in gaitnode_gen/: the board header and the model's C files."""
    out.mkdir(parents=True, exist_ok=True)
    write_board_header(get_board(board), out, overwrite=True)
    for f in (model_dir / "c").iterdir():
        shutil.copy(f, out / f.name)
    return out


@pytest.fixture
def model(tmp_path) -> Path:
    return fake_model_dir(tmp_path / "model")


def copy_firmware_tree(dst: Path) -> Path:
    for folder in ("src", "lib/gaitnode_core/src"):
        shutil.copytree(FIRMWARE_DIR / folder, dst / folder, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    shutil.copy(FIRMWARE_DIR / "platformio.ini", dst / "platformio.ini")
    return dst


def test_sources_are_the_image_sources_by_relative_name(model, tmp_path):
    gen = gen_dir_for("esp32", model, tmp_path / "gen")
    names = [name for name, _ in firmware_sources(get_board("esp32"), ["heel_strike"], gen)]
    assert names == sorted(names)
    for expected in ("firmware/platformio.ini", "firmware/src/main.cpp", "firmware/src/models.cpp",
                     "firmware/lib/gaitnode_core/src/gn_node.c", "gaitnode_gen/gn_board_esp32.h",
                     "gaitnode_gen/heel_strike_model_data.cc", "gaitnode_gen/heel_strike_model_config.h"):
        assert expected in names
    assert not any("__pycache__" in n or "/." in n for n in names)


def test_firmware_id_depends_on_the_sources_not_on_where_they_are(model, tmp_path):
    board = get_board("esp32")
    gen = gen_dir_for("esp32", model, tmp_path / "gen")
    first = make_manifest(board, {"heel_strike": model}, gen)
    assert re.fullmatch(r"0\.1\.0\+[0-9a-f]{8}", first.firmware) and len(first.firmware) <= 15
    assert first.firmware.endswith(first.source_sha256[:8]) and first.env == "esp32"
    assert first.protocol == PROTOCOL_VERSION and first.sources > 20

    tree = copy_firmware_tree(tmp_path / "elsewhere")
    gen2 = gen_dir_for("esp32", model, tmp_path / "gen2")
    assert make_manifest(board, {"heel_strike": model}, gen2, firmware_dir=tree).firmware == first.firmware

    main = tree / "src" / "main.cpp"
    main.write_bytes(main.read_bytes() + b"\n")
    edited = make_manifest(board, {"heel_strike": model}, gen2, firmware_dir=tree)
    assert edited.firmware != first.firmware

    other_model = fake_model_dir(tmp_path / "other", model_bytes=34521)
    gen3 = gen_dir_for("esp32", other_model, tmp_path / "gen3")
    assert make_manifest(board, {"heel_strike": other_model}, gen3).firmware != first.firmware


def test_model_hash_is_what_the_firmware_compiles(twin_model_dir, model, tmp_path):
    sha = model_sha256("heel_strike", twin_model_dir / "c" / "heel_strike_model_config.h", twin_model_dir)
    assert sha == hashlib.sha256((twin_model_dir / "model_int8.tflite").read_bytes()).hexdigest()
    gen = gen_dir_for("esp32", model, tmp_path / "gen")
    built = make_manifest(get_board("esp32"), {"heel_strike": model}, gen)
    assert built.models == {"heel_strike": json.loads((model / "quantize.json").read_text())["model_sha256"]}
    assert built.model_dirs == {"heel_strike": str(model.resolve())}


def test_stale_model_sources_are_refused(model, tmp_path):
    q = json.loads((model / "quantize.json").read_text())
    q["model_sha256"] = "0" * 64
    (model / "quantize.json").write_text(json.dumps(q))
    with pytest.raises(GaitnodeError, match="quantize.json says model sha256 0000.* the C sources are stale"):
        model_sha256("heel_strike", model / "c" / "heel_strike_model_config.h", model)


def test_board_manifest_needs_the_generated_sources_and_every_model(model, tmp_path):
    board = get_board("esp32")
    with pytest.raises(GaitnodeError, match="needs --gen-dir"):
        make_manifest(board, {"heel_strike": model})
    gen = tmp_path / "gen"
    gen.mkdir()
    with pytest.raises(GaitnodeError, match=r"gen/gn_board_esp32\.h is missing: the pre-build step writes it"):
        make_manifest(board, {"heel_strike": model}, gen)
    with pytest.raises(GaitnodeError, match="no model dir for heel_strike"):
        make_manifest(board, {}, gen_dir_for("esp32", model, gen))
    with pytest.raises(GaitnodeError, match="vo2 is not among the board's models"):
        make_manifest(board, {"heel_strike": model, "vo2": model}, gen)


def test_twin_manifest(twin_model_dir):
    t = make_manifest(get_board("twin200"), {"heel_strike": twin_model_dir})
    assert (t.board, t.env, t.firmware, t.source_sha256) == ("twin200", None, "gaitnode-twin-1", None)
    assert t.models["heel_strike"] == hashlib.sha256((twin_model_dir / "model_int8.tflite").read_bytes()).hexdigest()
    assert make_manifest(get_board("twin"), {}).models == {}  # the classical detector only


def test_file_round_trip_and_bad_files(model, tmp_path):
    built = make_manifest(get_board("esp32"), {"heel_strike": model}, gen_dir_for("esp32", model, tmp_path / "g"))
    path = write_manifest(built, tmp_path / "out" / "gaitnode_build.json")
    assert load_manifest(path) == built
    with pytest.raises(GaitnodeError, match=r"no build manifest at .*nope\.json: build first"):
        load_manifest(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(GaitnodeError, match="not readable JSON"):
        load_manifest(bad)
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(GaitnodeError, match="not a gaitnode build manifest"):
        load_manifest(bad)
    d = built.as_dict()
    d["models"] = {"heel_strike": "xyz"}
    bad.write_text(json.dumps(d))
    with pytest.raises(GaitnodeError, match="64-digit sha256 hex"):
        load_manifest(bad)
    del d["firmware"]
    d["models"] = {}
    bad.write_text(json.dumps(d))
    with pytest.raises(GaitnodeError, match="field 'firmware' is missing"):
        load_manifest(bad)


SHA_A, SHA_B, SHA_C = "1a2b" * 16, "9f8e" * 16, "c0de" * 16


def info(firmware="0.1.0+1a2b3c4d", board="esp32", models=(("heel_strike", SHA_A),), protocol=PROTOCOL_VERSION):
    return m.Info(protocol, firmware, board, 100, 16, 2000, 4900, 256, m.MAX_BATCH, 0, 0, 0,
                  tuple(m.InfoModel(name, bytes.fromhex(sha), 34520, 15584) for name, sha in models))


BUILD = BuildManifest(board="esp32", env="esp32", firmware="0.1.0+1a2b3c4d", protocol=PROTOCOL_VERSION,
                      models={"heel_strike": SHA_A})


def test_matching_node_passes():
    assert mismatches(info(), BUILD) == []
    verify_node(info(), BUILD)


def test_each_difference_names_both_values():
    assert mismatches(info(models=(("heel_strike", SHA_B),)), BUILD) == [
        f"model heel_strike on the node has sha256 {SHA_B}, the build has {SHA_A}"]
    assert mismatches(info(firmware="0.1.0+ffffffff"), BUILD) == [
        "the node runs firmware '0.1.0+ffffffff', the build is '0.1.0+1a2b3c4d'"]
    assert mismatches(info(board="esp32s3"), BUILD) == ["the node is board 'esp32s3', the build is for 'esp32'"]
    assert mismatches(info(protocol=PROTOCOL_VERSION + 1), BUILD) == [
        f"the node speaks protocol {PROTOCOL_VERSION + 1}, the build {PROTOCOL_VERSION}"]
    assert "this gaitnode speaks" in mismatches(info(protocol=9), replace(BUILD, protocol=9))[0]


def test_missing_and_extra_models():
    missing = mismatches(info(models=()), BUILD)
    assert len(missing) == 1 and missing[0].startswith(f"the node reports no model heel_strike, the build has it "
                                                       f"(sha256 {SHA_A})")
    extra = mismatches(info(models=(("heel_strike", SHA_A), ("vo2", SHA_C))), BUILD)
    assert extra == [f"the node reports model vo2 (sha256 {SHA_C}), which the build does not have"]


def test_refusal_lists_every_problem_in_one_message():
    with pytest.raises(FirmwareMismatch) as e:
        verify_node(info(firmware="0.1.0+ffffffff", models=(("heel_strike", SHA_B),)), BUILD,
                    where="the node on /dev/ttyUSB0")
    text = str(e.value)
    assert text.startswith("the node on /dev/ttyUSB0 does not run this build: ")
    assert "'0.1.0+ffffffff'" in text and SHA_A in text and SHA_B in text
    assert text.endswith(": refusing to continue (flash again, or pass the matching --manifest)")
    assert isinstance(e.value, GaitnodeError)
