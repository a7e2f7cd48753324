"""Board sources against real generated files (no PlatformIO here: its registry is out of reach).

- src/models.cpp is compiled with g++ against the C sources `gaitnode quantize` wrote for a tiny
  real model (trained and quantised here), and the gn_hs_model it fills is compared with
  quantize.json and model.json; likewise gn_vo2_model against a small real VO2 model.
- scripts/pio_pre.py runs under a stand-in for PlatformIO's SCons environment, calling the real
  `gaitnode` CLI: headers, model sources and the build manifest land in the build folder, an
  over-budget model and a missing setup stop the build with their message; src/main.cpp,
  preprocessed with that folder, reports the manifest's firmware id.
- platformio.ini has one env per board of boards.yaml, with the same platform, board and framework.
"""

from __future__ import annotations

import configparser
import json
import math
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaitnode.boards.config import REPO, get_board, load_boards
from gaitnode.boards.conftest import fake_model_dir, repo_boards, write_boards
from gaitnode.boards.header import write_board_header
from gaitnode.host.build_manifest import load_manifest, make_manifest

FIRMWARE = REPO / "firmware"
SRC = FIRMWARE / "src"
CORE = FIRMWARE / "lib" / "gaitnode_core" / "src"

# Fills the model description with models.cpp and prints every field.
MODELS_MAIN = r"""
#include <cstdio>
#include "models.h"
int main() {
    gn_hs_model m;
    int rc = gn_models_fill_heel_strike(&m);
    std::printf("rc %d\nname %s\nsha256 ", rc, m.name);
    for (int i = 0; i < 32; ++i) std::printf("%02x", m.sha256[i]);
    std::printf("\nmodel_bytes %u\narena_bytes %u\nn_channels %u\n", (unsigned)m.model_bytes,
                (unsigned)m.arena_bytes, (unsigned)m.input.n_channels);
    for (int c = 0; c < m.input.n_channels; ++c)
        std::printf("channel %u %.9g %.9g\n", (unsigned)m.input.channel[c], (double)m.input.mean[c],
                    (double)m.input.std[c]);
    std::printf("input %.9g %d\noutput %.9g %d\n", (double)m.input.scale, (int)m.input.zero_point,
                (double)m.output.out_scale, (int)m.output.out_zero_point);
    std::printf("window %u %u %u\n", (unsigned)m.output.window, (unsigned)m.output.hop,
                (unsigned)m.output.output_delay);
    std::printf("picker %.9g %.9g %u\nplacement %u\n", (double)m.picker.threshold, (double)m.picker.release,
                (unsigned)m.picker.min_interval, (unsigned)m.placement);
    return 0;
}
"""


@pytest.fixture(scope="module")
def tiny_quantized(tmp_path_factory):
    """A tiny CNN-LSTM trained one epoch and run through the real quantize step (TFLM-checked C sources)."""
    from gaitnode import tf_env
    from gaitnode.quantize.conftest import build_tiny_model, random_windows, tiny_meta
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.model_dir import save_model_dir

    tf, keras = tf_env.load()
    tf_env.set_seed(0)
    model = build_tiny_model(keras)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = random_windows(32, 1)
    y = (np.random.default_rng(2).random(x.shape[:2]) < 0.15).astype(np.float32)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    d = save_model_dir(tmp_path_factory.mktemp("fw") / "model", model, tiny_meta())
    Quantizer().run(d, random_windows(16, 3), random_windows(6, 4))
    return d


