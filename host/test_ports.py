"""Port listing with the USB-ID guess (pyserial's comports() replaced), and the HELLO probe against a
twin, a silent pty, a chattering one, a busy one and a missing one."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest

from gaitnode.host.ports import list_ports, match_usb_id, probe_port
from gaitnode.protocol.link import Link
from gaitnode.twin.twin import TwinNode


def port(device, vid=None, pid=None, description="n/a", serial_number=None):
    return SimpleNamespace(device=device, vid=vid, pid=pid, description=description, serial_number=serial_number)


def test_known_usb_ids():
    assert match_usb_id(0x10C4, 0xEA60).boards == ("esp32s3", "esp32")
    assert match_usb_id(0x2341, 0x805A).boards == ("nano33ble",)
    assert "bootloader" in match_usb_id(0x2341, 0x005A).note
    assert match_usb_id(0x1366, 0x1015).boards == match_usb_id(0x1366, 0x0105).boards == ("nrf52840dk",)
    assert "'UART' USB port" in match_usb_id(0x303A, 0x1001).note
    assert match_usb_id(0x10C4, 0x0001) is None and match_usb_id(0x046D, 0xC52B) is None
    assert match_usb_id(None, None) is None


def test_listing_guesses_by_usb_id(monkeypatch):
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [
        port("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102N USB to UART Bridge Controller", "0001"),
        port("/dev/ttyACM1", 0x1366, 0x1015, "J-Link - CDC", "001050012345"),
        port("/dev/ttyACM0", 0x046D, 0xC52B, "Unifying Receiver"),
        port("/dev/ttyS0"),
    ])
    entries = list_ports()
    assert [e.device for e in entries] == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyS0", "/dev/ttyUSB0"]
    acm0, acm1, ttys0, usb0 = entries
    assert (usb0.usb_id, usb0.serial_number, usb0.description) == ("10C4:EA60", "0001",
                                                                    "CP2102N USB to UART Bridge Controller")
    assert usb0.guess == "likely gaitnode board (esp32s3 or esp32?): Silicon Labs CP210x USB-UART bridge"
    assert usb0.bauds() == (921600,)  # both ESP32 boards run their UART at 921600 (boards.yaml)
    assert acm1.guess.startswith("likely gaitnode board (nrf52840dk?)") and acm1.bauds() == (115200,)
    assert (acm0.guess, acm0.bauds()) == ("unknown device", (115200,))
    assert (ttys0.usb_id, ttys0.description, ttys0.guess) == ("-", "", "not a USB device")


@pytest.fixture
def silent_pty():
    """A pty whose other end never answers (master kept to write into)."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_probe_finds_the_node():
    with TwinNode(board="twin200") as twin:
        result = probe_port(twin.port, bauds=(921600, 115200))
    assert result.status == "node" and result.info.board == "twin200" and result.info.sample_rate_hz == 200
    assert result.text == "gaitnode node: board twin200, firmware gaitnode-twin-1, protocol 1, no model"


def test_probe_reports_a_busy_port():
    with TwinNode() as twin, Link(twin.port):
        result = probe_port(twin.port)
    assert result.status == "busy" and f"serial port {twin.port} is busy" in result.text


def test_probe_of_something_else(silent_pty):
    master, name = silent_pty
    result = probe_port(name, bauds=(921600, 115200), timeout=0.2)
    assert result == probe_port(name, bauds=(921600, 115200), timeout=0.2)
    assert (result.status, result.text) == ("not a node", "not a gaitnode node (no answer to HELLO within 0.2 s at "
                                                          "921600/115200 baud)")
    stop = threading.Event()

    def chatter():  # an ESP32 printing its ROM boot message (opening the port flushes earlier input)
        while not stop.wait(0.02):
            os.write(master, b"ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n")

    writer = threading.Thread(target=chatter)
    writer.start()
    try:
        chatty = probe_port(name, timeout=0.2)
    finally:
        stop.set()
        writer.join()
    assert chatty.status == "not a node" and "bytes that are not gaitnode frames" in chatty.text


def test_probe_of_a_missing_port(tmp_path):
    result = probe_port(str(tmp_path / "ttyUSB9"))
    assert result.status == "unavailable" and "does not exist" in result.text
