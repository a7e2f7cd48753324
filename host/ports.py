"""Serial ports, with a guess of which are gaitnode boards, and a HELLO probe to be sure.

    for p in list_ports():
        print(p.device, p.usb_id, p.guess)            # e.g. /dev/ttyUSB0 10C4:EA60 likely gaitnode board ...
    probe_port("/dev/ttyUSB0", bauds=(921600,))        # ProbeResult: status "node" with its INFO, or why not

The guess comes from the USB vendor:product ID of the port's adapter: the USB-UART bridges of the
ESP32 dev kits, the Nano 33 BLE's own USB, the nRF52840 DK's J-Link VCOM. A bridge chip is on
countless other gadgets too, so a match means "could be"; only a probe (HELLO answered by INFO)
says for sure.
"""

from __future__ import annotations

from dataclasses import dataclass

from gaitnode.errors import GaitnodeError

PROBE_TIMEOUT_S = 0.5
DEFAULT_BAUD = 115200


@dataclass(frozen=True)
class UsbId:
    """A USB adapter a supported board shows up as. pid None: any product of the vendor."""

    vid: int
    pid: int | None
    chip: str
    boards: tuple[str, ...]
    note: str = ""


# Sources: the vendors' IDs as the boards' PlatformIO definitions and udev rules list them.
KNOWN_USB_IDS = (
    UsbId(0x10C4, 0xEA60, "Silicon Labs CP210x USB-UART bridge", ("esp32s3", "esp32")),
    UsbId(0x1A86, 0x7523, "WCH CH340 USB-UART bridge", ("esp32",)),
    UsbId(0x1A86, 0x55D4, "WCH CH9102 USB-UART bridge", ("esp32", "esp32s3")),
    UsbId(0x1A86, 0x55D3, "WCH CH343 USB-UART bridge", ("esp32s3", "esp32")),
    UsbId(0x0403, 0x6001, "FTDI FT232R USB-UART bridge", ("esp32",)),
    UsbId(0x0403, 0x6015, "FTDI FT231X USB-UART bridge", ("esp32",)),
    UsbId(0x2341, 0x805A, "Arduino Nano 33 BLE", ("nano33ble",)),
    UsbId(0x2341, 0x005A, "Arduino Nano 33 BLE bootloader", ("nano33ble",),
          "in its bootloader (double-tapped reset): flash it"),
    UsbId(0x1366, None, "SEGGER J-Link VCOM (nRF52840 DK)", ("nrf52840dk",)),
    UsbId(0x303A, 0x1001, "Espressif native USB (ESP32-S3 'USB' port)", ("esp32s3",),
          "the gaitnode firmware talks on the board's other, 'UART' USB port"),
)


def match_usb_id(vid: int | None, pid: int | None) -> UsbId | None:
    """The known adapter with this vendor:product ID, or None."""
    if vid is None:
        return None
    for known in KNOWN_USB_IDS:
        if known.vid == vid and known.pid in (None, pid):
            return known
    return None


@dataclass(frozen=True)
class PortEntry:
    """One serial port: device path, pyserial's description, USB IDs and serial number (None when
    not a USB port), and the known adapter it matches."""

    device: str
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    match: UsbId | None

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and self.pid is not None else "-"

    @property
    def guess(self) -> str:
        if self.match is None:
            return "unknown device" if self.vid is not None else "not a USB device"
        text = f"likely gaitnode board ({' or '.join(self.match.boards)}?): {self.match.chip}"
        return f"{text}; {self.match.note}" if self.match.note else text

    def bauds(self) -> tuple[int, ...]:
        """Baud rates to probe at: those of the boards it may be (boards.yaml), else 115200."""
        if self.match is None:
            return (DEFAULT_BAUD,)
        from gaitnode.boards.config import load_boards

        boards = load_boards()
        rates = [boards[b].transport.baud for b in self.match.boards if b in boards]
        return tuple(dict.fromkeys(rates)) or (DEFAULT_BAUD,)


def list_ports() -> list[PortEntry]:
    """Every serial port pyserial finds, sorted by device, each with its guess."""
    from serial.tools import list_ports as lp

    out = []
    for p in lp.comports():
        desc = p.description if p.description and p.description != "n/a" else ""
        out.append(PortEntry(device=p.device, description=desc, vid=p.vid, pid=p.pid,
                             serial_number=p.serial_number or None, match=match_usb_id(p.vid, p.pid)))
    return sorted(out, key=lambda e: e.device)


@dataclass(frozen=True)
class ProbeResult:
    """status: "node" (info is its INFO), "not a node", "other protocol" (a gaitnode node this host
    cannot talk to), "busy", "unavailable" (cannot be opened for another reason); text: one line
    for the listing."""

    status: str
    text: str
    info: object = None


def describe_info(info) -> str:
    models = ", ".join(m.name for m in info.models) or "no model"
    return f"gaitnode node: board {info.board}, firmware {info.firmware}, protocol {info.protocol}, {models}"


def probe_port(device: str, bauds=(DEFAULT_BAUD,), timeout: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Open `device` (exclusively, as every gaitnode tool does) at each baud rate in turn, send HELLO
    and wait `timeout` s for INFO."""
    from gaitnode.protocol.link import Link, PortError

    last = "no answer to HELLO"
    for baud in bauds:
        try:
            link = Link(device, baud)
        except PortError as e:
            status = "busy" if "busy" in str(e) else "unavailable"
            return ProbeResult(status, f"{status}: {e}")
        try:
            info = link.hello(timeout)
            return ProbeResult("node", describe_info(info), info)
        except PortError as e:
            return ProbeResult("unavailable", f"unavailable: {e}")
        except GaitnodeError as e:
            if "protocol version" in str(e):
                return ProbeResult("other protocol", f"a gaitnode node of another protocol version: {e}")
            last = (f"{link.rx_bytes} bytes that are not gaitnode frames" if link.rx_bytes else "no answer to HELLO")
        finally:
            link.close()
    at = "/".join(str(b) for b in bauds)
    return ProbeResult("not a node", f"not a gaitnode node ({last} within {timeout:g} s at {at} baud)")
