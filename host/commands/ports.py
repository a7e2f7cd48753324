"""`gaitnode ports`: serial ports, with a guess of which are gaitnode nodes.

  gaitnode ports              every port: device, description, USB vendor:product ID, serial number, guess
  gaitnode ports --probe      also send HELLO to each likely board (0.5 s): node (board, firmware), not one, busy
  gaitnode ports --probe --all    probe every port, not only likely boards

The guess is by USB ID (gaitnode.host.ports.KNOWN_USB_IDS); only the probe is sure. Probing opens
the port, which on ESP32 dev kits may reboot the board (the bridge's control lines drive EN).
"""

from __future__ import annotations

import typer


def ports(
    probe: bool = typer.Option(False, "--probe", help="Send HELLO to each likely board and show its answer."),
    probe_all: bool = typer.Option(False, "--all", help="With --probe: probe every port, not only likely boards."),
    timeout: float = typer.Option(0.5, "--timeout", help="Seconds to wait for each probe's answer (per baud rate)."),
) -> None:
    """List serial ports and guess which are gaitnode boards (--probe: ask them)."""
    from gaitnode.errors import GaitnodeError
    from gaitnode.host.ports import list_ports, probe_port

    if probe_all and not probe:
        raise GaitnodeError("--all goes with --probe (it says which ports to probe)")
    if not 0 < timeout <= 10:
        raise GaitnodeError(f"--timeout: {timeout:g} s is not in (0, 10]")
    entries = list_ports()
    if not entries:
        typer.echo("no serial ports found (is the board plugged in and, on Linux, its driver loaded? `dmesg` shows "
                   "new USB devices)")
        return
    nodes = 0
    for e in entries:
        details = [e.description or "-", e.usb_id]
        if e.serial_number:
            details.append(f"serial {e.serial_number}")
        typer.echo(f"{e.device}  {'  '.join(details)}")
        typer.echo(f"    {e.guess}")
        if probe and (probe_all or e.match is not None):
            result = probe_port(e.device, e.bauds(), timeout)
            nodes += result.status == "node"
            typer.echo(f"    probe: {result.text}")
    likely = sum(e.match is not None for e in entries)
    summary = f"{len(entries)} ports, {likely} likely gaitnode boards"
    if probe:
        summary += f", {nodes} answered as gaitnode nodes"
    typer.echo(summary)


def register(app: typer.Typer) -> None:
    """Add the ports command to app."""
    app.command("ports")(ports)