def gen_dir_for(board_name: str, model_dir: Path, out: Path, boards_file=None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    write_board_header(get_board(board_name, boards_file), out)
    for f in (model_dir / "c").iterdir():
        shutil.copy(f, out / f.name)
    return out


def f32(v) -> float:
    """v (a number or its printed %.9g text, which round-trips float32) as the float32 C would hold."""
    return float(np.float32(float(v)))


def test_models_cpp_fills_the_model_from_the_generated_headers(tiny_quantized, tmp_path):
    gen = gen_dir_for("nrf52840dk", tiny_quantized, tmp_path / "gen")
    (tmp_path / "main.cpp").write_text(MODELS_MAIN)
    exe = tmp_path / "models_probe"
    for std in ("c++11", "c++17"):
        proc = subprocess.run(["g++", f"-std={std}", "-Wall", "-Wextra", "-Werror", f"-I{gen}", f"-I{SRC}",
                               f"-I{CORE}", '-DGN_BOARD_HEADER="gn_board_nrf52840dk.h"', "-o", str(exe),
                               str(SRC / "models.cpp"), str(tmp_path / "main.cpp")], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    lines = [line.split() for line in out.splitlines()]
    v = {k[0]: k[1:] for k in lines if k[0] != "channel"}
    channels = [k[1:] for k in lines if k[0] == "channel"]
    q = json.loads((tiny_quantized / "quantize.json").read_text())
    meta = json.loads((tiny_quantized / "model.json").read_text())

    assert v["rc"] == ["0"] and v["name"] == ["heel_strike"]
    assert v["sha256"] == [q["model_sha256"]]
    assert int(v["model_bytes"][0]) == q["model_int8_bytes"] == len((tiny_quantized / "model_int8.tflite").read_bytes())
    assert int(v["arena_bytes"][0]) == q["arena_bytes"]
    assert int(v["n_channels"][0]) == len(meta["channels"]) == len(channels)
    for c, (idx, mean, std) in enumerate(channels):
        assert int(idx) == c  # acc x,y,z, gyr x,y,z are phys[0..5]
        assert f32(mean) == f32(meta["norm_mean"][c]) and f32(std) == f32(meta["norm_std"][c])
    assert f32(v["input"][0]) == f32(q["input_scale"]) and int(v["input"][1]) == q["input_zero_point"]
    assert f32(v["output"][0]) == f32(q["output_scale"]) and int(v["output"][1]) == q["output_zero_point"]
    assert [int(x) for x in v["window"]] == [meta["window"], meta["hop"], meta["output_delay"]]
    threshold = f32(meta["threshold"])
    assert f32(v["picker"][0]) == threshold
    assert f32(v["picker"][1]) == f32(0.8 * float(meta["threshold"]))  # as the host picker builds it
    assert int(v["picker"][2]) == math.floor(meta["min_interval_s"] * meta["rate_hz"] + 0.5)
    assert v["placement"] == ["0"]  # shank


VO2_MAIN = r"""
#include <cstdio>
#include "models.h"
int main() {
    gn_vo2_model m;
    int rc = gn_models_fill_vo2(&m);
    std::printf("rc %d\nname %s\nsha256 ", rc, m.name);
    for (int i = 0; i < 32; ++i) std::printf("%02x", m.sha256[i]);
    std::printf("\nmodel_bytes %u\narena_bytes %u\nn_channels %u\n", (unsigned)m.model_bytes,
                (unsigned)m.arena_bytes, (unsigned)m.input.n_channels);
    for (int c = 0; c < m.input.n_channels; ++c)
        std::printf("channel %u %.9g %.9g\n", (unsigned)m.input.channel[c], (double)m.input.mean[c],
                    (double)m.input.std[c]);
    std::printf("input %.9g %d\noutput %.9g %d\n", (double)m.input.scale, (int)m.input.zero_point,
                (double)m.out_scale, (int)m.out_zero_point);
    std::printf("window %u %u\ntau %.9g\n", (unsigned)m.window, (unsigned)m.hop, (double)m.smooth_tau_s);
    return 0;
}
"""


def four_model_gen(tiny_quantized, out: Path) -> Path:
    """The generated folder of the nano33ble (which carries all four models) with the C sources of
    small real VO2, gait-phase and activity models (gaitnode.twin.testing)."""
    from gaitnode.twin.testing import small_activity_model, small_phase_model, small_vo2_model

    gen = gen_dir_for("nano33ble", tiny_quantized, out)
    for d in (small_vo2_model(), small_phase_model(), small_activity_model()):
        for f in (d / "c").iterdir():
            shutil.copy(f, gen / f.name)
    return gen


def test_models_cpp_fills_the_vo2_model_from_its_generated_header(tiny_quantized, tmp_path):
    """A board that carries the VO2 model (nano33ble: GN_MODEL_VO2 1) with the C sources of a real
    small VO2 model (gaitnode.twin.testing.small_vo2_model)."""
    from gaitnode.twin.testing import small_vo2_model

    vo2 = small_vo2_model()
    gen = four_model_gen(tiny_quantized, tmp_path / "gen")
    (tmp_path / "main.cpp").write_text(VO2_MAIN)
    exe = tmp_path / "vo2_probe"
    for std in ("c++11", "c++17"):
        proc = subprocess.run(["g++", f"-std={std}", "-Wall", "-Wextra", "-Werror", f"-I{gen}", f"-I{SRC}",
                               f"-I{CORE}", '-DGN_BOARD_HEADER="gn_board_nano33ble.h"', "-o", str(exe),
                               str(SRC / "models.cpp"), str(tmp_path / "main.cpp")], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    lines = [line.split() for line in out.splitlines()]
    v = {k[0]: k[1:] for k in lines if k[0] != "channel"}
    channels = [k[1:] for k in lines if k[0] == "channel"]
    q = json.loads((vo2 / "quantize.json").read_text())
    meta = json.loads((vo2 / "model.json").read_text())
    assert v["rc"] == ["0"] and v["name"] == ["vo2"] and v["sha256"] == [q["model_sha256"]]
    assert int(v["model_bytes"][0]) == len((vo2 / "model_int8.tflite").read_bytes())
    assert int(v["arena_bytes"][0]) == q["arena_bytes"]
    assert int(v["n_channels"][0]) == len(meta["channels"]) == len(channels)
    for c, (idx, mean, std) in enumerate(channels):
        assert f32(mean) == f32(meta["norm_mean"][c]) and f32(std) == f32(meta["norm_std"][c])
    assert f32(v["input"][0]) == f32(q["input_scale"]) and int(v["input"][1]) == q["input_zero_point"]
    assert f32(v["output"][0]) == f32(q["output_scale"]) and int(v["output"][1]) == q["output_zero_point"]
    assert [int(x) for x in v["window"]] == [meta["window"], meta["hop"]]
    assert f32(v["tau"][0]) == f32(meta["smooth_tau_s"])
    # a board without the VO2 model compiles without its header and reports it absent
    gen2 = gen_dir_for("nrf52840dk", tiny_quantized, tmp_path / "gen2")
    proc = subprocess.run(["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", f"-I{gen2}", f"-I{SRC}", f"-I{CORE}",
                           '-DGN_BOARD_HEADER="gn_board_nrf52840dk.h"', "-o", str(exe), str(SRC / "models.cpp"),
                           str(tmp_path / "main.cpp")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.startswith("rc 2\n")


CLASS_MAIN = r"""
#include <cstdio>
#include "models.h"
static void show(const char *what, int rc, const gn_class_model &m) {
    std::printf("%s rc %d name %s bytes %u arena %u channels %u window %u hop %u decimate %u classes %u last_hop %u\n",
                what, rc, m.name, (unsigned)m.model_bytes, (unsigned)m.arena_bytes, (unsigned)m.input.n_channels,
                (unsigned)m.window, (unsigned)m.hop, (unsigned)m.decimate, (unsigned)m.n_classes,
                (unsigned)m.last_hop);
    std::printf("%s codes", what);
    for (int k = 0; k < m.n_classes; ++k) std::printf(" %u", (unsigned)m.class_code[k]);
    std::printf("\n%s quant %.9g %d %.9g %d\n", what, (double)m.input.scale, (int)m.input.zero_point,
                (double)m.out_scale, (int)m.out_zero_point);
}
int main() {
    gn_class_model p, a;
    int rp = gn_models_fill_phase(&p), ra = gn_models_fill_activity(&a);
    show("phase", rp, p);
    show("activity", ra, a);
    return 0;
}
"""


def test_models_cpp_fills_the_classifiers_from_their_generated_headers(tiny_quantized, tmp_path):
    """gn_models_fill_phase / _activity against the small real models' quantize.json and model.json:
    the activity model at 50 Hz averages 2 samples of the 100 Hz board per row."""
    from gaitnode.quantize.classifier_config import class_codes
    from gaitnode.twin.testing import small_activity_model, small_phase_model

    gen = four_model_gen(tiny_quantized, tmp_path / "gen")
    (tmp_path / "main.cpp").write_text(CLASS_MAIN)
    exe = tmp_path / "class_probe"
    proc = subprocess.run(["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", f"-I{gen}", f"-I{SRC}", f"-I{CORE}",
                           '-DGN_BOARD_HEADER="gn_board_nano33ble.h"', "-o", str(exe), str(SRC / "models.cpp"),
                           str(tmp_path / "main.cpp")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    for (name, d), lines in zip((("phase", small_phase_model()), ("activity", small_activity_model())),
                                (out[0:3], out[3:6])):
        meta = json.loads((d / "model.json").read_text())
        q = json.loads((d / "quantize.json").read_text())
        decimate = round(100 / meta["rate_hz"])
        assert lines[0] == (f"{name} rc 0 name {name} bytes {q['model_int8_bytes']} arena {q['arena_bytes']} "
                            f"channels {len(meta['channels'])} window {meta['window']} hop {meta['hop']} "
                            f"decimate {decimate} classes {len(meta['classes'])} "
                            f"last_hop {int(meta['output'] == 'last_hop')}")
        assert lines[1] == f"{name} codes " + " ".join(map(str, class_codes(meta)))
        _, _, in_s, in_zp, out_s, out_zp = lines[2].split()
        assert (f32(in_s), int(in_zp)) == (f32(q["input_scale"]), q["input_zero_point"])
        assert (f32(out_s), int(out_zp)) == (f32(q["output_scale"]), q["output_zero_point"])
    assert "decimate 2" in out[3] and "decimate 1" in out[0]


def test_models_cpp_rejects_a_model_that_does_not_fit_the_board(tiny_quantized, tmp_path):
    """The compile-time checks: a 32-sample model on a board whose GN_MAX_WINDOW is 16."""
    data = repo_boards()
    data["nrf52840dk"]["max_window"] = 16
    boards_file = write_boards(tmp_path / "boards.yaml", data)
    gen = gen_dir_for("nrf52840dk", tiny_quantized, tmp_path / "gen", boards_file)
    proc = subprocess.run(["g++", "-std=c++11", "-fsyntax-only", f"-I{gen}", f"-I{SRC}", f"-I{CORE}",
                           '-DGN_BOARD_HEADER="gn_board_nrf52840dk.h"', str(SRC / "models.cpp")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "model window is longer than GN_MAX_WINDOW" in proc.stderr


class FakeSConsEnv(dict):
    """What pio_pre.py uses of PlatformIO's SCons environment."""

    def __init__(self, pioenv: str, build_dir: Path):
        super().__init__(PIOENV=pioenv)
        self.vars = {"$PROJECT_DIR": str(FIRMWARE), "$BUILD_DIR": str(build_dir)}
        self.appended: dict = {}
        self.sources: list = []

    def subst(self, text: str) -> str:
        for key, value in self.vars.items():
            text = text.replace(key, value)
        return text

    def Exit(self, code):  # noqa: N802 - SCons API name
        raise SystemExit(code)

    def Append(self, **kw):  # noqa: N802
        for k, v in kw.items():
            self.appended.setdefault(k, []).extend(v)

    def BuildSources(self, variant_dir, src_dir, src_filter=None):  # noqa: N802
        self.sources.append((variant_dir, src_dir, src_filter))


def run_pre(env: FakeSConsEnv):
    runpy.run_path(str(FIRMWARE / "scripts" / "pio_pre.py"), init_globals={"Import": lambda name: None, "env": env})


@pytest.fixture
def cli(monkeypatch):
    exe = Path(sys.executable).parent / "gaitnode"
    assert exe.exists(), "the gaitnode CLI is installed with the package (pip install -e .)"
    monkeypatch.setenv("GAITNODE_CLI", str(exe))
    return exe


def test_pio_pre_generates_headers_and_model_sources(tiny_quantized, tmp_path, monkeypatch, cli, capsys):
    monkeypatch.setenv("GAITNODE_MODELS", f"heel_strike={tiny_quantized}")
    env = FakeSConsEnv("esp32s3", tmp_path / "build")
    run_pre(env)
    gen = tmp_path / "build" / "gaitnode_gen"
    names = {p.name for p in gen.iterdir()}
    assert names == {"gn_board_esp32s3.h", "heel_strike_model_data.h", "heel_strike_model_data.cc",
                     "heel_strike_model_config.h", "gaitnode_build.json", "gn_firmware_id.h"}
    assert (gen / "heel_strike_model_data.cc").read_bytes() == \
        (tiny_quantized / "c" / "heel_strike_model_data.cc").read_bytes()
    assert env.appended["CPPPATH"] == [str(gen)]
    assert env.sources == [(str(Path("$BUILD_DIR") / "gaitnode_models"), str(gen), "+<*_model_data.cc>")]
    assert "esp32s3: within budget" in capsys.readouterr().out
    manifest = load_manifest(gen / "gaitnode_build.json")
    assert manifest == make_manifest(get_board("esp32s3"), {"heel_strike": tiny_quantized}, gen)
    assert re.fullmatch(r"0\.1\.0\+[0-9a-f]{8}", manifest.firmware)
    quantized = json.loads((tiny_quantized / "quantize.json").read_text())
    assert manifest.models == {"heel_strike": quantized["model_sha256"]}
    assert f'#define GN_FIRMWARE_ID "{manifest.firmware}"' in (gen / "gn_firmware_id.h").read_text()
    # A second run with nothing changed leaves the compiled files (and so the build) alone; the
    # manifest is rewritten on each build (no source includes it), so `gaitnode build` can tell it is fresh.
    mtimes = {p.name: p.stat().st_mtime_ns for p in gen.iterdir() if p.name != "gaitnode_build.json"}
    run_pre(FakeSConsEnv("esp32s3", tmp_path / "build"))
    assert {p.name: p.stat().st_mtime_ns for p in gen.iterdir() if p.name != "gaitnode_build.json"} == mtimes
    assert load_manifest(gen / "gaitnode_build.json") == manifest


def preprocessed_board_struct(gen: Path, tmp_path: Path) -> str:
    """The gn_node_board initialiser of src/main.cpp after the preprocessor (an empty Arduino.h
    stands in for the core's: only the macros are of interest)."""
    fake = tmp_path / "arduino"
    fake.mkdir(exist_ok=True)
    (fake / "Arduino.h").write_text("")
    proc = subprocess.run(["g++", "-std=c++11", "-E", "-P", f"-I{fake}", f"-I{gen}", f"-I{SRC}", f"-I{CORE}",
                           '-DGN_BOARD_HEADER="gn_board_esp32.h"', str(SRC / "main.cpp")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return next(line.strip() for line in proc.stdout.splitlines() if "gn_node_board board = {" in line)


def test_main_cpp_reports_the_build_id_when_the_pre_build_step_wrote_it(tmp_path):
    gen = tmp_path / "gen"
    gen.mkdir()
    write_board_header(get_board("esp32"), gen)
    assert preprocessed_board_struct(gen, tmp_path).startswith('const gn_node_board board = {"0.1.0", "esp32",')
    (gen / "gn_firmware_id.h").write_text('#define GN_FIRMWARE_ID "0.1.0+1a2b3c4d"\n')
    assert preprocessed_board_struct(gen, tmp_path).startswith(
        'const gn_node_board board = {"0.1.0+1a2b3c4d", "esp32",')


def test_pio_pre_stops_the_build_when_over_budget(tmp_path, monkeypatch, cli, capsys):
    big = fake_model_dir(tmp_path / "big", model_bytes=300_000)
    monkeypatch.setenv("GAITNODE_MODELS", f"heel_strike={big}")
    with pytest.raises(SystemExit) as e:
        run_pre(FakeSConsEnv("nrf52840dk", tmp_path / "build"))
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "gaitnode pre-build (env nrf52840dk): gaitnode: error: nrf52840dk: flash budget exceeded: models " \
           "heel_strike 300000 B = 300000 B > budget 262144 B" in err


def test_pio_pre_explains_a_missing_setup(tmp_path, monkeypatch, cli, capsys):
    monkeypatch.delenv("GAITNODE_MODELS", raising=False)
    with pytest.raises(SystemExit):
        run_pre(FakeSConsEnv("esp32", tmp_path / "build"))
    assert "GAITNODE_MODELS is not set" in capsys.readouterr().err
    monkeypatch.setenv("GAITNODE_MODELS", "heel_strike")
    with pytest.raises(SystemExit):
        run_pre(FakeSConsEnv("esp32", tmp_path / "build"))
    assert "'heel_strike' must be NAME=MODEL_DIR" in capsys.readouterr().err
    monkeypatch.setenv("GAITNODE_MODELS", f"heel_strike={tmp_path}")
    monkeypatch.delenv("GAITNODE_CLI")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit):
        run_pre(FakeSConsEnv("esp32", tmp_path / "build"))
    assert "the gaitnode CLI is not installed or not on PATH" in capsys.readouterr().err


def test_pio_pre_resolves_relative_model_dirs_from_the_repository(tmp_path, monkeypatch, cli, capsys):
    monkeypatch.setenv("GAITNODE_MODELS", "heel_strike=no/such/model")
    with pytest.raises(SystemExit):
        run_pre(FakeSConsEnv("esp32", tmp_path / "build"))
    assert f"{REPO / 'no/such/model'} has no C sources for heel_strike" in capsys.readouterr().err


def test_platformio_ini_has_one_env_per_board():
    ini = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    ini.read(FIRMWARE / "platformio.ini")
    default_framework = ini["env"]["framework"]
    for board in load_boards().values():
        if board.platformio is None:
            assert f"env:{board.name}" not in ini
            continue
        sec = ini[f"env:{board.platformio.env}"]
        assert sec["platform"].split("@")[0].strip() == board.platformio.platform
        assert sec["board"] == board.platformio.board
        assert sec.get("framework", default_framework) == board.platformio.framework
        assert f'-DGN_BOARD_HEADER=\\"gn_board_{board.name}.h\\"' in sec["build_flags"]
        other = "imu_lsm9ds1.cpp" if board.imu.part == "icm20948" else "imu_icm20948.cpp"
        src_filter = sec["build_src_filter"]
        if src_filter.startswith("${"):
            src_filter = ini[src_filter[2:-1].split(".")[0]]["build_src_filter"]
        assert f"-<{other}>" in src_filter
    boards = {b.platformio.env for b in load_boards().values() if b.platformio}
    assert {s[4:] for s in ini.sections() if s.startswith("env:")} == boards
