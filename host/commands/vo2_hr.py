"""`gaitnode train|evaluate vo2-hr`: VO2 from heart rate (+ cadence), paper 002's neural-Kalman model.

  train vo2-hr --cpet -o MODEL_DIR                 on the real CPET tests shipped in pyoxynet (all usable ones)
  train vo2-hr --data SESSIONS -o MODEL_DIR        on sessions with "hr" + "vo2" (cadence from heel strikes)
  evaluate vo2-hr --cpet [--folds K] [--json OUT]  cross-validation by subject on the real CPET tests
                                                   (leave-one-subject-out, warm-started; or grouped K-fold)
  evaluate vo2-hr SESSIONS... --model-dir DIR      a trained model over sessions (or --cpet tests): per-second
                                                   VO2 (--series-dir) and its errors against "vo2" / "vo2_true"
  quantize vo2-hr MODEL_DIR (--cpet | --data S)    can the recurrent core run on a node? int8 in a child process,
                                                   integer-only check, TFLM ops and arena, int8 vs float VO2

The model runs on the host (see docs/vo2-from-hr.md: where it runs). Every table says whether its
data is real (pyoxynet CPET) or synthetic (simulator).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer

from gaitnode.errors import GaitnodeError, refuse_existing
from gaitnode.host.commands.json_report import write_json_report
from gaitnode.host.commands.models import evaluate_app, quantize_app, train_app

REAL_CPET = "real, pyoxynet CPET"
SYNTHETIC = "synthetic, simulator"


def _data_note(seqs) -> str:
    n = sum(bool(s.synthetic) for s in seqs)
    if n == len(seqs):
        return SYNTHETIC
    if n == 0:
        return REAL_CPET if all("protocol" in s.extra and "path" in s.extra for s in seqs) else "real recordings"
    return f"{n} synthetic (simulator) + {len(seqs) - n} real recordings"


def _protocols(text: str) -> tuple[str, ...]:
    from gaitnode.training.cpet_data import PROTOCOLS

    names = tuple(p.strip() for p in text.split(",") if p.strip())
    bad = [p for p in names if p not in PROTOCOLS]
    if bad or not names:
        raise GaitnodeError(f"--protocols {text!r}: each must be one of {', '.join(PROTOCOLS)}")
    return names


def _cpet(protocols: str, limit: int | None):
    from gaitnode.training.cpet_data import CpetDataset

    d = CpetDataset(protocols=_protocols(protocols), limit=limit).load()
    masked = sum(d.hr_masked_.values())
    typer.echo(f"real CPET ({REAL_CPET}, {d.data_dir_}): {len(d.tests_)} usable tests of {len(d.groups_)} subjects, "
               f"{len(d.excluded_)} left out, {masked} s of HR outside 25-250 bpm masked as gaps")
    for name, why in d.excluded_.items():
        typer.echo(f"  left out {name}: {why}")
    return d


def _sequences(paths, split: str | None, *, need_vo2: bool):
    """Distinct 1 Hz sequences of sessions (a cohort's `split`); repeats of one recording left out."""
    from gaitnode.training.datasets import cohort_manifest, load_sessions
    from gaitnode.training.vo2_hr_data import distinct_sequences, session_sequence

    sessions = []
    for p in paths:
        sessions += load_sessions([p], split=split if cohort_manifest(p) is not None else None)
    seqs = [session_sequence(s, need_vo2=need_vo2) for s in sessions]
    out = distinct_sequences(seqs)
    if len(out) < len(seqs):
        typer.echo(f"note: {len(seqs) - len(out)} sessions repeat the HR and VO2 of another one (the same recording "
                   f"seen by another node) and are left out")
    return out


def _trainer_params(architecture, target, cadence, epochs, seq_len, gru_units, seed, max_minutes) -> dict:
    return dict(architecture=architecture, target=target, use_cadence=cadence, epochs=epochs, seq_len=seq_len,
                gru_units=gru_units, seed=seed, max_train_s=None if max_minutes is None else max_minutes * 60.0)


def train(
    out: Path = typer.Option(..., "-o", "--out", help="Model folder to write (model.keras + model.json)."),
    cpet: bool = typer.Option(False, "--cpet", help="Train on the real CPET tests of pyoxynet (HR, time, age, "
                              "height, weight, sex -> VO2 ml/min)."),
    data: list[Path] | None = typer.Option(None, "--data", help="Training sessions with 'hr' and 'vo2' series: .gns "
                                           "files, folders or a cohort (its train split; val split for validation)."),
    val: list[Path] | None = typer.Option(None, "--val", help="Validation sessions (early stopping; default: the "
                                          "cohort's val split)."),
    architecture: str = typer.Option("kalman", "--architecture", help="kalman (paper 002) or gru (baseline)."),
    target: str = typer.Option("vo2_ml_min", "--target", help="vo2_ml_min or vo2_ml_kg_min (needs the mass)."),
    cadence: bool | None = typer.Option(None, "--cadence/--no-cadence", help="Use cadence from the node's heel "
                                        "strikes (default: on for --data, off for --cpet, which has none)."),
    protocols: str = typer.Option("ramp,resting", "--protocols", help="--cpet: which tests (ramp, resting)."),
    limit: int | None = typer.Option(None, "--limit", help="--cpet: only the first N usable tests."),
    epochs: int = typer.Option(8, "--epochs", help="Epochs (each about 3 crops of --seq-len per recording length)."),
    seq_len: int = typer.Option(600, "--seq-len", help="Training crop length (s)."),
    gru_units: int = typer.Option(32, "--gru-units", help="GRU width."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, crops and shuffling."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Stop starting epochs after this long."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model folder."),
) -> None:
    """Train the neural-Kalman (or GRU-only) VO2-from-HR model on real CPET tests or on sessions."""
    from gaitnode.training.datasets import cohort_manifest
    from gaitnode.training.vo2_hr_trainer import META_FILE, MODEL_FILE, Vo2HrTrainer, save_model_dir

    if cpet == bool(data):
        raise GaitnodeError("give either --cpet (the real CPET tests) or --data SESSIONS")
    refuse_existing([out / MODEL_FILE, out / META_FILE], overwrite=force)
    if cpet:
        if cadence:
            raise GaitnodeError("--cadence: the CPET tests have no cadence (no heel strikes); train without it")
        if val:
            raise GaitnodeError("--val applies to --data; with --cpet the epochs are fixed (choose them with "
                                "`gaitnode evaluate vo2-hr --cpet`)")
        train_q, val_q = _cpet(protocols, limit).tests_, []
        cadence = False
    else:
        if val:
            train_q, val_q = _sequences(data, None, need_vo2=True), _sequences(val, None, need_vo2=True)
        elif all(cohort_manifest(p) is not None for p in data):
            train_q, val_q = _sequences(data, "train", need_vo2=True), _sequences(data, "val", need_vo2=True)
        else:
            train_q, val_q = _sequences(data, None, need_vo2=True), []
        cadence = True if cadence is None else cadence
    trainer = Vo2HrTrainer(**_trainer_params(architecture, target, cadence, epochs, seq_len, gru_units, seed,
                                             max_minutes))
    trainer.fit(train_q, val_q or None)
    save_model_dir(out, trainer, overwrite=force)
    t = trainer.meta_["training"]
    best = f", best epoch {t['best_epoch']} (validation MAE {min(t['history']['val_mae']) * trainer.meta_['target_scale']:.1f} " \
           f"{target[4:].replace('_', '/')})" if t["best_epoch"] else ""
    typer.echo(f"wrote {out}: {architecture}, {t['params']} parameters, features {', '.join(trainer.meta_['features'])}; "
               f"{len(train_q)} train / {len(val_q)} val recordings ({_data_note(train_q + val_q)}); "
               f"{t['epochs_run']} epochs in {t['train_seconds']:.0f} s{best}")


def _fmt(v, p=1) -> str:
    return "-" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{p}f}"


def _console():
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def _print_cv(summary: dict) -> None:
    from rich.table import Table

    t = Table(title=f"VO2 from HR, cross-validation by subject ({summary['data']}); MAPE = mean over subjects "
                    f"(paper 002: 11.4 % aggregate for its best model)")
    for col in ("model", "scheme", "tests", "calibration", "reference", "subjects", "MAE ml/min", "RMSE ml/min",
                "MAPE %", "pooled MAPE %"):
        t.add_column(col, justify="left" if col in ("model", "scheme", "tests", "calibration", "reference") else "right")
    for arch, m in summary["models"].items():
        for scheme in ("loso", "kfold"):
            res = m.get(scheme)
            if not res:
                continue
            label = "leave-one-subject-out" if scheme == "loso" else f"{m['base_folds']}-fold (base models)"
            for proto, block in res["aggregate"].items():
                for key, a in block.items():
                    cal, ref = key.split("/")
                    mo, po = a["mean_over_subjects"], a["pooled"]
                    t.add_row(arch, label, proto, cal, ref, str(a["subjects"]), _fmt(mo["mae"], 0), _fmt(mo["rmse"], 0),
                              _fmt(mo["mape_pct"], 2), _fmt(po["mape_pct"], 2))
    _console().print(t)


def _print_subjects(summary: dict) -> None:
    from rich.table import Table

    for arch, m in summary["models"].items():
        scheme = "loso" if m.get("loso") else "kfold"
        t = Table(title=f"{arch}, {scheme}: per subject (calibration first_second, filtered reference; "
                        f"{summary['data']})")
        for col in ("subject", "tests", "MAE ml/min", "RMSE ml/min", "MAPE %"):
            t.add_column(col, justify="left" if col in ("subject", "tests") else "right")
        for r in m[scheme]["subjects"]:
            e = r["first_second/filtered"]
            t.add_row(r["subject"], ",".join(r["recordings"]), _fmt(e["mae"], 0), _fmt(e["rmse"], 0),
                      _fmt(e["mape_pct"], 2))
        _console().print(t)


def _architectures(text: str) -> tuple[str, ...]:
    from gaitnode.training.vo2_hr_model import ARCHITECTURES

    names = tuple(a.strip() for a in text.split(",") if a.strip())
    bad = [a for a in names if a not in ARCHITECTURES]
    if bad or not names:
        raise GaitnodeError(f"--architecture {text!r}: each must be one of {', '.join(ARCHITECTURES)}")
    return names


def _cross_validate(d, architectures, folds, base_folds, finetune_steps, finetune_lr, params: dict, calibrations,
                    verbose) -> dict:
    from gaitnode.training.vo2_hr_cv import Vo2HrCrossValidation

    summary = {"data": REAL_CPET, "tests": [s.name for s in d.tests_], "excluded": d.excluded_,
               "hr_masked_s": d.hr_masked_, "subjects": d.groups_, "paper_mape_pct": 11.4, "models": {}}
    for arch in architectures:
        cv = Vo2HrCrossValidation({**params, "architecture": arch}, folds=folds, base_folds=base_folds,
                                  finetune_steps=finetune_steps, finetune_lr=finetune_lr, calibrations=calibrations,
                                  verbose=verbose)
        cv.run(d.tests_)
        summary["models"][arch] = {"trainer": {**params, "architecture": arch},
                                   "scheme": "leave-one-subject-out (warm-started)" if folds is None else f"{folds}-fold",
                                   "base_folds": base_folds if folds is None else folds,
                                   "finetune_steps": finetune_steps if folds is None else None,
                                   "finetune_lr": finetune_lr if folds is None else None,
                                   "folds": cv.folds_, "kfold": cv.kfold_, "loso": cv.loso_, "timings": cv.timings_}
        typer.echo(f"{arch}: cross-validation in {cv.timings_['total_s']:.0f} s")
    return summary


def _score_model(model_dir: Path, seqs, calibration, series_dir: Path | None, force: bool) -> dict:
    from gaitnode.training.vo2_hr_estimator import Vo2HrEstimator

    est = Vo2HrEstimator(model_dir, calibration=calibration)
    rows = []
    if series_dir is not None:
        series_dir.mkdir(parents=True, exist_ok=True)
    for s in seqs:
        est.estimate(s)
        rows.append({"recording": s.name, "subject": s.group, "data": SYNTHETIC if s.synthetic else "real",
                     "seconds": len(s), "hr_masked_s": est.hr_masked_, "calibration_ml_min": est.calibration_ml_min_,
                     "errors": est.errors_})
        if series_dir is not None:
            path = series_dir / f"{Path(s.name).stem}.vo2_hr.csv"
            refuse_existing([path], overwrite=force)
            ref = s.vo2_ml_min if s.vo2_ml_min is not None else np.full(len(s), np.nan)
            cad = s.cadence_spm if s.cadence_spm is not None else np.full(len(s), np.nan)
            table = np.column_stack([est.t_s_, s.hr_bpm, cad, est.vo2_ml_min_, est.vo2_ml_kg_min_, ref])
            np.savetxt(path, table, delimiter=",", fmt="%.3f", comments="",
                       header="t_s,hr_bpm,cadence_spm,vo2_est_ml_min,vo2_est_ml_kg_min,vo2_ref_ml_min")
    keys = sorted({k for r in rows for k in r["errors"]})
    agg = {}
    for k in keys:
        have = [r for r in rows if k in r["errors"]]
        subjects = sorted({r["subject"] for r in have})
        per_subject = [np.mean([r["errors"][k]["mape_pct"] for r in have if r["subject"] == g]) for g in subjects]
        n = np.array([r["errors"][k]["n"] for r in have], float)
        agg[k] = {"recordings": len(have), "subjects": len(subjects),
                  "mape_pct_mean_over_subjects": float(np.mean(per_subject)),
                  "mae_pooled": float(np.sum(n * [r["errors"][k]["mae"] for r in have]) / n.sum()),
                  "mape_pct_pooled": float(np.sum(n * [r["errors"][k]["mape_pct"] for r in have]) / n.sum())}
    return {"model_dir": str(model_dir), "architecture": est.meta["architecture"],
            "synthetic_training_data": est.meta["synthetic_training_data"], "calibration": calibration,
            "recordings": rows, "aggregate": agg}


def _print_scores(report: dict, data: str) -> None:
    from rich.table import Table

    trained = "synthetic" if report["synthetic_training_data"] else "real"
    t = Table(title=f"VO2 from HR: {report['architecture']} model ({trained} training data) on {data}, "
                    f"calibration {report['calibration']} (ml/min)")
    for col in ("recording", "data", "seconds", "HR masked s", "reference", "MAE", "RMSE", "MAPE %", "bias"):
        t.add_column(col, justify="left" if col in ("recording", "data", "reference") else "right")
    for r in report["recordings"]:
        for k, e in r["errors"].items():
            t.add_row(Path(r["recording"]).name, r["data"], str(r["seconds"]), str(r["hr_masked_s"]), k,
                      _fmt(e["mae"], 0), _fmt(e["rmse"], 0), _fmt(e["mape_pct"], 2), _fmt(e["bias"], 0))
    for k, a in report["aggregate"].items():
        t.add_row(f"all ({a['subjects']} subjects)", data, "", "", k, _fmt(a["mae_pooled"], 0), "",
                  _fmt(a["mape_pct_mean_over_subjects"], 2), "")
    _console().print(t)


def _calibration(text: str):
    from gaitnode.training.vo2_hr_trainer import CALIBRATIONS

    if text in CALIBRATIONS:
        return text
    try:
        return float(text)
    except ValueError:
        raise GaitnodeError(f"--calibration {text!r}: one of {', '.join(CALIBRATIONS)} or a VO2 in ml/min") from None


def evaluate(
    sessions: list[Path] | None = typer.Argument(None, help="Sessions to score with --model-dir: .gns files, "
                                                 "folders or a cohort (its --split).", show_default=False),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="A trained vo2-hr model: score it on SESSIONS "
                                          "(or on the --cpet tests)."),
    cpet: bool = typer.Option(False, "--cpet", help="The real CPET tests: without --model-dir, cross-validate "
                              "(train and score) by subject."),
    folds: int | None = typer.Option(None, "--folds", help="Grouped K-fold instead of leave-one-subject-out."),
    base_folds: int = typer.Option(5, "--base-folds", help="Leave-one-subject-out: folds of the base models."),
    finetune_steps: int = typer.Option(4, "--finetune-steps", help="Leave-one-subject-out: batches of each "
                                       "subject's continuation."),
    finetune_lr: float | None = typer.Option(None, "--finetune-lr", help="Leave-one-subject-out: learning rate of "
                                             "the continuations (default: the base's cosine schedule one epoch on, no restart)."),
    architecture: str = typer.Option("kalman,gru", "--architecture", help="Models to cross-validate (comma list)."),
    epochs: int = typer.Option(8, "--epochs", help="Cross-validation: epochs of each base model."),
    seq_len: int = typer.Option(600, "--seq-len", help="Cross-validation: training crop length (s)."),
    gru_units: int = typer.Option(32, "--gru-units", help="Cross-validation: GRU width."),
    protocols: str = typer.Option("ramp,resting", "--protocols", help="--cpet: which tests (ramp, resting)."),
    limit: int | None = typer.Option(None, "--limit", help="--cpet: only the first N usable tests."),
    calibration: str = typer.Option("first_second", "--calibration", help="first_second (the reference's first "
                                    "second), resting (ACSM 3.5 ml/kg/min x mass) or a VO2 in ml/min."),
    split: str = typer.Option("test", "--split", help="Split to take from cohorts: train, val, test."),
    per_subject: bool = typer.Option(False, "--per-subject", help="Cross-validation: also print every subject."),
    series_dir: Path | None = typer.Option(None, "--series-dir", help="Write each recording's per-second VO2 "
                                           "estimate as CSV here."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, crops and the fold assignment."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the full report as JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
    verbose: bool = typer.Option(False, "--verbose", help="Print progress per fold."),
) -> None:
    """Cross-validate on the real CPET tests (MAE, RMSE, MAPE per subject and aggregate), or score a trained model
    on sessions (errors against 'vo2' filtered and raw, and the simulator's 'vo2_true')."""
    if json_out is not None:
        refuse_existing([json_out], overwrite=force)
    cal = _calibration(calibration)
    if model_dir is None:
        if not cpet:
            raise GaitnodeError("give --model-dir DIR to score a trained model, or --cpet to cross-validate on the "
                                "real CPET tests")
        if sessions:
            raise GaitnodeError("cross-validation (--cpet without --model-dir) takes no SESSIONS")
        if folds is not None and folds < 2:
            raise GaitnodeError(f"--folds must be at least 2, got {folds}")
        archs = _architectures(architecture)
        d = _cpet(protocols, limit)
        params = _trainer_params("kalman", "vo2_ml_min", False, epochs, seq_len, gru_units, seed, None)
        summary = _cross_validate(d, archs, folds, base_folds, finetune_steps, finetune_lr, params,
                                  ("first_second", "resting"), int(verbose))
        _print_cv(summary)
        if per_subject:
            _print_subjects(summary)
    else:
        if cpet and sessions:
            raise GaitnodeError("give SESSIONS or --cpet, not both")
        if cpet:
            d = _cpet(protocols, limit)
            seqs = d.tests_
        elif sessions:
            seqs = _sequences(sessions, split, need_vo2=cal == "first_second")
        else:
            raise GaitnodeError("no recordings to score: give SESSIONS or --cpet")
        summary = _score_model(model_dir, seqs, cal, series_dir, force)
        summary["data"] = _data_note(seqs)
        _print_scores(summary, summary["data"])
        if series_dir is not None:
            typer.echo(f"wrote {len(seqs)} per-second VO2 series to {series_dir}")
    if json_out is not None:
        write_json_report(json_out, summary)


def quantize(
    model_dir: Path = typer.Argument(..., help="Model folder from `gaitnode train vo2-hr`."),
    cpet: bool = typer.Option(False, "--cpet", help="Representative inputs and held-out runs from the real CPET tests."),
    data: list[Path] | None = typer.Option(None, "--data", help="Sessions: a cohort (train split for the "
                                           "representative inputs, test split held out) or files."),
    heldout: int = typer.Option(6, "--heldout", help="Recordings run second by second in TFLite-Micro."),
    protocols: str = typer.Option("ramp,resting", "--protocols", help="--cpet: which tests."),
    limit: int | None = typer.Option(None, "--limit", help="--cpet: only the first N usable tests."),
    force: bool = typer.Option(False, "--force", help="Replace the files of an earlier check."),
) -> None:
    """Check the recurrent core on a node's terms: int8 conversion, integer-only tensors, TFLite-Micro ops and arena,
    and VO2 from the int8 core in TFLM against the float model."""
    from gaitnode.training.datasets import cohort_manifest
    from gaitnode.training.vo2_hr_device import Vo2HrDeviceCheck

    if cpet == bool(data):
        raise GaitnodeError("give either --cpet (the real CPET tests) or --data SESSIONS")
    if cpet:
        tests = _cpet(protocols, limit).tests_
        # every test for the int8 calibration; the held-out runs compare int8 with float (the same inputs)
        train_q, held_q = tests, tests[-heldout:]
    elif all(cohort_manifest(p) is not None for p in data):
        train_q, held_q = _sequences(data, "train", need_vo2=True), _sequences(data, "test", need_vo2=True)
    else:
        seqs = _sequences(data, None, need_vo2=True)
        train_q, held_q = seqs, seqs[-heldout:]
    r = Vo2HrDeviceCheck(max_heldout=heldout, overwrite=force).run(model_dir, train_q, held_q).report_
    h = r["heldout"]
    typer.echo(f"wrote {model_dir}: int8 core {r['int8_bytes']} bytes, TFLM arena {r['arena_bytes']} bytes (this host), "
               f"ops {', '.join(r['unique_ops'])}; all tensors integer; within the 64 KB / 32 KB budget: "
               f"{'yes' if r['within_budget'] else 'no'}")
    typer.echo(f"int8 core in TFLM vs float on {len(h['recordings'])} recordings ({h['data']}, {h['seconds']} s): "
               f"VO2 differs by {h['vo2_rel_diff_mean_pct']:.2f} % on average (max {h['vo2_rel_diff_max_pct']:.2f} %); "
               f"MAPE float {h['mape_float_pct']:.2f} %, int8 {h['mape_tflm_pct']:.2f} %")


def register(app) -> None:
    """Add `vo2-hr` to the train, quantize and evaluate groups."""
    train_app.command("vo2-hr")(train)
    quantize_app.command("vo2-hr")(quantize)
    evaluate_app.command("vo2-hr")(evaluate)
