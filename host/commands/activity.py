"""`gaitnode train|quantize|evaluate activity`: CNN-LSTM activity recognition (paper 003, UCI HAR's six classes).

  train activity --data SESSIONS -o MODEL_DIR        (or --uci-har DIR: the UCI HAR Dataset's train split)
  quantize activity MODEL_DIR --data SESSIONS        int8 + TFLite-Micro check + C arrays (c/activity_model_*)
  evaluate activity SESSIONS... --model-dir DIR --model float|int8|tflm   (or --uci-har DIR: its test split)

SESSIONS are .gns files, folders of them, or a cohort folder (its train/val/test split is used); they
need per-sample activity labels (simulated daily_living, stairs, free_walk; UCI HAR imports). Windows
are 128 rows at 50 Hz (100 Hz sessions are averaged in pairs, as the node does). Every report says
whether the data was synthetic (simulator output).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.heel_strike import CHANNEL_SETS, _check, _synthetic_note
from gaitnode.host.commands.json_report import write_json_report
from gaitnode.host.commands.models import evaluate_app, quantize_app, train_app
from gaitnode.host.commands.vo2 import _protocol_filter
from gaitnode.sessions.model import PLACEMENTS

ARCHITECTURES = ("cnn_lstm", "cnn_lstm_paper")
LABEL_RULES = ("majority", "last")
CLASS_WEIGHTS = ("none", "balanced")
ACTIVITY_MAX_MODEL_BYTES = 40960  # the budget for the int8 activity model (flash)
ACTIVITY_MAX_ARENA_BYTES = 16384  # and for its TFLite-Micro arena (RAM)
QUANTIZE_NAME = "activity"


def _drop_stale_outputs(model_dir: Path) -> None:
    """A retrained model invalidates what `quantize` made from the old one: remove it (--force only)."""
    from gaitnode.quantize.quantizer import output_paths

    for path in output_paths(model_dir, QUANTIZE_NAME).values():
        path.unlink(missing_ok=True)


def _uci_har(root: Path, split: str):
    from gaitnode.sessions.importers.uci_har import load_uci_har

    return load_uci_har(root, [split])


def _one_source(data, uci_har, what: str) -> None:
    if data and uci_har is not None:
        raise GaitnodeError(f"{what}: give sessions (--data / SESSIONS) or --uci-har, not both (UCI HAR is a waist "
                            f"phone, our sessions a shank or foot node: one model per placement)")
    if not data and uci_har is None:
        raise GaitnodeError(f"{what}: give sessions (--data / SESSIONS) or --uci-har DIR")


def train(
    data: list[Path] | None = typer.Option(None, "--data", help="Training sessions: .gns files, folders or a "
                                           "cohort (repeatable)."),
    uci_har: Path | None = typer.Option(None, "--uci-har", help="Train on the UCI HAR Dataset folder instead (its "
                                        "train split; validation: 20 % of its subjects)."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder to write (model.keras + model.json)."),
    placement: str | None = typer.Option(None, "--placement", help="Sessions of this placement only (default: the "
                                         "data's only one)."),
    architecture: str = typer.Option("cnn_lstm", "--architecture",
                                     help="cnn_lstm (node-sized) or cnn_lstm_paper (paper 003's sizes)."),
    channels: str = typer.Option("acc+gyr", "--channels", help="acc+gyr (6 axes) or acc+gyr+mag (9 axes)."),
    protocols: str | None = typer.Option(None, "--protocols", help="Only sessions of these protocols "
                                         "(comma-separated, e.g. daily_living,stairs)."),
    val: list[Path] | None = typer.Option(None, "--val", help="Validation sessions (default: the cohort's val "
                                          "split, or 20 % of the subjects)."),
    label_rule: str = typer.Option("majority", "--label-rule", help="Window label: majority (most rows) or last "
                                   "(the last row)."),
    class_weight: str = typer.Option("none", "--class-weight", help="none or balanced (windows weighted by "
                                     "1 / class frequency)."),
    train_hop: int = typer.Option(16, "--train-hop", help="Rows between training windows (the node's hop is 64)."),
    epochs: int = typer.Option(30, "--epochs", help="Most epochs (early stopping on validation loss)."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop starting epochs after this long."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, shuffling and augmentation."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model folder."),
) -> None:
    """Train the activity classifier (walking, upstairs, downstairs, sitting, standing, laying; 128 rows at 50 Hz)."""
    from gaitnode.training.activity_trainer import ActivityTrainer
    from gaitnode.training.datasets import load_sessions, split_by_subject, train_val_sessions
    from gaitnode.training.model_dir import save_model_dir

    _one_source(data, uci_har, "train activity")
    _check(placement, "placement", PLACEMENTS)
    _check(architecture, "architecture", ARCHITECTURES)
    _check(channels, "channels", CHANNEL_SETS)
    _check(label_rule, "label-rule", LABEL_RULES)
    _check(class_weight, "class-weight", CLASS_WEIGHTS)
    refuse_existing([out / "model.json", out / "model.keras"], overwrite=force)
    _drop_stale_outputs(out)
    if uci_har is not None:
        if val:
            raise GaitnodeError("--val does not apply to --uci-har (validation: 20 % of its train-split subjects)")
        train_s, val_s = split_by_subject(_uci_har(uci_har, "train"), 0.2, seed)
    elif val:
        train_s = load_sessions(data, placement=placement)
        val_s = load_sessions(val, placement=placement)
    else:
        train_s, val_s = train_val_sessions(data, placement=placement, seed=seed)
    train_s = _protocol_filter(train_s, protocols, "training")
    val_s = _protocol_filter(val_s, protocols, "validation")
    found = sorted({s.meta.placement for s in train_s + val_s})
    if len(found) != 1:
        raise GaitnodeError(f"the sessions are {', '.join(found)} sessions; one model is trained per placement: "
                            f"pass --placement")
    trainer = ActivityTrainer(architecture=architecture, channels=channels, label_rule=label_rule,
                              class_weight=None if class_weight == "none" else class_weight, train_hop=train_hop,
                              epochs=epochs, seed=seed, max_train_s=None if max_minutes is None else max_minutes * 60.0)
    trainer.fit(train_s, val_s)
    save_model_dir(out, trainer.model_, trainer.meta_, overwrite=force)
    t = trainer.meta_["training"]
    typer.echo(f"wrote {out}: {architecture} ({t['params']} parameters), {found[0]}, "
               f"{len(trainer.meta_['channels'])} channels; {len(train_s)} train / {len(val_s)} val sessions "
               f"({_synthetic_note(train_s + val_s)}), {t['n_windows']['train']} training windows; "
               f"{t['epochs_run']} epochs in {t['train_seconds']:.0f} s, validation accuracy "
               f"{100 * t['best_val_accuracy']:.1f} % (epoch {t['best_epoch']})")


def _windows(sessions, meta: dict, n: int, seed: int) -> np.ndarray:
    """Up to n model-input windows drawn (seeded) from the sessions (labelled or not)."""
    from gaitnode.training.activity_dataset import activity_arrays

    X, _ = activity_arrays(sessions, meta)
    pick = np.sort(np.random.default_rng(seed).choice(len(X), size=min(n, len(X)), replace=False))
    return X[pick]


def quantize(
    model_dir: Path = typer.Argument(..., help="Model folder from `gaitnode train activity`."),
    data: list[Path] | None = typer.Option(None, "--data", help="Sessions for the representative set (a cohort: "
                                           "its train split) and the held-out check (a cohort: its test split)."),
    uci_har: Path | None = typer.Option(None, "--uci-har", help="Take both from the UCI HAR Dataset folder instead "
                                        "(train and test splits)."),
    heldout: list[Path] | None = typer.Option(None, "--heldout", help="Held-out sessions (default: the cohort's "
                                              "test split)."),
    n_representative: int = typer.Option(400, "--representative", help="Windows in the representative set."),
    n_heldout: int = typer.Option(400, "--heldout-windows", help="Held-out windows for the output comparison."),
    arena_margin: float = typer.Option(0.10, "--arena-margin", help="Safety margin on the measured arena (fraction)."),
    force: bool = typer.Option(False, "--force", help="Replace existing .tflite / C files."),
) -> None:
    """int8 conversion (child process), integer-only check, TFLite-Micro run + arena, C arrays (activity_model_*)."""
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.activity_eval import check_activity_meta
    from gaitnode.training.datasets import cohort_manifest, load_sessions
    from gaitnode.training.model_dir import load_meta

    _one_source(data, uci_har, "quantize activity")
    meta = check_activity_meta(load_meta(model_dir), model_dir)
    if uci_har is not None:
        rep, held = _uci_har(uci_har, "train"), _uci_har(uci_har, "test")
    else:
        cohort = all(cohort_manifest(p) is not None for p in data)
        rep = load_sessions(data, placement=meta["placement"], split="train" if cohort else None)
        if heldout:
            held = load_sessions(heldout, placement=meta["placement"])
        elif cohort:
            held = load_sessions(data, placement=meta["placement"], split="test")
        else:
            raise GaitnodeError("--heldout: give held-out sessions (or pass a cohort as --data to use its test split)")
    q = Quantizer(arena_margin=arena_margin, max_model_bytes=ACTIVITY_MAX_MODEL_BYTES,
                  max_arena_bytes=ACTIVITY_MAX_ARENA_BYTES, overwrite=force, name=QUANTIZE_NAME).run(
        model_dir, _windows(rep, meta, n_representative, 0), _windows(held, meta, n_heldout, 1))
    r = q.report_
    typer.echo(f"wrote {model_dir}: int8 {q.int8_bytes_} bytes (budget {ACTIVITY_MAX_MODEL_BYTES}), TFLM arena "
               f"{q.arena_bytes_} bytes (measured {r['arena_bytes_measured']}, budget {ACTIVITY_MAX_ARENA_BYTES}); "
               f"TFLM vs float on {r['n_heldout_windows']} held-out windows ({_synthetic_note(held)}): probability "
               f"max |err| {r['tflm_vs_float']['max_abs']:.3f}, mean {r['tflm_vs_float']['mean_abs']:.4f}")
    for flag, what in (("over_model_budget", "int8 model"), ("over_arena_budget", "arena")):
        if r.get(flag):
            typer.echo(f"warning: the {what} is over its budget (see quantize.json)", err=True)


def _fmt(v, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def print_report(report: dict, title: str) -> None:
    """Per-class precision / recall / F1 / support, the confusion matrix and the per-protocol accuracy."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    o = report["overall"]
    t = Table(title=title)
    for col in ("class", "precision", "recall", "F1", "support"):
        t.add_column(col, justify="left" if col == "class" else "right")
    for name, m in o["per_class"].items():
        t.add_row(name, _fmt(m["precision"]), _fmt(m["recall"]), _fmt(m["f1"]), str(m["support"]))
    t.add_row("accuracy", "", "", _fmt(o["accuracy"]), str(o["n_samples"]))
    t.add_row("macro", _fmt(o["macro_precision"]), _fmt(o["macro_recall"]), _fmt(o["macro_f1"]), "")
    t.add_row("micro", _fmt(o["micro_precision"]), _fmt(o["micro_recall"]), _fmt(o["micro_f1"]), "")
    console.print(t)
    c = Table(title="confusion matrix (rows true, columns predicted)")
    c.add_column("true \\ pred")
    for name in o["names"]:
        c.add_column(name[:10], justify="right")
    for name, row in zip(o["names"], o["confusion"]):
        c.add_row(name, *map(str, row))
    console.print(c)
    g = Table(title="by protocol")
    for col in ("protocol", "windows", "accuracy", "macro F1"):
        g.add_column(col, justify="left" if col == "protocol" else "right")
    for name, m in report["by_protocol"].items():
        g.add_row(name, str(m["n"]), _fmt(m["accuracy"]), _fmt(m["macro_f1"]))
    console.print(g)
    s = report["steady"]
    typer.echo(f"accuracy {100 * o['accuracy']:.1f} % on {o['n_samples']} windows; on {s['n']} steady windows (one "
               f"activity throughout) {_fmt(None if s['accuracy'] is None else 100 * s['accuracy'], 1)} %; "
               f"{report['n_unlabelled']} windows without one of the classes left out")


