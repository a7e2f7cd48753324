"""`gaitnode train|evaluate hr-dynamics`: heart rate from the activity drive (paper 002's HR models).

  train hr-dynamics --data SESSIONS -o MODEL_DIR --model neural_ode|neural_kalman
  evaluate hr-dynamics [SESSIONS...] --model-dir DIR [--model-dir DIR2] [--mode both] [--gaps 10,30,60]
                       [--real-examples] [--json OUT]

SESSIONS are .gns files, folders of them, cohorts (train: their train/val splits; evaluate: their
test split) or real activity files (.tcx, .fit). --real-examples adds the real running sessions
shipped inside the `sweat` package. Every table says which rows are synthetic (simulator) and
which are real recordings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.json_report import write_json_report
from gaitnode.host.commands.models import evaluate_app, train_app

ACTIVITY_SUFFIXES = (".tcx", ".fit")


def _load(paths, split: str | None) -> list:
    """Sessions from .gns files / folders / cohorts (a cohort gives `split`) and .tcx/.fit files."""
    from gaitnode.training.datasets import cohort_manifest, load_sessions
    from gaitnode.training.hr_data import load_activity

    out = []
    for p in paths:
        p = Path(p)
        if p.suffix.lower() in ACTIVITY_SUFFIXES:
            out.append(load_activity(p))
        else:
            out += load_sessions([p], split=split if cohort_manifest(p) is not None else None)
    return out


def _distinct(sessions) -> list:
    """The sessions minus repeats of one HR recording (a cohort's other placements of one walk)."""
    seen, out = set(), []
    for s in sessions:
        hr = s.series.get("hr")
        key = (s.meta.subject.id, s.meta.protocol, None if hr is None else hash(hr.value.tobytes()))
        if hr is not None and key in seen:
            continue
        seen.add(key)
        out.append(s)
    if len(out) < len(sessions):
        typer.echo(f"note: {len(sessions) - len(out)} sessions repeat the HR of another one (the same recording "
                   f"seen by another node) and are left out")
    return out


def _data_note(seqs) -> str:
    n = sum(s.synthetic for s in seqs)
    if n == len(seqs):
        return "synthetic data (simulator)"
    return f"{n} synthetic (simulator) + {len(seqs) - n} real sessions" if n else "real recordings"


def train(
    data: list[Path] = typer.Option(..., "--data", help="Training sessions with HR and a drive: .gns files, folders, "
                                    "a cohort (its train split; val split for validation), .tcx/.fit files."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder to write (model.json + weights.npz)."),
    model: str = typer.Option("neural_ode", "--model", help="neural_ode or neural_kalman."),
    val: list[Path] | None = typer.Option(None, "--val", help="Validation sessions (default: the cohort's val split, "
                                          "or 20 % of the subjects)."),
    hidden: int = typer.Option(32, "--hidden", help="Width of the encoder, GRU and heads."),
    epochs: int = typer.Option(40, "--epochs", help="Most epochs (early stopping on validation MAE)."),
    steps_per_epoch: int = typer.Option(10, "--steps-per-epoch", help="Training batches between validations."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop starting epochs after this long."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, crops, masks and augmentation."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model folder."),
) -> None:
    """Train the neural ODE or neural Kalman HR model (standard, generative and gap conditions)."""
    from gaitnode.training.datasets import cohort_manifest, split_by_subject
    from gaitnode.training.hr_data import sequences
    from gaitnode.training.hr_model_dir import ARCHITECTURES, META_FILE, WEIGHTS_FILE, save_hr_model
    from gaitnode.training.hr_trainer import HrDynamicsTrainer

    if model not in ARCHITECTURES:
        raise GaitnodeError(f"--model: {model!r} is not one of {', '.join(ARCHITECTURES)}")
    refuse_existing([out / META_FILE, out / WEIGHTS_FILE], overwrite=force)
    if val:
        train_s, val_s = _load(data, None), _load(val, None)
    elif data and all(cohort_manifest(p) is not None for p in data):
        train_s, val_s = _load(data, "train"), _load(data, "val")
    else:
        train_s, val_s = split_by_subject(_load(data, None), 0.2, seed)
    train_q, val_q = sequences(_distinct(train_s)), sequences(_distinct(val_s))
    trainer = HrDynamicsTrainer(architecture=model, hidden=hidden, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                seed=seed, max_train_s=None if max_minutes is None else max_minutes * 60.0)
    trainer.fit(train_q, val_q)
    save_hr_model(out, trainer.model_, trainer.meta_, overwrite=force)
    t = trainer.meta_["training"]
    h = t["history"]
    best = t["best_epoch"] - 1
    typer.echo(f"wrote {out}: {model}, {t['params']} parameters; {len(train_q)} train / {len(val_q)} val sessions "
               f"({_data_note(train_q + val_q)}); {t['epochs_run']} epochs in {t['train_seconds']:.0f} s "
               f"({t['stopped']}); best epoch {t['best_epoch']}: validation MAE standard "
               f"{h['val_standard_mae'][best]:.2f} bpm, generative {h['val_generative_mae'][best]:.2f} bpm")


def _fmt(v, p=2) -> str:
    return "-" if v is None else f"{v:.{p}f}"


def _print_tables(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 150)
    t = Table(title="HR dynamics: error on the seconds the model was not given (bpm)")
    for col in ("model", "mode", "data", "sessions", "seconds", "MAE", "RMSE", "MAPE %", "bias", "r"):
        t.add_column(col, justify="left" if col in ("model", "mode", "data") else "right")
    for name, m in summary["models"].items():
        for mode, rep in m["evaluation"]["modes"].items():
            for kind, a in rep["aggregate"].items():
                t.add_row(name, mode, kind, str(a["sessions"]), str(a["n"]), _fmt(a["mae"]), _fmt(a["rmse"]),
                          _fmt(a["mape_pct"]), _fmt(a["bias"]), _fmt(a["r"], 3))
    console.print(t)
    real_rows = [(name, mode, r) for name, m in summary["models"].items()
                 for mode, rep in m["evaluation"]["modes"].items() for r in rep["sessions"] if r["data"] == "real"]
    if real_rows:
        t = Table(title="real sessions")
        for col in ("model", "mode", "session", "seconds", "MAE", "RMSE", "r"):
            t.add_column(col, justify="left" if col in ("model", "mode", "session") else "right")
        for name, mode, r in real_rows:
            t.add_row(name, mode, r["name"], str(r["n"]), _fmt(r["mae"]), _fmt(r["rmse"]), _fmt(r["r"], 3))
        console.print(t)
    if any("gaps" in m for m in summary["models"].values()):
        t = Table(title="HR gap filling: MAE inside hidden dropouts (bpm)")
        for col in ("model", "gap s", "data", "gaps", "seconds", "model (bridged)", "model (forward)", "linear"):
            t.add_column(col, justify="left" if col in ("model", "data") else "right")
        for name, m in summary["models"].items():
            for gap, kinds in m.get("gaps", {}).get("by_gap", {}).items():
                for kind, g in kinds.items():
                    t.add_row(name, gap, kind, str(g["gaps"]), str(g["seconds"]), _fmt(g["bridged"]["mae"]),
                              _fmt(g["forward"]["mae"]), _fmt(g["linear"]["mae"]))
        console.print(t)


def _gap_list(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none", "0"):
        return ()
    try:
        gaps = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise GaitnodeError(f"--gaps: {text!r} is not a comma-separated list of seconds (e.g. 10,30,60)") from None
    if any(g < 3 for g in gaps):
        raise GaitnodeError(f"--gaps: dropouts must be at least 3 s long, got {text!r}")
    return gaps


def evaluate(
    sessions: list[Path] | None = typer.Argument(None, help="Sessions: .gns files, folders, a cohort (its test "
                                                 "split), .tcx/.fit files.", show_default=False),
    model_dir: list[Path] = typer.Option(..., "--model-dir", help="HR dynamics model folder(s)."),
    mode: str = typer.Option("both", "--mode", help="standard (first second of each window known), generative "
                             "(first second of the session known) or both."),
    window_s: int = typer.Option(60, "--window-s", help="Standard-mode window (s)."),
    gaps: str = typer.Option("10,30,60", "--gaps", help="Dropout lengths (s) for the gap-filling check, or none."),
    real_examples: bool = typer.Option(False, "--real-examples", help="Add the real running sessions shipped in the "
                                       "`sweat` package (Polar M400 + H7 chest strap)."),
    split: str = typer.Option("test", "--split", help="Split to take from cohorts: train, val, test."),
    seed: int = typer.Option(0, "--seed", help="Seed for the placement of the hidden dropouts."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the summary as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace an existing JSON file."),
) -> None:
    """Per-session and aggregate HR error (MAE, RMSE, MAPE, r) per mode, and gap filling vs linear interpolation."""
    from gaitnode.training.hr_data import packaged_real_files, packaged_real_sessions, sequences
    from gaitnode.training.hr_eval import HrDynamicsEvaluation
    from gaitnode.training.hr_gap_eval import HrGapEvaluation
    from gaitnode.training.hr_gaps import HrGapFiller
    from gaitnode.training.hr_model_dir import load_hr_model
    from gaitnode.training.hr_predict import MODES

    modes = MODES if mode == "both" else (mode,)
    if mode != "both" and mode not in MODES:
        raise GaitnodeError(f"--mode: {mode!r} is not one of standard, generative, both")
    gap_s = _gap_list(gaps)
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    loaded = _load(sessions or [], split)
    real = []
    if real_examples:
        real = packaged_real_sessions()
        loaded += real
    if not loaded:
        raise GaitnodeError("no sessions to evaluate: give SESSIONS and/or --real-examples")
    loaded = _distinct(loaded)
    seqs = sequences(loaded)
    summary = {"data": _data_note(seqs), "window_s": window_s, "sessions": [s.name for s in seqs], "models": {}}
    if real:
        summary["real_files"] = [{"package": pkg, "file": p.name, "description": what}
                                 for p, pkg, what in packaged_real_files()]
    for d in model_dir:
        model, meta = load_hr_model(d)
        name = d.name
        if name in summary["models"]:
            raise GaitnodeError(f"--model-dir: two model folders are named {name!r}; give folders with distinct names")
        ev = HrDynamicsEvaluation(modes=modes, window_s=window_s).evaluate(model, seqs)
        entry = {"model_dir": str(d), "architecture": meta["architecture"],
                 "synthetic_training_data": meta["synthetic_training_data"], "evaluation": ev.report_}
        if gap_s:
            fillers = {"bridged": HrGapFiller(model=model, bridge=True), "forward": HrGapFiller(model=model, bridge=False)}
            entry["gaps"] = HrGapEvaluation(gap_seconds=gap_s, seed=seed).evaluate(fillers, loaded).report_
        summary["models"][name] = entry
    typer.echo(f"{len(seqs)} sessions ({summary['data']}), {int(sum(len(s) for s in seqs))} s of HR")
    _print_tables(summary)
    if json_out is not None:
        write_json_report(json_out, summary)


def register(app: typer.Typer) -> None:
    """Add `hr-dynamics` to the train and evaluate groups."""
    train_app.command("hr-dynamics")(train)
    evaluate_app.command("hr-dynamics")(evaluate)

