"""Budget check: flash, RAM and arena from the generated model sources and sizeof(gn_node)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from gaitnode.boards.budget import ModelCost, check_budget, core_ram_bytes, model_cost, shared_arena_bytes
from gaitnode.boards.config import get_board, load_boards
from gaitnode.boards.conftest import fake_model_dir, fake_vo2_model_dir, model_meta, repo_boards, write_boards
from gaitnode.errors import GaitnodeError


def board_with(tmp_path, name, edit):
    data = repo_boards()
    edit(data[name])
    return load_boards(write_boards(tmp_path / "boards.yaml", data))[name]


def test_model_within_budget(tmp_path):
    d = fake_model_dir(tmp_path / "hs", model_bytes=34520, arena_bytes=15584)
    board = get_board("nrf52840dk")
    r = check_budget(board, {"heel_strike": d})
    core, compiler = core_ram_bytes(board)
    assert r.ok and r.problems == []
    assert (r.flash_bytes, r.arena_bytes, r.core_bytes, r.tx_buffer_bytes) == (34520, 15584, core, 4096)
    assert r.ram_bytes == 15584 + core + 4096
    assert core > 2 * 128 * 9 + 256 * 22  # at least the window, the model input and the ring
    assert r.ram_headroom_pct == pytest.approx(100 * (65536 - r.ram_bytes) / 65536)
    assert r.flash_headroom_pct == pytest.approx(100 * (262144 - 34520) / 262144)
    assert r.arena_headroom_pct == pytest.approx(100 * (32768 - 15584) / 32768)
    assert r.compiler == compiler
    text = r.summary()
    assert f"RAM: arena 15584 B + core {core} B + tx buffer 4096 B = {r.ram_bytes} B of 65536 B" in text
    assert r.as_dict()["models"][0] == {"name": "heel_strike", "model_dir": str(d), "model_bytes": 34520,
                                        "arena_bytes": 15584, "arena_persistent_bytes": 15584, "window": 128,
                                        "channels": 6}


def test_ram_budget_exceeded(tmp_path):
    d = fake_model_dir(tmp_path / "hs", arena_bytes=15584)
    board = board_with(tmp_path, "nrf52840dk", lambda b: b["budgets"].update(ram_bytes=24576, arena_bytes=16384))
    with pytest.raises(GaitnodeError) as e:
        check_budget(board, {"heel_strike": d})
    core, _ = core_ram_bytes(board)
    assert str(e.value) == (f"nrf52840dk: RAM budget exceeded: arena 15584 B + core {core} B + tx buffer 4096 B = "
                            f"{15584 + core + 4096} B > budget 24576 B")


def test_arena_and_flash_budgets_exceeded_together(tmp_path):
    d = fake_model_dir(tmp_path / "hs", model_bytes=300_000, arena_bytes=40_000)
    board = get_board("nrf52840dk")
    with pytest.raises(GaitnodeError) as e:
        check_budget(board, {"heel_strike": d})
    msg = str(e.value)
    assert "nrf52840dk: arena budget exceeded: heel_strike needs 40000 B > budget 32768 B" in msg
    assert "nrf52840dk: flash budget exceeded: models heel_strike 300000 B = 300000 B > budget 262144 B" in msg
    # The same problems as a report instead of an exception.
    r = check_budget(board, {"heel_strike": d}, raise_on_failure=False)
    assert not r.ok and len(r.problems) == 2 and r.flash_headroom_pct < 0


def test_window_and_channels_must_fit_the_core(tmp_path):
    d = fake_model_dir(tmp_path / "hs", meta=model_meta(window=256))
    with pytest.raises(GaitnodeError, match="esp32: heel_strike's window of 256 samples exceeds max_window 128"):
        check_budget(get_board("esp32"), {"heel_strike": d})
    d9 = fake_model_dir(tmp_path / "hs9", meta=model_meta(channels=("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y",
                                                                    "gyr_z", "mag_x", "mag_y", "mag_z")))
    board = board_with(tmp_path, "esp32", lambda b: b.update(max_channels=6))
    with pytest.raises(GaitnodeError, match="esp32: heel_strike's 9 channels exceed max_channels 6"):
        check_budget(board, {"heel_strike": d9})


def test_core_ram_follows_the_board_header(tmp_path):
    small = board_with(tmp_path, "esp32", lambda b: b.update(ring_capacity=256))
    big = board_with(tmp_path, "esp32", lambda b: b.update(ring_capacity=512))
    # 256 more ring slots of gn_raw_sample (u32 index + 9 x i16 = 22 bytes, padded to 24).
    assert core_ram_bytes(big)[0] - core_ram_bytes(small)[0] == 256 * 24
    narrow = board_with(tmp_path, "esp32", lambda b: b.update(max_channels=6))
    assert core_ram_bytes(narrow)[0] < core_ram_bytes(small)[0]


def test_core_ram_compiler():
    _, what = core_ram_bytes(get_board("twin"))
    assert "the host" in what
    _, what = core_ram_bytes(get_board("esp32s3"))
    assert what.startswith("arm-none-eabi-gcc") == (shutil.which("arm-none-eabi-gcc") is not None)


def test_stale_c_sources_are_caught(tmp_path):
    d = fake_model_dir(tmp_path / "hs", model_bytes=1000)
    q = json.loads((d / "quantize.json").read_text())
    q["model_int8_bytes"] = 2000
    (d / "quantize.json").write_text(json.dumps(q))
    with pytest.raises(GaitnodeError, match=r"quantize\.json says model_int8_bytes 2000 but "
                                            r"heel_strike_model_config\.h says 1000; the C sources are stale"):
        model_cost("heel_strike", d)


def test_quantize_json_is_optional_but_must_be_json(tmp_path):
    d = fake_model_dir(tmp_path / "hs", model_bytes=1000, arena_bytes=5000)
    (d / "quantize.json").unlink()
    c = model_cost("heel_strike", d)
    assert (c.model_bytes, c.arena_bytes, c.window, c.channels) == (1000, 5000, 128, 6)
    (d / "quantize.json").write_text("{not json")
    with pytest.raises(GaitnodeError, match="quantize.json: not readable JSON"):
        model_cost("heel_strike", d)


def test_missing_or_damaged_config_header(tmp_path):
    with pytest.raises(GaitnodeError, match=r"heel_strike_model_config.h: no such file; .* \(run `gaitnode quantize"):
        model_cost("heel_strike", tmp_path)
    d = fake_model_dir(tmp_path / "hs")
    cfg = d / "c" / "heel_strike_model_config.h"
    cfg.write_text(re.sub(r"#define GN_HEEL_STRIKE_ARENA_BYTES \d+\n", "", cfg.read_text()))
    with pytest.raises(GaitnodeError, match="no GN_HEEL_STRIKE_ARENA_BYTES; regenerate"):
        model_cost("heel_strike", d)


def test_model_dirs_must_match_the_board(tmp_path):
    d = fake_model_dir(tmp_path / "hs")
    with pytest.raises(GaitnodeError, match=r"esp32: no model dir for heel_strike \(the board carries heel_strike; "
                                            r"give heel_strike=MODEL_DIR\)"):
        check_budget(get_board("esp32"), {})
    with pytest.raises(GaitnodeError, match=r"esp32: vo2 is not among the board's models \(heel_strike"):
        check_budget(get_board("esp32"), {"heel_strike": d, "vo2": d})


def with_vo2(b):
    b["models"] = ["heel_strike", "vo2"]


def test_heel_strike_and_vo2_models_count_together(tmp_path):
    hs = fake_model_dir(tmp_path / "hs", model_bytes=34520, arena_bytes=15584)
    vo2 = fake_vo2_model_dir(tmp_path / "vo2", model_bytes=41000, arena_bytes=21000)
    board = board_with(tmp_path, "nano33ble", with_vo2)
    r = check_budget(board, {"heel_strike": hs, "vo2": vo2})
    core, _ = core_ram_bytes(board)
    assert r.ok and [c.name for c in r.models] == ["heel_strike", "vo2"]
    assert (r.flash_bytes, r.arena_bytes) == (34520 + 41000, 15584 + 21000)
    assert r.ram_bytes == 15584 + 21000 + core + 4096
    assert r.arena_headroom_pct == pytest.approx(100 * (32768 - 21000) / 32768)  # the larger arena
    assert "models: heel_strike 34520 B + arena 15584 B, vo2 41000 B + arena 21000 B" in r.summary()


def test_two_models_can_exceed_what_each_fits(tmp_path):
    hs = fake_model_dir(tmp_path / "hs", model_bytes=150_000, arena_bytes=15584)
    vo2 = fake_vo2_model_dir(tmp_path / "vo2", model_bytes=150_000, arena_bytes=40_000)
    board = board_with(tmp_path, "nrf52840dk", with_vo2)
    r = check_budget(board, {"heel_strike": hs, "vo2": vo2}, raise_on_failure=False)
    core, _ = core_ram_bytes(board)
    assert r.problems == [
        "nrf52840dk: arena budget exceeded: vo2 needs 40000 B > budget 32768 B",
        "nrf52840dk: flash budget exceeded: models heel_strike 150000 B + vo2 150000 B = 300000 B > budget 262144 B",
        f"nrf52840dk: RAM budget exceeded: arena 55584 B + core {core} B + tx buffer 4096 B = {55584 + core + 4096} B "
        "> budget 65536 B"]


def test_a_board_needs_every_model_the_twin_only_those_it_is_given(tmp_path):
    hs = fake_model_dir(tmp_path / "hs")
    board = board_with(tmp_path, "nano33ble", with_vo2)
    with pytest.raises(GaitnodeError, match=r"nano33ble: no model dir for vo2 \(the board carries heel_strike, vo2"):
        check_budget(board, {"heel_strike": hs})
    twin = get_board("twin")
    assert twin.models == ("heel_strike", "vo2", "phase", "activity")
    assert [c.name for c in check_budget(twin, {"heel_strike": hs}).models] == ["heel_strike"]
    vo2 = fake_vo2_model_dir(tmp_path / "vo2")
    assert [c.name for c in check_budget(twin, {"vo2": vo2}).models] == ["vo2"]


def test_vo2_sources_missing_name_the_vo2_command(tmp_path):
    with pytest.raises(GaitnodeError, match=r"vo2_model_config.h: no such file; .* \(run `gaitnode quantize vo2` "
                                            r"on it"):
        model_cost("vo2", tmp_path)
    d = fake_vo2_model_dir(tmp_path / "vo2")
    cfg = d / "c" / "vo2_model_config.h"
    cfg.write_text(re.sub(r"#define GN_VO2_WINDOW \d+\n", "", cfg.read_text()))
    with pytest.raises(GaitnodeError, match="no GN_VO2_WINDOW; regenerate it with `gaitnode quantize vo2 MODEL_DIR`"):
        model_cost("vo2", d)


def test_models_run_one_at_a_time_share_one_arena(tmp_path):
    def cost(name, arena, persistent):
        return ModelCost(name, tmp_path, 1000, arena, 40, 6, persistent_bytes=persistent)

    # persistent parts add up; the working parts (arena - persistent) are reused: the largest counts
    costs = [cost("heel_strike", 16000, 6000), cost("vo2", 17000, 5000), cost("phase", 9000, 4000)]
    assert shared_arena_bytes(costs) == 6000 + 5000 + 4000 + 12000
    assert shared_arena_bytes(costs[:1]) == 16000  # one model: its own arena
    assert shared_arena_bytes([cost("vo2", 17000, -1), cost("phase", 9000, -1)]) == 26000  # nothing known: the sum
    assert shared_arena_bytes([]) == 0


def test_the_persistent_part_comes_from_the_config_header(tmp_path):
    hs = fake_model_dir(tmp_path / "hs", arena_bytes=15584)
    cfg = hs / "c" / "heel_strike_model_config.h"
    assert "#define GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES 15584\n" in cfg.read_text()  # no tail known: all of it
    cfg.write_text(cfg.read_text().replace("GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES 15584",
                                           "GN_HEEL_STRIKE_ARENA_PERSISTENT_BYTES 6000"))
    vo2 = fake_vo2_model_dir(tmp_path / "vo2", arena_bytes=21000)
    board = board_with(tmp_path, "nano33ble", with_vo2)
    r = check_budget(board, {"heel_strike": hs, "vo2": vo2})
    assert r.arena_bytes == 6000 + 21000 + (15584 - 6000)  # vo2 (no macro) keeps its whole arena
    assert "shared arena: persistent 6000 + 21000 B + largest working part 9584 B = 36584 B" in r.summary()
