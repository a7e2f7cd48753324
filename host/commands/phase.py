"""`gaitnode train|quantize|evaluate phase`: gait phases HS/ST/HO/SW per sample (paper 001, ResNet-LSTM(-TPA)).

  train phase --data SESSIONS -o DIR [--architecture resnet_lstm|resnet_lstm_tpa|lstm_only|resnet_lstm_paper|knn|svm]
  quantize phase DIR --data SESSIONS      int8 + TFLite-Micro check + C arrays (c/phase_model_*)
  evaluate phase SESSIONS... --model float|int8|tflm|knn|svm --model-dir DIR [--json R.json]

SESSIONS are .gns files, folders or a cohort folder (its train/val/test split is used); they need
per-sample phase labels (simulated sessions have them; recordings with foot-pressure channels can
be labelled with training.phase_fsr). Every report says whether the data was synthetic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.heel_strike import PLACEMENTS, _check, _synthetic_note
from gaitnode.host.commands.json_report import write_json_report
from gaitnode.host.commands.models import evaluate_app, quantize_app, train_app
from gaitnode.host.commands.vo2 import _protocol_filter

NETWORKS = ("resnet_lstm", "resnet_lstm_tpa", "lstm_only", "resnet_lstm_paper")
BASELINES = ("knn", "svm")
MODEL_KINDS = ("float", "int8", "tflm", "knn", "svm")
PHASE_MAX_MODEL_BYTES = 40960  # the node budget for the int8 phase model
PHASE_MAX_ARENA_BYTES = 16384  # and for its TFLite-Micro arena


def _load_train_val(data, val, placement, seed, protocols):
    from gaitnode.training.datasets import load_sessions, train_val_sessions

    if val:
        train_s, val_s = load_sessions(data, placement=placement), load_sessions(val, placement=placement)
    else:
        train_s, val_s = train_val_sessions(data, placement=placement, seed=seed)
    train_s = _protocol_filter(train_s, protocols, "training")
    val_s = _protocol_filter(val_s, protocols, "validation")
    found = sorted({s.meta.placement for s in train_s + val_s})
    if len(found) != 1:
        raise GaitnodeError(f"--data holds {', '.join(found)} sessions; one phase model is trained per placement: "
                            f"pass --placement")
    return train_s, val_s


def _train_baseline(kind, train_s, val_s, channels, max_rows, seed, out, force) -> str:
    from gaitnode.training.datasets import session_name, subjects_of
    from gaitnode.training.phase_baselines import PhaseBaseline, save_baseline
    from gaitnode.training.phase_dataset import (
        INPUT_CLIP, PHASE_HOP, PHASE_RATE_HZ, PHASE_WINDOW, RangeNormalizer, phase_arrays, session_rows)
    from gaitnode.sessions.model import PHASES

    meta = {"channels": list(channels), "classes": list(PHASES), "rate_hz": PHASE_RATE_HZ}
    norm = RangeNormalizer().fit([session_rows(s, meta)[0] for s in train_s])
    meta = {"format": "gaitnode-model", "version": 1, "task": "gait_phase", "architecture": kind,
            "placement": train_s[0].meta.placement, "rate_hz": PHASE_RATE_HZ, "channels": list(channels),
            "window": PHASE_WINDOW, "hop": PHASE_HOP, "norm_mean": [float(v) for v in norm.mean_],
            "norm_std": [float(v) for v in norm.std_], "input_clip": INPUT_CLIP, "classes": list(PHASES),
            "output": "last_hop", "seed": int(seed),
            "synthetic_training_data": all(bool(s.meta.synthetic) for s in train_s + val_s),
            "training": {"sessions": {"train": [session_name(s) for s in train_s]},
                         "subjects": {"train": subjects_of(train_s)}, "max_rows": max_rows}}
    X, Y = phase_arrays(train_s, meta)
    b = PhaseBaseline(kind, max_rows=max_rows, seed=seed).fit(X, Y)
    meta["training"]["n_rows"] = b.n_rows_
    save_baseline(out, b, meta, overwrite=force)
    return f"{kind} on {b.n_rows_} labelled rows"


def train(
    data: list[Path] = typer.Option(..., "--data", help="Training sessions: .gns files, folders or a cohort "
                                    "(repeatable)."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder to write (model.keras + model.json; "
                             "baselines: baseline.pkl + baseline.json)."),
    placement: str | None = typer.Option(None, "--placement", help="shank or foot (default: the data's only one)."),
    architecture: str = typer.Option("resnet_lstm", "--architecture", help="resnet_lstm (node-sized), "
                                     "resnet_lstm_tpa (temporal attention), lstm_only, resnet_lstm_paper "
                                     "(ResNet-34 sizes), knn, svm (scikit-learn baselines)."),
    channels: str = typer.Option("acc+gyr", "--channels", help="acc+gyr, acc+gyr+mag, or comma-separated names: "
                                 "IMU channels and series of the sessions (extra sensors, e.g. fsr_heel)."),
    protocols: str | None = typer.Option(None, "--protocols", help="Only sessions of these protocols "
                                         "(comma-separated)."),
    val: list[Path] | None = typer.Option(None, "--val", help="Validation sessions (default: the cohort's val "
                                          "split, or 20 % of the subjects)."),
    epochs: int = typer.Option(20, "--epochs", help="Most epochs (early stopping on validation loss)."),
    windows_per_epoch: int = typer.Option(20000, "--windows-per-epoch", help="Training windows drawn per epoch."),
    batch_size: int = typer.Option(64, "--batch-size", help="Windows per training step."),
    range_quantile: float | None = typer.Option(None, "--range-quantile", help="Normalisation range: between this "
                                                "quantile of the training data and 1 minus it (0: the paper's "
                                                "min/max; default: phase_dataset.RANGE_QUANTILE)."),
    max_val_windows: int | None = typer.Option(None, "--max-val-windows", help="Validate on a fixed random subset "
                                               "of this many windows (default: all; for the paper-size model)."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop starting epochs after this long."),
    max_rows: int = typer.Option(20000, "--max-rows", help="knn/svm: labelled rows to fit on."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, sampling and augmentation."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model folder."),
) -> None:
    """Train a gait-phase classifier (HS/ST/HO/SW for the newest 10 of every 40 samples) or a KNN/SVM baseline."""
    from gaitnode.training.phase_dataset import resolve_phase_channels

    _check(placement, "placement", PLACEMENTS)
    _check(architecture, "architecture", NETWORKS + BASELINES)
    names = resolve_phase_channels(channels)
    train_s, val_s = _load_train_val(data, val, placement, seed, protocols)
    if architecture in BASELINES:
        what = _train_baseline(architecture, train_s, val_s, names, max_rows, seed, out, force)
        typer.echo(f"wrote {out}: {what}, {train_s[0].meta.placement}, {len(names)} channels "
                   f"({_synthetic_note(train_s)})")
        return
    from gaitnode.training.model_dir import save_model_dir
    from gaitnode.training.phase_trainer import PhaseTrainer
    from gaitnode.quantize.quantizer import output_paths

    refuse_existing([out / "model.json", out / "model.keras"], overwrite=force)
    for path in output_paths(out, "phase").values():  # a retrained model invalidates the old int8 files
        path.unlink(missing_ok=True)
    from gaitnode.training.phase_dataset import RANGE_QUANTILE

    trainer = PhaseTrainer(architecture=architecture, channels=names, epochs=epochs, batch_size=batch_size,
                           range_quantile=RANGE_QUANTILE if range_quantile is None else range_quantile,
                           windows_per_epoch=windows_per_epoch, max_val_windows=max_val_windows, seed=seed,
                           max_train_s=None if max_minutes is None else max_minutes * 60.0)
    trainer.fit(train_s, val_s)
    save_model_dir(out, trainer.model_, trainer.meta_, overwrite=force)
    t = trainer.meta_["training"]
    typer.echo(f"wrote {out}: {architecture}, {trainer.meta_['placement']}, {len(names)} channels, "
               f"{t['params']} parameters; {len(train_s)} train / {len(val_s)} val sessions "
               f"({_synthetic_note(train_s + val_s)}); {t['epochs_run']} epochs in {t['train_seconds']:.0f} s, "
               f"validation accuracy {t['history']['val_accuracy'][t['best_epoch'] - 1]:.4f}")


def _windows(sessions, meta: dict, n: int, seed: int) -> np.ndarray:
    """Up to n model-input windows with at least one labelled row, drawn (seeded) from the sessions."""
    from gaitnode.training.phase_dataset import phase_arrays

    X, Y = phase_arrays(sessions, meta)
    keep = np.flatnonzero((Y >= 0).any(axis=1))
    if len(keep) == 0:
        keep = np.arange(len(X))
    pick = np.sort(np.random.default_rng(seed).choice(keep, size=min(n, len(keep)), replace=False))
    return X[pick]


def quantize(
    model_dir: Path = typer.Argument(..., help="Model folder from `gaitnode train phase`."),
    data: list[Path] = typer.Option(..., "--data", help="Sessions for the representative set (a cohort: its train "
                                    "split) and the held-out check (a cohort: its test split)."),
    heldout: list[Path] | None = typer.Option(None, "--heldout", help="Held-out sessions (default: the cohort's "
                                              "test split)."),
    n_representative: int = typer.Option(400, "--representative", help="Windows in the representative set."),
    n_heldout: int = typer.Option(400, "--heldout-windows", help="Held-out windows for the output comparison."),
    arena_margin: float = typer.Option(0.10, "--arena-margin", help="Safety margin on the measured arena (fraction)."),
    force: bool = typer.Option(False, "--force", help="Replace existing .tflite / C files."),
) -> None:
    """int8 conversion (child process), integer-only check, TFLite-Micro run + arena, C arrays (phase_model_*)."""
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.quantize.runners import KerasRunner, TFLMRunner
    from gaitnode.training.datasets import cohort_manifest, load_sessions
    from gaitnode.training.model_dir import load_meta
    from gaitnode.training.phase_dataset import is_node_channels

    meta = load_meta(model_dir)
    if meta.get("task") != "gait_phase":
        raise GaitnodeError(f"{model_dir}: a {meta.get('task')} model; `gaitnode quantize phase` takes a gait-phase "
                            f"model")
    if not is_node_channels(meta["channels"]):
        raise GaitnodeError(f"{model_dir}: its channels ({', '.join(meta['channels'])}) are not all IMU channels of "
                            f"the node; a multi-sensor model trains and evaluates on the host but cannot run on a node")
    cohort = all(cohort_manifest(p) is not None for p in data)
    rep = load_sessions(data, placement=meta["placement"], split="train" if cohort else None)
    if heldout:
        held = load_sessions(heldout, placement=meta["placement"])
    elif cohort:
        held = load_sessions(data, placement=meta["placement"], split="test")
    else:
        raise GaitnodeError("--heldout: give held-out sessions (or pass a cohort as --data to use its test split)")
    Xh = _windows(held, meta, n_heldout, 1)
    q = Quantizer(arena_margin=arena_margin, max_model_bytes=PHASE_MAX_MODEL_BYTES,
                  max_arena_bytes=PHASE_MAX_ARENA_BYTES, overwrite=force, name="phase").run(
        model_dir, _windows(rep, meta, n_representative, 0), Xh)
    r = q.report_
    hop, k = int(meta["hop"]), len(meta["classes"])
    p_float = KerasRunner(model_dir).predict(Xh).reshape(len(Xh), hop, k).argmax(-1)
    p_tflm = TFLMRunner(q.paths_["int8_tflite"].read_bytes(), q.arena_bytes_).predict(Xh).reshape(
        len(Xh), hop, k).argmax(-1)
    r["phase_agreement_tflm_vs_float"] = float((p_float == p_tflm).mean())
    r["heldout_data"] = _synthetic_note(held)
    q.paths_["report"].write_text(json.dumps(r, indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {model_dir}: int8 {q.int8_bytes_} bytes (budget {PHASE_MAX_MODEL_BYTES}), TFLM arena "
               f"{q.arena_bytes_} bytes (measured {r['arena_bytes_measured']}, budget {PHASE_MAX_ARENA_BYTES}); "
               f"TFLM vs float on {len(Xh)} held-out windows ({_synthetic_note(held)}): same phase on "
               f"{100 * r['phase_agreement_tflm_vs_float']:.2f} % of rows, max |prob err| "
               f"{r['tflm_vs_float']['max_abs']:.3f}")
    for flag, what in (("over_model_budget", "int8 model"), ("over_arena_budget", "arena")):
        if r.get(flag):
            typer.echo(f"warning: the {what} is over its budget (see quantize.json)", err=True)


def _fmt(v, digits=1) -> str:
    return "-" if v is None else f"{100 * v:.{digits}f}"


def print_table(report: dict, title: str) -> None:
    """The per-paper metrics (%, rows = overall and each terrain), then the overall confusion matrix."""
    from rich.console import Console
    from rich.table import Table

    classes = report["classes"]
    t = Table(title=title)
    columns = ("group", "rows", "accuracy", "macro P", "macro R", "macro F1", "micro F1", *[f"F1 {c}" for c in classes])
    for col in columns:
        t.add_column(col, justify="left" if col == "group" else "right")
    groups = [("all", report["overall"])] + [(k, v) for k, v in report["by_terrain"].items()]
    for name, r in groups:
        if not r.get("n_samples"):
            t.add_row(name, "0", *["-"] * (5 + len(classes)))
            continue
        t.add_row(name, str(r["n_samples"]), _fmt(r["accuracy"], 2), _fmt(r["macro_precision"]),
                  _fmt(r["macro_recall"]), _fmt(r["macro_f1"]), _fmt(r["micro_f1"]),
                  *[_fmt(r["per_class"][c]["f1"]) for c in classes])
    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(t)
    cm = Table(title="confusion (rows = true, columns = predicted), all rows")
    cm.add_column("true")
    for c in classes:
        cm.add_column(c, justify="right")
    for c, row in zip(classes, report["overall"]["confusion"]):
        cm.add_row(c, *[str(v) for v in row])
    console.print(cm)


def evaluate(
    sessions: list[Path] = typer.Argument(..., help="Sessions: .gns files, folders or a cohort (its test split).",
                                          show_default=False),
    model: str = typer.Option("float", "--model", help="float (Keras), int8 (LiteRT), tflm (int8 in TFLite-Micro), "
                              "knn or svm (baselines from `train phase --architecture knn|svm`)."),
    model_dir: Path = typer.Option(..., "--model-dir", help="Model (or baseline) folder."),
    split: str = typer.Option("test", "--split", help="Split to take from cohorts: train, val, test."),
    protocols: str | None = typer.Option(None, "--protocols", help="Only sessions of these protocols "
                                         "(comma-separated)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the full report as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace an existing JSON report."),
) -> None:
    """Per-sample gait phases against the sessions' labels: accuracy, per-phase precision/recall/F1, macro and
    micro F1, confusion matrix; overall and per terrain (level, stairs up, stairs down)."""
    from gaitnode.training.datasets import cohort_manifest, load_sessions, session_name
    from gaitnode.training.phase_eval import PhaseEvaluation, PhasePredictor, agreement, predict_sessions

    _check(model, "model", MODEL_KINDS)
    _check(split, "split", ("train", "val", "test"))
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    predictor = PhasePredictor(model, model_dir)
    placement = predictor.meta["placement"]
    loaded = []
    for p in sessions:
        loaded += load_sessions([p], split=split if cohort_manifest(p) is not None else None, placement=placement)
    loaded = _protocol_filter(loaded, protocols, "evaluation")
    preds = predict_sessions(predictor, loaded)
    ev = PhaseEvaluation().evaluate(loaded, preds, predictor.meta, names=[session_name(s) for s in loaded])
    report = ev.report_
    report.update({"model": model, "model_dir": str(model_dir), "architecture": predictor.meta["architecture"],
                   "data": _synthetic_note(loaded)})
    if model in ("int8", "tflm"):
        report["agreement_with_float"] = agreement(preds, predict_sessions(PhasePredictor("float", model_dir), loaded))
    print_table(report, f"gait phases, {predictor.meta['architecture']} --model {model}, {len(loaded)} sessions, "
                        f"{_synthetic_note(loaded)} (%)")
    if "agreement_with_float" in report:
        typer.echo(f"{model} vs float: the same phase on {100 * report['agreement_with_float']:.2f} % of rows")
    if json_out is not None:
        write_json_report(json_out, report)


def register(app) -> None:
    """Add `phase` to the train, quantize and evaluate groups."""
    train_app.command("phase")(train)
    quantize_app.command("phase")(quantize)
    evaluate_app.command("phase")(evaluate)