def evaluate(
    sessions: list[Path] | None = typer.Argument(None, help="Sessions: .gns files, folders or a cohort (its test "
                                                 "split).", show_default=False),
    uci_har: Path | None = typer.Option(None, "--uci-har", help="Evaluate on the UCI HAR Dataset folder's test split "
                                        "instead."),
    model: str = typer.Option("float", "--model", help="float (Keras), int8 (LiteRT) or tflm (int8 in "
                              "TFLite-Micro, as on the node)."),
    model_dir: Path = typer.Option(..., "--model-dir", help="Activity model folder."),
    split: str = typer.Option("test", "--split", help="Split to take from cohorts: train, val, test."),
    protocols: str | None = typer.Option(None, "--protocols", help="Only sessions of these protocols "
                                         "(comma-separated)."),
    placement: str | None = typer.Option(None, "--placement", help="Only sessions of this placement (default: the "
                                         "model's)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the full report as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace an existing JSON report."),
) -> None:
    """Activity per window as the node reports it: accuracy, per-class precision / recall / F1, macro / micro F1,
    confusion matrix (paper 003's metrics); per protocol and subject."""
    from gaitnode.training.activity_eval import RUNNER_KINDS, ActivityEvaluation, activity_runner, agreement
    from gaitnode.training.datasets import cohort_manifest, load_sessions

    _check(model, "model", RUNNER_KINDS)
    _check(placement, "placement", PLACEMENTS)
    _one_source(sessions, uci_har, "evaluate activity")
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    runner, meta = activity_runner(model_dir, model)
    if uci_har is not None:
        loaded = _uci_har(uci_har, "test")
    else:
        loaded = []
        for p in sessions:
            loaded += load_sessions([p], split=split if cohort_manifest(p) is not None else None,
                                    placement=placement or meta["placement"])
    loaded = _protocol_filter(loaded, protocols, "evaluation")
    ev = ActivityEvaluation(meta).evaluate(loaded, runner)
    report = ev.report_
    report.update(model=model, model_dir=str(model_dir), architecture=meta["architecture"],
                  data="UCI HAR test split" if uci_har is not None else "sessions")
    if model != "float":
        f = ActivityEvaluation(meta).evaluate(loaded, activity_runner(model_dir, "float")[0])
        names = list(ev.predictions_)
        report["vs_float"] = agreement(np.concatenate([f.predictions_[n]["probs"] for n in names]),
                                       np.concatenate([ev.predictions_[n]["probs"] for n in names]))
        report["float_accuracy"] = f.report_["overall"]["accuracy"]
    print_report(report, f"activity, --model {model} ({meta['architecture']}), {len(loaded)} sessions, "
                         f"{_synthetic_note(loaded)}")
    if "vs_float" in report:
        a = report["vs_float"]
        typer.echo(f"{model} vs float on {a['n']} windows: same class {100 * a['argmax_agreement']:.2f} %, "
                   f"probability max |err| {a['max_abs_prob']:.3f}; float accuracy "
                   f"{100 * report['float_accuracy']:.1f} %")
    if json_out is not None:
        write_json_report(json_out, report)


def register(app) -> None:
    """Add `activity` to the train, quantize and evaluate groups."""
    train_app.command("activity")(train)
    quantize_app.command("activity")(quantize)
    evaluate_app.command("activity")(evaluate)
