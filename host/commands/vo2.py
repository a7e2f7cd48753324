"""`gaitnode train|quantize|evaluate vo2`: the CNN-LSTM VO2 model from the IMU (paper 000).

  train vo2 --data SESSIONS -o MODEL_DIR        (or --finetune-from MODEL_DIR: transfer learning)
  quantize vo2 MODEL_DIR --data SESSIONS        int8 + TFLite-Micro check + C arrays (c/vo2_model_*)
  evaluate vo2 SESSIONS... --model float|int8|tflm|acsm [--model-dir DIR]

SESSIONS are .gns files, folders of them, or a cohort folder (its train/val/test split is used);
they need a VO2 series ("vo2" ml/min, or "vo2_true" from the simulator) and the subject's mass.
Every report says whether the data was synthetic (simulator output).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.heel_strike import CHANNEL_SETS, PLACEMENTS, _check, _synthetic_note
from gaitnode.host.commands.json_report import write_json_report
from gaitnode.host.commands.models import evaluate_app, quantize_app, train_app

ARCHITECTURES = ("cnn_lstm", "cnn_lstm_paper", "lstm_only")
TARGET_SOURCES = ("vo2", "vo2_true")
VO2_MAX_MODEL_BYTES = 65536  # the budget for the int8 VO2 model
VO2_MAX_ARENA_BYTES = 32768  # and for its TFLite-Micro arena


def _drop_stale_outputs(model_dir: Path) -> None:
    """A retrained model invalidates what `quantize` made from the old one: remove it (--force only)."""
    from gaitnode.quantize.quantizer import output_paths

    for path in output_paths(model_dir, "vo2").values():
        path.unlink(missing_ok=True)


def _protocol_filter(sessions, protocols: str | None, what: str):
    if not protocols:
        return sessions
    wanted = {p.strip() for p in protocols.split(",") if p.strip()}
    kept = [s for s in sessions if (s.meta.protocol or "") in wanted]
    if not kept:
        found = ", ".join(sorted({s.meta.protocol or "unknown" for s in sessions}))
        raise GaitnodeError(f"--protocols {protocols}: no {what} session has one of these protocols (found: {found})")
    return kept


def train(
    data: list[Path] = typer.Option(..., "--data", help="Training sessions: .gns files, folders or a cohort "
                                    "(repeatable). With --finetune-from: the new subject's sessions."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder to write (model.keras + model.json)."),
    placement: str | None = typer.Option(None, "--placement", help="shank or foot (default: the data's only one)."),
    architecture: str = typer.Option("cnn_lstm", "--architecture",
                                     help="cnn_lstm (node-sized), cnn_lstm_paper (paper 000's sizes), lstm_only."),
    channels: str = typer.Option("acc+gyr", "--channels", help="acc+gyr (6 axes) or acc+gyr+mag (9 axes)."),
    target_source: str = typer.Option("vo2", "--target-source", help="vo2 (breath by breath, what a metabolic cart "
                                      "records; averaged over 10 s) or vo2_true (the simulator's noise-free VO2)."),
    protocols: str | None = typer.Option(None, "--protocols", help="Only sessions of these protocols "
                                         "(comma-separated, e.g. bruce,free_walk)."),
    val: list[Path] | None = typer.Option(None, "--val", help="Validation sessions (default: the cohort's val "
                                          "split, or 20 % of the subjects)."),
    epochs: int = typer.Option(20, "--epochs", help="Most epochs (early stopping on validation loss)."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop starting epochs after this long."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, shuffling and augmentation."),
    finetune_from: Path | None = typer.Option(None, "--finetune-from", help="Base VO2 model folder: freeze its "
                                              "feature extractor, extend and fine-tune on --data."),
    data_seconds: float | None = typer.Option(None, "--data-seconds", help="Fine-tuning: use only the first S "
                                              "seconds of each --data session (e.g. 120 for two minutes)."),
    unfreeze: str = typer.Option("none", "--unfreeze", help="Fine-tuning: none, or gradual (feature blocks "
                                 "unfrozen from the top, one per stage)."),
    extend: str = typer.Option("base", "--extend", help="Fine-tuning: base (Conv1D k=3 + LSTM + head starting as "
                               "the base model), random (the paper's fresh extension) or none."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model folder."),
) -> None:
    """Train the VO2 regressor (ml/kg/min per IMU window, smoothed on the node) on sessions with a VO2 series."""
    from gaitnode.training.datasets import load_sessions, train_val_sessions
    from gaitnode.training.model_dir import save_model_dir

    _check(placement, "placement", PLACEMENTS)
    _check(architecture, "architecture", ARCHITECTURES)
    _check(channels, "channels", CHANNEL_SETS)
    _check(target_source, "target-source", TARGET_SOURCES)
    _check(unfreeze, "unfreeze", ("none", "gradual"))
    _check(extend, "extend", ("base", "random", "none"))
    refuse_existing([out / "model.json", out / "model.keras"], overwrite=force)
    _drop_stale_outputs(out)
    if finetune_from is not None:
        from gaitnode.training.model_dir import load_meta
        from gaitnode.training.vo2_finetune import Vo2FineTuner

        base = load_meta(finetune_from)
        sessions = _protocol_filter(load_sessions(data, placement=placement or base["placement"]), protocols, "--data")
        if data_seconds is not None:
            from gaitnode.sessions.slicing import time_slice

            sessions = [time_slice(s, 0.0, data_seconds) for s in sessions]
        val_sessions = load_sessions(val, placement=placement or base["placement"]) if val else None
        tuner = Vo2FineTuner(unfreeze=unfreeze, extend=extend, seed=seed).fit(finetune_from, sessions, val_sessions)
        save_model_dir(out, tuner.model_, tuner.meta_, overwrite=force)
        ft = tuner.meta_["training"]["fine_tune"]
        seconds = sum(s.duration_s for s in sessions)
        typer.echo(f"wrote {out}: fine-tuned from {finetune_from} on {len(sessions)} sessions, {seconds:.0f} s "
                   f"({_synthetic_note(sessions)}); extension {ft['extension']}, "
                   f"{sum(st['epochs_run'] for st in ft['stages'])} epochs in {len(ft['stages'])} stage(s)")
        return
    from gaitnode.training.vo2_trainer import Vo2Trainer

    if data_seconds is not None:
        raise GaitnodeError("--data-seconds applies to fine-tuning (--finetune-from) only")
    if val:
        train_s = load_sessions(data, placement=placement)
        val_s = load_sessions(val, placement=placement)
    else:
        train_s, val_s = train_val_sessions(data, placement=placement, seed=seed)
    train_s = _protocol_filter(train_s, protocols, "training")
    val_s = _protocol_filter(val_s, protocols, "validation")
    found = sorted({s.meta.placement for s in train_s})
    if len(found) != 1:
        raise GaitnodeError(f"--data holds {', '.join(found)} sessions; one model is trained per placement: "
                            f"pass --placement")
    trainer = Vo2Trainer(architecture=architecture, channels=channels, target_source=target_source, epochs=epochs,
                         seed=seed, max_train_s=None if max_minutes is None else max_minutes * 60.0)
    trainer.fit(train_s, val_s)
    save_model_dir(out, trainer.model_, trainer.meta_, overwrite=force)
    t, tau = trainer.meta_["training"], trainer.meta_["smooth_tau_s"]
    typer.echo(f"wrote {out}: {architecture}, {found[0]}, {len(trainer.meta_['channels'])} channels, target "
               f"{target_source}; {len(train_s)} train / {len(val_s)} val sessions "
               f"({_synthetic_note(train_s + val_s)}); {t['epochs_run']} epochs in {t['train_seconds']:.0f} s, "
               f"smooth_tau_s {tau:g} (validation MAPE {t['smoothing_fit']['grid_mape_pct'][str(tau)]:.1f} %)")


def _windows(sessions, meta: dict, n: int, seed: int) -> np.ndarray:
    """Up to n normalised model-input windows drawn (seeded) from the sessions."""
    from gaitnode.training.vo2_predict import session_vo2_windows

    X = np.concatenate([session_vo2_windows(s, meta) for s in sessions])
    pick = np.sort(np.random.default_rng(seed).choice(len(X), size=min(n, len(X)), replace=False))
    return X[pick]


def quantize(
    model_dir: Path = typer.Argument(..., help="Model folder from `gaitnode train vo2`."),
    data: list[Path] = typer.Option(..., "--data", help="Sessions for the representative set (a cohort: its train "
                                    "split) and the held-out check (a cohort: its test split)."),
    heldout: list[Path] | None = typer.Option(None, "--heldout", help="Held-out sessions (default: the cohort's "
                                              "test split)."),
    n_representative: int = typer.Option(400, "--representative", help="Windows in the representative set."),
    n_heldout: int = typer.Option(400, "--heldout-windows", help="Held-out windows for the output comparison."),
    arena_margin: float = typer.Option(0.10, "--arena-margin", help="Safety margin on the measured arena (fraction)."),
    force: bool = typer.Option(False, "--force", help="Replace existing .tflite / C files."),
) -> None:
    """int8 conversion (child process), integer-only check, TFLite-Micro run + arena, C arrays (vo2_model_*)."""
    from gaitnode.quantize.quantizer import Quantizer
    from gaitnode.training.datasets import cohort_manifest, load_sessions
    from gaitnode.training.model_dir import is_vo2_meta, load_meta

    meta = load_meta(model_dir)
    if not is_vo2_meta(meta):
        raise GaitnodeError(f"{model_dir}: a {meta.get('task')} model; `gaitnode quantize vo2` takes a VO2 model")
    cohort = all(cohort_manifest(p) is not None for p in data)
    rep = load_sessions(data, placement=meta["placement"], split="train" if cohort else None)
    if heldout:
        held = load_sessions(heldout, placement=meta["placement"])
    elif cohort:
        held = load_sessions(data, placement=meta["placement"], split="test")
    else:
        raise GaitnodeError("--heldout: give held-out sessions (or pass a cohort as --data to use its test split)")
    q = Quantizer(arena_margin=arena_margin, max_model_bytes=VO2_MAX_MODEL_BYTES, max_arena_bytes=VO2_MAX_ARENA_BYTES,
                  overwrite=force, name="vo2").run(model_dir, _windows(rep, meta, n_representative, 0),
                                                   _windows(held, meta, n_heldout, 1))
    r = q.report_
    rel = r["tflm_vs_float_relative"]
    typer.echo(f"wrote {model_dir}: int8 {q.int8_bytes_} bytes, TFLM arena {q.arena_bytes_} bytes (measured "
               f"{r['arena_bytes_measured']}); TFLM vs float on {r['n_heldout_windows']} held-out windows "
               f"({_synthetic_note(held)}): mean {100 * rel['mean']:.2f} %, max {100 * rel['max']:.2f} % of the VO2 "
               f"value, max |err| {r['tflm_vs_float']['max_abs']:.3f} ml/kg/min")
    for flag, what in (("over_model_budget", "int8 model"), ("over_arena_budget", "arena")):
        if r.get(flag):
            typer.echo(f"warning: the {what} is over its budget (see quantize.json)", err=True)


def _print_table(report: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for col in ("group", "n", "MAPE %", "total err %", "MAE", "RMSE", "MSE", "R2", "bias"):
        t.add_column(col, justify="right" if col != "group" else "left")
    fmt = lambda v, p=2: "-" if v is None else f"{v:.{p}f}"  # noqa: E731

    def row(name, m):
        if not m.get("n"):
            t.add_row(name, "0", *["-"] * 7)
            return
        t.add_row(name, str(m["n"]), fmt(m["mape_pct"], 1), fmt(m["total_error_pct"], 1), fmt(m["mae"]),
                  fmt(m["rmse"]), fmt(m["mse"]), fmt(m["r2"], 3), fmt(m["bias"]))

    row("all", report["overall"])
    for k, m in report["by_protocol"].items():
        row(f"protocol {k}", m)
    for k, m in report["by_subject"].items():
        row(f"subject {k}", m)
    Console(width=None if sys.stdout.isatty() else 140).print(t)


def evaluate(
    sessions: list[Path] = typer.Argument(..., help="Sessions: .gns files, folders or a cohort (its test split).",
                                          show_default=False),
    model: str = typer.Option("float", "--model", help="float (Keras), int8 (LiteRT), tflm (int8 in TFLite-Micro) "
                              "or acsm (the node's ACSM walking equation from its classical heel strikes, grade 0)."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="VO2 model folder (not for acsm)."),
    split: str = typer.Option("test", "--split", help="Split to take from cohorts: train, val, test."),
    protocols: str | None = typer.Option(None, "--protocols", help="Only sessions of these protocols "
                                         "(comma-separated)."),
    placement: str | None = typer.Option(None, "--placement", help="Only sessions of this placement (default: the "
                                         "model's; acsm: all)."),
    from_seconds: float | None = typer.Option(None, "--from-seconds", help="Score only from this time on (s since "
                                              "each session's start), e.g. after the fine-tuning data."),
    period: float = typer.Option(5.0, "--period", help="The node's estimate period (s): outputs are averaged over "
                                 "it, then smoothed."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the full report as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace an existing JSON report."),
) -> None:
    """VO2 as the node reports it (ml/kg/min, smoothed) against the session's reference: MAPE, paper 000's total
    error, MAE, RMSE, MSE, R2; per protocol and subject."""
    from gaitnode.training.datasets import cohort_manifest, load_sessions, session_name
    from gaitnode.training.vo2_estimators import ESTIMATOR_KINDS, ModelVo2Estimator, make_vo2_estimator
    from gaitnode.training.vo2_eval import Vo2Evaluation

    _check(model, "model", ESTIMATOR_KINDS)
    _check(placement, "placement", PLACEMENTS)
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    if model == "acsm" and model_dir is not None:
        raise GaitnodeError("--model acsm uses no --model-dir (it is the ACSM equation on the node's heel strikes)")
    estimator = make_vo2_estimator(model, model_dir, period_s=period)
    if placement is None and isinstance(estimator, ModelVo2Estimator):
        placement = estimator.meta["placement"]
    loaded = []
    for p in sessions:
        loaded += load_sessions([p], split=split if cohort_manifest(p) is not None else None, placement=placement)
    loaded = _protocol_filter(loaded, protocols, "evaluation")
    estimates = [estimator.estimate(s) for s in loaded]
    ev = Vo2Evaluation(from_seconds=from_seconds, period_s=period).evaluate(loaded, estimates,
                                                                           names=[session_name(s) for s in loaded])
    report = ev.report_
    report["model"] = model
    report["model_dir"] = None if model_dir is None else str(model_dir)
    if model == "acsm":
        report["acsm"] = {"grade_frac": estimator.grade_frac, "tau_s": estimator.tau_s,
                          "heel_strikes": "classical C gyro detector (gn_gyro_hs) on the same session"}
    if isinstance(estimator, ModelVo2Estimator) and model != "float":
        report["int8_vs_float"] = estimator.compare_with_float(loaded, estimates)
    data = _synthetic_note(loaded)
    _print_table(report, f"VO2 (ml/kg/min), --model {model}, {len(loaded)} sessions, {data}, reference "
                         f"{report['reference']}")
    if "int8_vs_float" in report:
        w, e = report["int8_vs_float"]["windows"], report["int8_vs_float"]["estimates"]
        typer.echo(f"{model} vs float: per window mean {100 * w['mean']:.2f} % / max {100 * w['max']:.2f} %; "
                   f"smoothed estimates mean {100 * e['mean']:.3f} % / max {100 * e['max']:.2f} % of the VO2 value")
    if json_out is not None:
        write_json_report(json_out, report)


def register(app) -> None:
    """Add `vo2` to the train, quantize and evaluate groups."""
    train_app.command("vo2")(train)
    quantize_app.command("vo2")(quantize)
    evaluate_app.command("vo2")(evaluate)
