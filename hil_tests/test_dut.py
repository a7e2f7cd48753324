"""The DUT transport: port selection per pytest-xdist worker, boards.yaml facts, twin lifecycle, clear
errors for a port that is not there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from hil_tests.dut import Dut, DutProvider, DutTarget, worker_port


@pytest.mark.parametrize("ports, worker, workers, want", [
    (None, None, None, None),
    ("/dev/ttyACM0", None, None, "/dev/ttyACM0"),
    ("/dev/ttyACM0", "gw0", 1, "/dev/ttyACM0"),
    ("/dev/ttyACM0,/dev/ttyACM1, /dev/ttyACM2", "gw2", 3, "/dev/ttyACM2"),
    ("/dev/ttyACM0,/dev/ttyACM1", "gw1", 2, "/dev/ttyACM1"),
])
def test_each_worker_takes_its_own_port(ports, worker, workers, want):
    assert worker_port(ports, worker, workers) == want


@pytest.mark.parametrize("ports, worker, workers, message", [
    ("/dev/ttyACM0,/dev/ttyACM1", None, None, "-n 2"),
    ("/dev/ttyACM0", "gw1", 2, "-n 1"),
    ("/dev/ttyACM0,/dev/ttyACM0", "gw0", 2, "given twice"),
    ("/dev/ttyACM0,", "gw0", 2, "empty port name"),
])
def test_ports_and_workers_that_do_not_pair_up_are_refused(ports, worker, workers, message):
    with pytest.raises(GaitnodeError, match=message):
        worker_port(ports, worker, workers)


def test_the_target_knows_which_duts_can_reset_without_connecting():
    assert DutTarget().kind == "twin" and DutTarget().can_reset()
    assert DutTarget(port="/dev/ttyACM0", board="esp32s3").can_reset()  # RTS drives EN
    assert not DutTarget(port="/dev/ttyACM0", board="nano33ble").can_reset()  # native USB: no line
    assert DutTarget(port="/dev/ttyACM0").can_reset("esp32")  # named by its INFO
    assert not DutTarget(port="/dev/ttyACM0").can_reset("twin") and not DutTarget(port="/dev/ttyACM0").can_reset()


def test_a_missing_port_or_a_model_for_a_board_is_a_clear_error(tmp_path):
    with pytest.raises(GaitnodeError, match="does not exist"):
        DutTarget(port=str(tmp_path / "ttyACM9")).open()
    with pytest.raises(GaitnodeError, match="twin only"):
        DutTarget(port=str(tmp_path / "ttyACM9"), model_dir=tmp_path).open()
    for option in ("vo2_model_dir", "phase_model_dir", "activity_model_dir"):
        with pytest.raises(GaitnodeError, match="twin only"):
            DutTarget(port=str(tmp_path / "ttyACM9"), **{option: tmp_path}).open()


def test_a_twin_dut_carries_its_board_facts_and_answers():
    with Dut.open() as dut:  # a twin without a model: the classical detector only
        assert dut.kind == "twin" and dut.can_reset
        assert dut.board.name == "twin" == dut.info.board
        assert dut.budgets.arena_bytes == dut.board.budgets.arena_bytes > 0
        assert dut.expect_models == ("heel_strike", "vo2", "phase", "activity")
        assert not dut.has_heel_strike_model and not dut.has_vo2 and not dut.has_phase and not dut.has_activity
        dut.configure(telemetry_period_ms=100)
        before = dut.telemetry()
        dut.send_raw(m.MsgType.MODE, b"\x09", seq=0x1234)  # mode 9 does not exist
        nack = dut.answer_to(0x1234, m.MsgType.MODE)
        assert (nack.reason, nack.detail) == (m.NackReason.BAD_VALUE, 0)
        after = dut.telemetry()  # newer than the NACK: it counts the refused frame
        assert after.rx_rejected == before.rx_rejected + 1
        assert dut.counters() == {"bad_frames": 0, "device_seq_gaps": 0, "undecodable": 0, "wrong_version": 0}


def test_the_provider_gives_a_fresh_twin_per_test_and_closes_it():
    provider = DutProvider(DutTarget())
    first = provider.acquire()
    first.request(m.ModeMsg(m.Mode.REPLAY))
    second = provider.acquire()
    assert second.port != first.port and second.link.hello().mode == m.Mode.IDLE
    for d in (first, second):
        provider.release(d)
    with pytest.raises(GaitnodeError):
        first.link.hello(timeout=0.2)
    provider.close()


def test_vo2_capability_comes_from_the_models_the_node_lists():
    def dut_listing(*names):
        models = tuple(m.InfoModel(n, bytes(32), 1000, 2000) for n in names)
        info = m.Info(1, "fw", "twin", 100, 16, 2000, 4900, 256, 26, m.Mode.IDLE, m.Placement.SHANK, m.Side.LEFT,
                      models)
        return Dut(SimpleNamespace(info=info))

    assert not dut_listing().has_vo2 and not dut_listing().has_heel_strike_model
    assert not dut_listing("heel_strike").has_vo2
    assert dut_listing("heel_strike", "vo2_cnn_lstm").has_vo2
    assert dut_listing("vo2_cnn_lstm").has_vo2 and not dut_listing("vo2_cnn_lstm").has_heel_strike_model
    four = dut_listing("heel_strike", "vo2", "phase", "activity")
    assert four.has_heel_strike_model and four.has_vo2 and four.has_phase and four.has_activity
    classes = dut_listing("phase", "activity")
    assert classes.has_phase and classes.has_activity and not classes.has_heel_strike_model and not classes.has_vo2
