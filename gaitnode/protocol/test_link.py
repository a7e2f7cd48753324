"""Link against scripted peers on a pty: what a host sees from a wrong device, another protocol
version, a busy port, a vanished port."""

from __future__ import annotations

import os
import threading
import tty

import pytest

from gaitnode.errors import GaitnodeError
from gaitnode.protocol import messages as m
from gaitnode.protocol.framing import Frame, encode_frame
from gaitnode.protocol.link import Link, PortError

INFO = m.Info(protocol=1, firmware="fw", board="b", sample_rate_hz=100, acc_range_g=16, gyr_range_dps=2000,
              mag_range_ut=4900, ring_capacity=256, max_batch=26, mode=0, placement=0, side=0)


class Peer:
    """The far end of a pty: answers every chunk the host writes with `reply(data)` bytes."""

    def __init__(self, reply):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self._reply = reply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import select

        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.02)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                out = self._reply(data)
                if out:
                    os.write(self.master, out)

    def close(self):
        self._stop.set()
        self._thread.join()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def peer_factory():
    peers = []

    def make(reply):
        p = Peer(reply)
        peers.append(p)
        return p

    yield make
    for p in peers:
        p.close()


def test_a_device_that_is_not_a_node_is_named_as_such(peer_factory):
    peer = peer_factory(lambda data: b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M*47\r\n")
    with Link(peer.port) as link, pytest.raises(GaitnodeError) as e:
        link.hello(timeout=0.5)
    text = str(e.value)
    assert "no gaitnode node answered" in text and "bytes that are not gaitnode frames" in text


def test_silence_is_reported_as_nothing_received(peer_factory):
    peer = peer_factory(lambda data: b"")
    with Link(peer.port) as link, pytest.raises(GaitnodeError, match=r"received nothing"):
        link.hello(timeout=0.3)


def test_another_protocol_version_is_named_with_both_versions(peer_factory):
    mtype, payload = m.pack(INFO)
    frame = encode_frame(Frame(type=mtype, seq=0, t_us=0, payload=payload, version=2))
    peer = peer_factory(lambda data: frame)
    with Link(peer.port) as link, pytest.raises(GaitnodeError) as e:
        link.hello(timeout=0.5)
    assert "protocol version 2" in str(e.value) and "version 1" in str(e.value)
    assert link.wrong_version >= 1


def test_a_node_answers_hello(peer_factory):
    mtype, payload = m.pack(INFO)
    peer = peer_factory(lambda data: encode_frame(Frame(type=mtype, seq=0, t_us=0, payload=payload)))
    with Link(peer.port) as link:
        assert link.hello(timeout=1.0) == INFO


def test_missing_and_busy_ports_get_clear_messages(peer_factory, tmp_path):
    with pytest.raises(PortError, match="does not exist"):
        Link(str(tmp_path / "ttyACM9"))
    peer = peer_factory(lambda data: b"")
    with Link(peer.port):
        with pytest.raises(PortError, match="busy"):
            Link(peer.port)


def test_a_vanished_port_raises_port_error_on_read(peer_factory):
    peer = peer_factory(lambda data: b"")
    link = Link(peer.port)
    try:
        peer.close()  # the far end goes away, as a board does when unplugged
        with pytest.raises(PortError, match="unplugged"):
            for _ in range(50):
                link.read(0.01)
    finally:
        link.close()


def test_tamper_changes_what_send_writes(peer_factory):
    seen = []
    peer = peer_factory(lambda data: seen.append(data) or b"")
    with Link(peer.port, tamper=lambda b: b"XX" + b) as link:
        link.send(m.Hello())
        for _ in range(100):
            if seen:
                break
            link.read(0.01)
    assert b"".join(seen).startswith(b"XX")


def test_a_boot_announcement_restarts_the_sequence_without_a_lost_frame(peer_factory):
    mtype, payload = m.pack(INFO)
    tele = m.pack(m.Telemetry())
    stream = b"".join(encode_frame(Frame(type=tele[0], seq=s, t_us=0, payload=tele[1])) for s in (40, 41))
    stream += encode_frame(Frame(type=mtype, seq=0, t_us=0, payload=payload))  # rebooted
    stream += encode_frame(Frame(type=tele[0], seq=1, t_us=0, payload=tele[1]))
    stream += encode_frame(Frame(type=tele[0], seq=3, t_us=0, payload=tele[1]))  # seq 2 lost
    peer = peer_factory(lambda data: stream)
    with Link(peer.port) as link:
        link.send(m.Hello())
        got = []
        for _ in range(100):
            got += link.read(0.01)
            if len(got) == 5:
                break
    assert len(got) == 5 and link.node_boots == 1 and link.device_seq_gaps == 1


def test_wait_for_keeps_the_frames_after_the_match(peer_factory):
    def frame(msg, seq):
        t, p = m.pack(msg)
        return encode_frame(Frame(type=t, seq=seq, t_us=0, payload=p))

    both = frame(m.Ack(0, m.MsgType.MODE), 0) + frame(m.Log(m.LogLevel.INFO, "after the ACK"), 1)
    peer = peer_factory(lambda data: both)  # both frames arrive in one read
    with Link(peer.port) as link:
        link.write_raw(b"\x00")
        assert isinstance(link.wait_for(lambda x: isinstance(x, m.Ack), 1.0).msg, m.Ack)
        later = [r.msg for r in link.read(0.5)]
    assert later == [m.Log(m.LogLevel.INFO, "after the ACK")]


def test_a_request_the_node_could_not_decode_is_sent_again(peer_factory):
    from gaitnode.protocol.framing import FrameDecoder

    dec, answers = FrameDecoder(), []

    def node(data):
        out = b""
        for f in dec.feed(data):
            if not answers:  # the first copy "arrived damaged": a bad-frame NACK that cannot name it
                msg = m.Nack(seq=0, type=0, reason=m.NackReason.CRC)
            else:
                msg = m.Ack(seq=f.seq, type=f.type)
            answers.append(msg)
            t, p = m.pack(msg)
            out += encode_frame(Frame(type=t, seq=len(answers) - 1, t_us=0, payload=p))
        return out

    peer = peer_factory(node)
    with Link(peer.port) as link:
        ack = link.request(m.ModeMsg(m.Mode.IDLE), timeout=3.0)
    assert isinstance(ack, m.Ack) and ack.seq == 1 and len(answers) == 2
