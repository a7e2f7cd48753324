"""open_node: one way to reach a board or a fresh twin, with clear errors."""

from __future__ import annotations

import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.host.node import open_node
from gaitnode.protocol import messages as m


def test_a_node_must_be_named_once():
    with pytest.raises(GaitnodeError, match="--port PORT"):
        open_node()
    with pytest.raises(GaitnodeError, match="not both"):
        open_node("/dev/ttyACM0", twin=True)


def test_twin_only_options_are_refused_for_a_port(tmp_path):
    with pytest.raises(GaitnodeError, match="--twin only"):
        open_node(str(tmp_path / "tty"), model_dir=tmp_path)
    with pytest.raises(GaitnodeError, match="--twin only"):
        open_node(str(tmp_path / "tty"), vo2_model_dir=tmp_path)


def test_a_twin_with_a_vo2_model_lists_it():
    from gaitnode.twin.testing import small_vo2_model

    with open_node(twin=True, vo2_model_dir=small_vo2_model()) as node:
        assert [x.name for x in node.info.models] == ["vo2"]
        assert node.twin.vo2_model is not None and node.twin.model is None


def test_a_busy_port_is_named():
    with open_node(twin=True) as node, pytest.raises(GaitnodeError, match="busy"):
        open_node(node.port)


def test_a_missing_port_is_named(tmp_path):
    with pytest.raises(GaitnodeError, match="does not exist"):
        open_node(str(tmp_path / "ttyACM7"))


def test_twin_node_answers_and_reboots():
    with open_node(twin=True) as node:
        assert node.kind == "twin" and node.info.board == "twin" and node.rate_hz == 100.0
        assert node.ranges.acc_g == node.info.acc_range_g and node.can_reset
        node.link.request(m.ModeMsg(m.Mode.REPLAY))
        assert node.link.hello().mode == m.Mode.REPLAY
        node.reset()
        boot = node.link.wait_for(lambda x: isinstance(x, m.Info), 2.0).msg  # announced at boot
        assert boot.mode == m.Mode.IDLE and node.twin.resets == 1


def test_a_board_without_a_reset_line_cannot_be_reset():
    from gaitnode.twin.twin import TwinNode

    with TwinNode() as twin:
        node = open_node(twin.port)  # reached as a plain port, no boards.yaml entry
        try:
            assert node.kind == "port" and not node.can_reset
            with pytest.raises(GaitnodeError, match="cannot be reset"):
                node.reset()
        finally:
            node.close()
