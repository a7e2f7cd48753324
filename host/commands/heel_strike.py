"""`gaitnode train|quantize|evaluate heel-strike`: the heel-strike model from sessions to C arrays.

  train heel-strike --data SESSIONS -o MODEL_DIR      (or --finetune-from MODEL_DIR: transfer learning)
  quantize heel-strike MODEL_DIR --data SESSIONS      int8 + TFLite-Micro check + C arrays
  evaluate heel-strike SESSIONS... --model-dir DIR --model float|int8|tflm|classical

SESSIONS are .gns files, folders of them, or a cohort folder (its train/val/test split is used).
Every report says whether the data was synthetic (simulator output).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.json_report import write_json_report
from gaitnode.host.commands.models import evaluate_app, quantize_app, train_app

ARCHITECTURES = ("cnn_lstm", "cnn_lstm_paper", "lstm_only")
CHANNEL_SETS = ("acc+gyr", "acc+gyr+mag")
PLACEMENTS = ("shank", "foot")


def _check(value, what: str, allowed) -> None:
    if value is not None and value not in allowed:
        raise GaitnodeError(f"--{what}: {value!r} is not one of {', '.join(allowed)}")


def _synthetic_note(sessions) -> str:
    n = sum(bool(s.meta.synthetic) for s in sessions)
    if n == len(sessions):
        return "synthetic data (simulator)"
    return f"{n} of {len(sessions)} sessions synthetic" if n else "recorded (non-synthetic) data"


def _drop_stale_outputs(model_dir: Path) -> None:
    """A retrained model invalidates what `quantize` made from the old one: remove it (--force only)."""
    from gaitnode.quantize.quantizer import output_paths

    for path in output_paths(model_dir).values():
        path.unlink(missing_ok=True)


def train(
    data: list[Path] = typer.Option(..., "--data", help="Training sessions: .gns files, folders or a cohort "
                                    "(repeatable). With --finetune-from: the new subject's sessions."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder to write (model.keras + model.json)."),
    placement: str | None = typer.Option(None, "--placement", help="shank or foot (default: the data's only one)."),
    architecture: str = typer.Option("cnn_lstm", "--architecture",
                                     help="cnn_lstm (MCU-sized), cnn_lstm_paper (paper 000's sizes), lstm_only."),
    channels: str = typer.Option("acc+gyr", "--channels", help="acc+gyr (6 axes) or acc+gyr+mag (9 axes)."),
    val: list[Path] | None = typer.Option(None, "--val", help="Validation sessions (default: the cohort's val "
                                          "split, or 20 % of the subjects)."),
    epochs: int = typer.Option(30, "--epochs", help="Most epochs (early stopping on validation loss)."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop starting epochs after this long."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, shuffling and augmentation."),
    finetune_from: Path | None = typer.Option(None, "--finetune-from", help="Base model folder: freeze its "
                                              "feature extractor, fine-tune the head on --data."),
    data_seconds: float | None = typer.Option(None, "--data-seconds", help="Fine-tuning: use only the first S "
                                              "seconds of each --data session (e.g. 120 for two minutes)."),
    unfreeze: str = typer.Option("none", "--unfreeze", help="Fine-tuning: none, or gradual (feature blocks "
                                 "unfrozen from the top, one per stage)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model folder."),
) -> None:
    """Train the heel-strike detector (per-sample probability, CNN-LSTM) on sessions with reference events."""
    from gaitnode.training.datasets import load_sessions, train_val_sessions
    from gaitnode.training.model_dir import save_model_dir

    _check(placement, "placement", PLACEMENTS)
    _check(architecture, "architecture", ARCHITECTURES)
    _check(channels, "channels", CHANNEL_SETS)
    _check(unfreeze, "unfreeze", ("none", "gradual"))
    refuse_existing([out / "model.json", out / "model.keras"], overwrite=force)
    _drop_stale_outputs(out)
    if finetune_from is not None:
        from gaitnode.training.finetune import FineTuner
        from gaitnode.training.model_dir import load_meta

        base = load_meta(finetune_from)
        sessions = load_sessions(data, placement=placement or base["placement"])
        if data_seconds is not None:
            from gaitnode.sessions.slicing import time_slice

            sessions = [time_slice(s, 0.0, data_seconds) for s in sessions]
        val_sessions = load_sessions(val, placement=placement or base["placement"]) if val else None
        tuner = FineTuner(unfreeze=unfreeze, seed=seed).fit(finetune_from, sessions, val_sessions)
        save_model_dir(out, tuner.model_, tuner.meta_, overwrite=force)
        stages = tuner.meta_["training"]["fine_tune"]["stages"]
        seconds = sum(s.duration_s for s in sessions)
        typer.echo(f"wrote {out}: fine-tuned from {finetune_from} on {len(sessions)} sessions, {seconds:.0f} s "
                   f"({_synthetic_note(sessions)}); {sum(st['epochs_run'] for st in stages)} epochs in {len(stages)} stage(s)")
        return
    from gaitnode.training.heel_strike_trainer import HeelStrikeTrainer

    if data_seconds is not None:
        raise GaitnodeError("--data-seconds applies to fine-tuning (--finetune-from) only")
    if val:
        train_s = load_sessions(data, placement=placement, split=None)
        val_s = load_sessions(val, placement=placement)
    else:
        train_s, val_s = train_val_sessions(data, placement=placement, seed=seed)
    found = sorted({s.meta.placement for s in train_s})
    if len(found) != 1:
        raise GaitnodeError(f"--data holds {', '.join(found)} sessions; one model is trained per placement: "
                            f"pass --placement")
    trainer = HeelStrikeTrainer(architecture=architecture, channels=channels, epochs=epochs, seed=seed,
                                max_train_s=None if max_minutes is None else max_minutes * 60.0)
    trainer.fit(train_s, val_s)
    save_model_dir(out, trainer.model_, trainer.meta_, overwrite=force)
    t = trainer.meta_["training"]
    typer.echo(f"wrote {out}: {architecture}, {found[0]}, {len(trainer.meta_['channels'])} channels; "
               f"{len(train_s)} train / {len(val_s)} val sessions ({_synthetic_note(train_s + val_s)}); "
               f"{t.get('epochs_run', '?')} epochs in {t.get('train_seconds', 0):.0f} s, "
               f"best val loss {t.get('best_val_loss', float('nan')):.4f}")


def _windows(sessions, meta: dict, n: int, seed: int) -> np.ndarray:
    """Up to n normalised model-input windows drawn (seeded) from the sessions."""
    from gaitnode.training.predict import session_windows

    X = np.concatenate([session_windows(s, meta) for s in sessions])
    pick = np.sort(np.random.default_rng(seed).choice(len(X), size=min(n, len(X)), replace=False))
    return X[pick]


def quantize(
    model_dir: Path = typer.Argument(..., help="Model folder from `gaitnode train heel-strike`."),
    data: list[Path] = typer.Option(..., "--data", help="Sessions for the representative set (a cohort: its train "
                                    "split) and the held-out check (a cohort: its test split)."),
    heldout: list[Path] | None = typer.Option(None, "--heldout", help="Held-out sessions (default: the cohort's "
                                              "test split)."),
    n_representative: int = typer.Option(300, "--representative", help="Windows in the representative set."),
    n_heldout: int = typer.Option(300, "--heldout-windows", help="Held-out windows for the output comparison."),
    f1_sessions: int = typer.Option(4, "--f1-sessions", help="Held-out sessions run end to end (float and TFLM "
                                    "int8) for the event-F1 difference."),
    arena_margin: float = typer.Option(0.10, "--arena-margin", help="Safety margin on the measured arena (fraction)."),
    force: bool = typer.Option(False, "--force", help="Replace existing .tflite / C files."),
) -> None:
    """int8 conversion (child process), integer-only check, TFLite-Micro run + arena, C arrays."""
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.datasets import cohort_manifest, load_sessions
    from gaitnode.training.heel_strike_detectors import ModelDetector
    from gaitnode.training.heel_strike_eval import HeelStrikeEvaluation
    from gaitnode.training.model_dir import load_meta

    meta = load_meta(model_dir)
    cohort = all(cohort_manifest(p) is not None for p in data)
    rep = load_sessions(data, placement=meta["placement"], split="train" if cohort else None)
    if heldout:
        held = load_sessions(heldout, placement=meta["placement"])
    elif cohort:
        held = load_sessions(data, placement=meta["placement"], split="test")
    else:
        raise GaitnodeError("--heldout: give held-out sessions (or pass a cohort as --data to use its test split)")
    q = Quantizer(arena_margin=arena_margin, overwrite=force).run(model_dir, _windows(rep, meta, n_representative, 0),
                                                   _windows(held, meta, n_heldout, 1))
    report = dict(q.report_)
    # End to end on whole held-out sessions: does int8 in TFLM detect the same events as float?
    chosen = held[: max(0, f1_sessions)]
    if chosen:
        f1 = {}
        for kind in ("float", "tflm"):
            det = ModelDetector(model_dir, kind)
            ev = HeelStrikeEvaluation(label_half_width=int(meta["label_half_width"]))
            f1[kind] = ev.evaluate(chosen, [det.detect(s) for s in chosen]).report_["overall"]["events"]
        report["event_f1"] = {"float": f1["float"]["f1"], "tflm_int8": f1["tflm"]["f1"],
                              "difference": f1["tflm"]["f1"] - f1["float"]["f1"], "sessions": len(chosen),
                              "data": _synthetic_note(chosen)}
        q.paths_["report"].write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {model_dir}: int8 {q.int8_bytes_} bytes, TFLM arena {q.arena_bytes_} bytes "
               f"(measured {report.get('arena_bytes_measured')}), TFLM vs float max |err| "
               f"{report.get('tflm_vs_float', {}).get('max_abs', float('nan')):.4f}")
    if "event_f1" in report:
        e = report["event_f1"]
        typer.echo(f"event F1 on {e['sessions']} held-out sessions ({e['data']}): float {e['float']:.4f}, "
                   f"TFLM int8 {e['tflm_int8']:.4f} (difference {e['difference']:+.4f})")
    for flag, what in (("over_model_budget", "int8 model"), ("over_arena_budget", "arena")):
        if report.get(flag):
            typer.echo(f"warning: the {what} is over its budget (see quantize.json)", err=True)


def _print_table(report: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for col in ("group", "n_ref", "F1", "precision", "recall", "median |err| ms", "p95 |err| ms",
                "sample acc", "sample F1"):
        t.add_column(col, justify="right" if col != "group" else "left")

    def row(name, g):
        e, s = g["events"], g.get("samples")
        fmt = lambda v, p=3: "-" if v is None else f"{v:.{p}f}"  # noqa: E731
        t.add_row(name, str(e["n_ref"]), fmt(e["f1"]), fmt(e["precision"]), fmt(e["recall"]),
                  fmt(e["median_abs_error_ms"], 1), fmt(e["p95_abs_error_ms"], 1),
                  fmt(s and s["accuracy"]), fmt(s and s["f1"]))

    row("all", report["overall"])
    for k, g in report["by_placement"].items():
        row(k, g)
    for k, g in report["by_speed"].items():
        row(k, g)
    # Wide enough for the table when the output is a file or pipe (rich would wrap at 80 columns).
    Console(width=None if sys.stdout.isatty() else 140).print(t)


def evaluate(
    sessions: list[Path] = typer.Argument(..., help="Sessions: .gns files, folders or a cohort (its test split).",
                                          show_default=False),
    model: str = typer.Option("float", "--model", help="float (Keras), int8 (LiteRT), tflm (int8 in TFLite-Micro) "
                              "or classical (the firmware's C gyro rule)."),
    model_dir: list[Path] | None = typer.Option(None, "--model-dir", help="Model folder(s); with several, each "
                                                "session uses the one of its placement."),
    reference: Path | None = typer.Option(None, "--reference", help="Reference events CSV (t_s,event,side) for "
                                          "a single session, replacing its own events."),
    tolerance_ms: float = typer.Option(50.0, "--tolerance-ms", help="Event match tolerance (ms)."),
    split: str = typer.Option("test", "--split", help="Split to take from cohorts: train, val, test."),
    from_seconds: float | None = typer.Option(None, "--from-seconds", help="Score only from this time on (s since "
                                              "each session's start), e.g. the part after fine-tuning data."),
    placement: str | None = typer.Option(None, "--placement", help="Only sessions of this placement (default: "
                                         "the placements the --model-dir models are for; classical: all)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the full report as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace an existing JSON report."),
) -> None:
    """Event precision/recall/F1 within +-tolerance, timing error, per-sample metrics; per placement and speed."""
    from gaitnode.training.datasets import cohort_manifest, load_sessions, session_name
    from gaitnode.training.heel_strike_detectors import MODEL_KINDS, make_detector
    from gaitnode.training.heel_strike_eval import HeelStrikeEvaluation
    from gaitnode.training.labels import DEFAULT_HALF_WIDTH
    from gaitnode.training.model_dir import load_meta

    _check(model, "model", MODEL_KINDS)
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    if model != "classical" and not model_dir:
        raise GaitnodeError(f"--model {model} needs --model-dir (a folder from `gaitnode train heel-strike`)")
    by_placement, widths = {}, set()
    for d in model_dir or []:
        meta = load_meta(d)
        if meta["placement"] in by_placement:
            raise GaitnodeError(f"--model-dir: {by_placement[meta['placement']]} and {d} are both {meta['placement']} "
                                f"models; give one per placement")
        by_placement[meta["placement"]] = d
        widths.add(int(meta["label_half_width"]))
    if len(widths) > 1:
        raise GaitnodeError(f"--model-dir: the models use different label half widths ({sorted(widths)} samples), "
                            f"so their per-sample scores differ in meaning; evaluate them one at a time")
    half_width = widths.pop() if widths else DEFAULT_HALF_WIDTH
    _check(placement, "placement", PLACEMENTS)
    loaded = []
    for p in sessions:
        loaded += load_sessions([p], split=split if cohort_manifest(p) is not None else None)
    wanted = {placement} if placement else set(by_placement) if model != "classical" else None
    if wanted is not None:
        kept = [s for s in loaded if s.meta.placement in wanted]
        skipped = len(loaded) - len(kept)
        if not kept:
            found = ", ".join(sorted({s.meta.placement for s in loaded}))
            raise GaitnodeError(f"no {' or '.join(sorted(wanted))} sessions to evaluate (placements found: {found})")
        if skipped:
            typer.echo(f"note: {skipped} of {len(loaded)} sessions are not {' or '.join(sorted(wanted))} "
                       f"sessions and are left out")
        loaded = kept
    if from_seconds is not None:
        from gaitnode.sessions.slicing import time_slice

        loaded = [time_slice(s, from_seconds) for s in loaded]
    if reference is not None:
        from gaitnode.sessions.importers.events_csv import read_events_csv

        if len(loaded) != 1:
            raise GaitnodeError(f"--reference applies to one session; {len(loaded)} were given")
        loaded[0].events = read_events_csv(reference)
    detectors, dets = {}, []
    for s in loaded:
        place = s.meta.placement
        if model == "classical":
            key = "classical"
        elif place not in by_placement:
            raise GaitnodeError(f"{session_name(s)}: a {place} session, but no --model-dir is for {place} "
                                f"(models given: {', '.join(sorted(by_placement)) or 'none'})")
        else:
            key = place
        if key not in detectors:
            detectors[key] = make_detector(model, by_placement.get(place), label_half_width=half_width)
        dets.append(detectors[key].detect(s))
    ev = HeelStrikeEvaluation(tolerance_s=tolerance_ms / 1e3, label_half_width=half_width)
    report = ev.evaluate(loaded, dets, names=[session_name(s) for s in loaded]).report_
    report["model"] = model
    report["model_dirs"] = {k: str(v) for k, v in by_placement.items()}
    data = _synthetic_note(loaded)
    _print_table(report, f"heel strike, --model {model}, {len(loaded)} sessions, {data}, +-{tolerance_ms:g} ms")
    if json_out is not None:
        write_json_report(json_out, report)


def register(app: typer.Typer) -> None:
    """Add `heel-strike` to the train, quantize and evaluate groups."""
    train_app.command("heel-strike")(train)
    quantize_app.command("heel-strike")(quantize)
    evaluate_app.command("heel-strike")(evaluate)
