"""The `train`, `quantize` and `evaluate` command groups; each model adds its own command.

`gaitnode train heel-strike`, `gaitnode quantize heel-strike`, `gaitnode evaluate heel-strike`
come from `heel_strike.py`; later models (vo2, gait-phase, activity, hr) add theirs to
the same groups. An unknown model name is a usage error naming the known ones.
"""

from __future__ import annotations

import typer

train_app = typer.Typer(name="train", help="Train a model on sessions (.gns files, folders or a cohort).",
                        no_args_is_help=True)
quantize_app = typer.Typer(name="quantize", help="Convert a trained model to int8, verify it in TFLite-Micro, "
                           "emit C arrays for the firmware.", no_args_is_help=True)
evaluate_app = typer.Typer(name="evaluate", help="Score a model (or the classical detector) on sessions.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the three groups (their commands are registered by the model modules)."""
    app.add_typer(train_app)
    app.add_typer(quantize_app)
    app.add_typer(evaluate_app)
