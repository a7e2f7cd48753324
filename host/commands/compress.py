"""`gaitnode compress MODEL_DIR --data SESSIONS`: pruning + clustering + LUT compression of a model.

Writes model_pruned_int8.tflite, model_compressed.tflite and compress.json into MODEL_DIR (and
with --c-arrays c/<name>_compressed_model_data.h/.cc). SESSIONS: .gns files, folders or a cohort
(its train split fine-tunes and calibrates, its test split scores; other inputs: --eval-data, or
the same sessions). Works for heel-strike, VO2, gait-phase and activity model dirs.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError


def _sessions(data: list[Path], eval_data: list[Path] | None, placement: str, max_sessions: int):
    from gaitnode.training.datasets import cohort_manifest, load_sessions

    if all(cohort_manifest(p) is not None for p in data):
        train = load_sessions(data, placement=placement, split="train")
        test = load_sessions(eval_data, placement=placement) if eval_data else load_sessions(
            data, placement=placement, split="test")
    else:
        train = load_sessions(data, placement=placement)
        test = load_sessions(eval_data, placement=placement) if eval_data else train
    return train[:max_sessions], test[:max_sessions]


def compress(
    model_dir: Path = typer.Argument(..., help="Model folder (model.keras + model.json)."),
    data: list[Path] = typer.Option(..., "--data", help="Sessions: .gns files, folders or a cohort (repeatable)."),
    eval_data: list[Path] = typer.Option(None, "--eval-data", help="Sessions to score on (default: the cohort's "
                                         "test split, else --data)."),
    sparsity: float = typer.Option(0.5, "--sparsity", help="Fraction of pruned (zero) weights per layer."),
    bits: int = typer.Option(4, "--bits", help="LUT index bits (1-7): at most 2**bits weight values per channel."),
    epochs: int = typer.Option(3, "--epochs", help="Pruning fine-tune epochs."),
    schedule: str = typer.Option("polynomial", "--schedule", help="polynomial (0 -> sparsity) or constant."),
    max_sessions: int = typer.Option(8, "--max-sessions", help="At most this many training / scoring sessions."),
    keep_names: bool = typer.Option(False, "--keep-names", help="Keep tensor names in the compressed model."),
    c_arrays: bool = typer.Option(False, "--c-arrays", help="Also write c/<name>_compressed_model_data.h/.cc."),
    force: bool = typer.Option(False, "--force", help="Replace existing outputs."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Prune, quantise, cluster and LUT-compress a model; check it in TFLite-Micro; report each step."""
    from rich.console import Console
    from rich.table import Table

    from gaitnode.quantize.compression_report import ModelCompression
    from gaitnode.training.model_dir import load_meta

    from gaitnode.quantize.compress import check_bits

    check_bits(bits)
    meta = load_meta(model_dir)
    if max_sessions < 1:
        raise GaitnodeError(f"--max-sessions must be >= 1, got {max_sessions}")
    train, test = _sessions(list(data), list(eval_data) if eval_data else None, meta["placement"], max_sessions)
    r = ModelCompression(sparsity, bits, epochs=epochs, schedule=schedule, strip_names=not keep_names,
                         c_arrays=c_arrays, overwrite=force, seed=seed).run(model_dir, train, test)
    rep = r.report_
    table = Table(title=f"{model_dir}: {rep['task']} ({'synthetic, simulator' if rep['synthetic_data'] else 'real'} data)")
    for col in ("step", "bytes", "TFLM arena", rep["metric"]):
        table.add_column(col)
    for step, s in rep["steps"].items():
        table.add_row(step, str(s["bytes"]), str(s["arena_bytes_measured"] or "-"), f"{s['metric']:.2f}")
    console = Console()
    console.print(table)
    console.print(f"flash saving vs int8: {100 * rep['flash_saving_vs_int8']:.1f} %, metric loss vs int8: "
                  f"{rep['metric_loss_vs_int8']:.2f} ({rep['loss_kind']}); target met: {rep['target_met']}")
    console.print(f"wrote {', '.join(str(p) for p in r.paths_.values())}")


def register(app) -> None:
    """Add the commands to app."""
    app.command("compress")(compress)
