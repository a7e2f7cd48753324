"""The `gaitnode` command line: one Typer app, one module per command group.

Each module in gaitnode.host.commands has a `register(app)` that adds its commands.
Bad input anywhere raises GaitnodeError; main() turns it into one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from gaitnode.errors import GaitnodeError

# Command modules, in the order they appear in --help.
COMMAND_MODULES = (
    "simulate",  # simulate, cohort
    "sessions",  # inspect, export
    "importers",  # import csv|fit|uci-har
    "report",  # report
    "models",  # the train / quantize / evaluate groups
    "heel_strike",  # train|quantize|evaluate heel-strike
    "vo2",  # train|quantize|evaluate vo2 (CNN-LSTM from the IMU, transfer learning)
    "vo2_hr",  # train|evaluate vo2-hr (neural-Kalman VO2 from heart rate)
    "hr_dynamics",  # train|evaluate hr-dynamics (neural ODE / neural Kalman heart rate)
    "phase",  # train|quantize|evaluate phase (ResNet-LSTM(-TPA) gait phases, baselines)
    "activity",  # train|quantize|evaluate activity (CNN-LSTM activity recognition)
    "compress",  # compress (pruning + LUT compression of any model dir)
    "boards",  # boards list|validate|header|check
    "twin",  # twin
    "ports",  # ports
    "firmware",  # build, flash, verify
    "monitor",  # monitor
    "record",  # record
    "replay",  # replay
)

app = typer.Typer(
    name="gaitnode",
    help="Toolchain for wearable IMU nodes: simulate, import, train, quantize, flash, monitor, record, replay, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"gaitnode.host.commands.{_name}").register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (usage errors: 2, GaitnodeError: 2, Ctrl-C: 130)."""
    try:
        # standalone_mode: the CLI library prints usage errors itself and exits via SystemExit.
        app(args=argv, prog_name="gaitnode", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except GaitnodeError as e:
        print(f"gaitnode: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("gaitnode: interrupted", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
