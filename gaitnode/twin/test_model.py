"""The model descriptions the twin hands to the C core: a VO2 model dir checked against the board."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil

import pytest

from gaitnode.boards.config import get_board
from gaitnode.errors import GaitnodeError
from gaitnode.quantize.c_export import channel_index
from gaitnode.twin import abi
from gaitnode.twin.model import TwinVo2Model


@pytest.fixture(scope="module")
def vo2_dir():
    from gaitnode.twin.testing import small_vo2_model

    return small_vo2_model()


def edited_copy(src, tmp_path, edit_meta=None, edit_quant=None):
    d = tmp_path / "vo2"
    shutil.copytree(src, d)
    for name, edit in (("model.json", edit_meta), ("quantize.json", edit_quant)):
        if edit is not None:
            data = json.loads((d / name).read_text())
            edit(data)
            (d / name).write_text(json.dumps(data))
    return d


def test_the_description_is_the_model_dir(vo2_dir):
    v = TwinVo2Model.from_dir(vo2_dir, get_board("twin"))
    meta = json.loads((vo2_dir / "model.json").read_text())
    q = json.loads((vo2_dir / "quantize.json").read_text())
    d = v.vo2
    assert d.name == b"vo2" and bytes(d.sha256).hex() == q["model_sha256"]
    assert d.model_bytes == len((vo2_dir / "model_int8.tflite").read_bytes()) and d.arena_bytes == q["arena_bytes"]
    assert (d.window, d.hop, d.input.n_channels) == (meta["window"], meta["hop"], len(meta["channels"]))
    assert list(d.input.channel[:d.input.n_channels]) == channel_index(meta["channels"])
    assert d.input.mean[0] == pytest.approx(meta["norm_mean"][0])
    assert d.input.std[1] == pytest.approx(meta["norm_std"][1])
    assert (d.input.scale, d.input.zero_point) == (pytest.approx(q["input_scale"]), q["input_zero_point"])
    assert (d.out_scale, d.out_zero_point) == (pytest.approx(q["output_scale"]), q["output_zero_point"])
    assert d.smooth_tau_s == pytest.approx(meta["smooth_tau_s"])
    assert abi.GN_INFER_VO2 == 1


def test_a_vo2_model_at_another_rate_is_refused(vo2_dir):
    with pytest.raises(GaitnodeError, match=r"trained at 100 Hz but board twin200 samples at 200 Hz"):
        TwinVo2Model.from_dir(vo2_dir, get_board("twin200"))


def test_a_board_without_a_vo2_slot_is_refused(vo2_dir):
    with pytest.raises(GaitnodeError, match=r"board esp32 carries no VO2 model \(boards.yaml models: "
                                            r"heel_strike\)"):
        TwinVo2Model.from_dir(vo2_dir, get_board("esp32"))


def test_not_quantized_or_stale(vo2_dir, tmp_path):
    d = edited_copy(vo2_dir, tmp_path, edit_quant=lambda q: q.update(model_sha256=hashlib.sha256(b"x").hexdigest()))
    with pytest.raises(GaitnodeError, match="sha256 differs"):
        TwinVo2Model.from_dir(d)
    (d / "model_int8.tflite").unlink()
    with pytest.raises(GaitnodeError, match=r"has no int8 model: run `gaitnode quantize vo2 .* --data SESSIONS`"):
        TwinVo2Model.from_dir(d)


def test_a_window_longer_than_the_board_takes_is_refused(vo2_dir):
    small = dataclasses.replace(get_board("twin"), max_window=64)
    with pytest.raises(GaitnodeError, match=r"window of 128 samples exceeds board twin's max_window 64"):
        TwinVo2Model.from_dir(vo2_dir, small)
