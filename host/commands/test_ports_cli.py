"""`gaitnode ports [--probe [--all]]` through main(), with pyserial's comports() replaced: a twin behind
a port with a CP210x's USB ID, a silent pty with a CH340's, and an unknown device."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from gaitnode.host.cli import main
from gaitnode.twin.twin import TwinNode


def port(device, vid=None, pid=None, description="n/a", serial_number=None):
    return SimpleNamespace(device=device, vid=vid, pid=pid, description=description, serial_number=serial_number)


@pytest.fixture
def attached(monkeypatch):
    """comports() lists: the twin as an ESP32 on a CP2102N, a silent pty as a CH340 board, a mouse receiver."""
    master, slave = os.openpty()
    silent = os.ttyname(slave)
    with TwinNode() as twin:
        ports = [port(twin.port, 0x10C4, 0xEA60, "CP2102N USB to UART Bridge Controller", "0001"),
                 port(silent, 0x1A86, 0x7523, "USB Serial"),
                 port("/dev/ttyACM7", 0x046D, 0xC52B, "Unifying Receiver")]
        monkeypatch.setattr("serial.tools.list_ports.comports", lambda: ports)
        yield SimpleNamespace(twin=twin.port, silent=silent)
    os.close(master)
    os.close(slave)


def block(out: str, device: str) -> str:
    """The lines `ports` printed for one device."""
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith(device + "  "))
    rest = lines[i + 1:]
    end = next((k for k, line in enumerate(rest) if not line.startswith("    ")), len(rest))
    return "\n".join(lines[i:i + 1 + end])


def test_listing(attached, capsys):
    assert main(["ports"]) == 0
    out = capsys.readouterr().out
    assert block(out, attached.twin) == (
        f"{attached.twin}  CP2102N USB to UART Bridge Controller  10C4:EA60  serial 0001\n"
        "    likely gaitnode board (esp32s3 or esp32?): Silicon Labs CP210x USB-UART bridge")
    assert "likely gaitnode board (esp32?): WCH CH340 USB-UART bridge" in block(out, attached.silent)
    assert block(out, "/dev/ttyACM7") == "/dev/ttyACM7  Unifying Receiver  046D:C52B\n    unknown device"
    assert "probe:" not in out
    assert out.rstrip().endswith("3 ports, 2 likely gaitnode boards")


def test_probe_asks_the_likely_boards(attached, capsys):
    assert main(["ports", "--probe", "--timeout", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "    probe: gaitnode node: board twin, firmware gaitnode-twin-1, protocol 1, no model" in \
        block(out, attached.twin)
    assert "    probe: not a gaitnode node (no answer to HELLO within 0.2 s at 921600 baud)" in \
        block(out, attached.silent)
    assert "probe:" not in block(out, "/dev/ttyACM7")  # unknown devices are left alone
    assert out.rstrip().endswith("3 ports, 2 likely gaitnode boards, 1 answered as gaitnode nodes")


def test_probe_all_includes_unknown_devices(attached, capsys):
    assert main(["ports", "--probe", "--all", "--timeout", "0.2"]) == 0
    assert "    probe: unavailable: serial port /dev/ttyACM7 does not exist" in block(capsys.readouterr().out,
                                                                                  "/dev/ttyACM7")


def test_no_ports_and_bad_options(monkeypatch, capsys):
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [])
    assert main(["ports"]) == 0
    assert capsys.readouterr().out.startswith("no serial ports found")
    assert main(["ports", "--all"]) == 2
    assert "--all goes with --probe" in capsys.readouterr().err
    assert main(["ports", "--probe", "--timeout", "0"]) == 2
    assert "--timeout: 0 s is not in (0, 10]" in capsys.readouterr().err
