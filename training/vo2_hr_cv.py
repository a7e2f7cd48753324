"""Cross-validation of the VO2-from-HR models by subject: leave-one-subject-out (warm-started) or K-fold.

Subjects are the recordings' groups (`Vo2Sequence.group`). Both schemes first split the subjects into
`base_folds` groups of folds (seeded permutation of the sorted ids, `np.array_split`) and train one
base model per fold on every other fold's recordings, from scratch, for the trainer's epochs.

* K-fold (`folds=K`): base_folds = K; each base model predicts its held-out fold. Nothing else.
* Leave-one-subject-out (`folds=None`): additionally, for every subject s of fold k, the base model of
  fold k is trained `finetune_steps` more batches on crops of all recordings except s's (this adds the
  other subjects of fold k), at the learning rate the base's cosine schedule reaches one epoch later
  (no warm restart; or `finetune_lr`), and predicts s. So
  the model scored on s was trained on every other subject and never on s: the base model excluded
  s's whole fold, the continuation excludes s. This warm start
  makes LOSO cost base_folds full trainings plus one short continuation per subject instead of one full
  training per subject. Both the base-model (K-fold) and the LOSO scores are reported.

Every held-out recording is predicted from its first second (calibration "first_second": the filtered
reference there) and, with calibration "resting", from the ACSM resting VO2 (3.5 ml/kg/min x mass,
no VO2 known). Errors are scored per second against the Savitzky-Golay-filtered reference (paper 002's
preprocessing, "filtered") and against the raw 1 Hz reference ("raw"), per recording and per subject
(all seconds of the subject's recordings); the aggregate is the mean over subjects (as paper 002's
Table 2: mean of the per-runner values) and also pooled over all seconds.
"""

from __future__ import annotations

import time

import numpy as np

from gaitnode.errors import GaitnodeError
from gaitnode.metrics.regression import regression_report
from gaitnode.training.vo2_hr_data import smooth_vo2
from gaitnode.training.vo2_hr_trainer import Vo2HrTrainer, continued_lr, predict_recordings

CALIBRATIONS = ("first_second", "resting")
REFERENCES = ("filtered", "raw")


def fold_of_groups(groups, n_folds: int, seed: int) -> dict[str, int]:
    """Group id -> fold index: a seeded permutation of the sorted ids cut into n_folds near-equal parts."""
    ids = sorted(set(groups))
    if not isinstance(n_folds, int) or n_folds < 2:
        raise GaitnodeError(f"folds must be an integer of at least 2, got {n_folds!r}")
    if len(ids) < n_folds:
        raise GaitnodeError(f"{n_folds} folds need at least {n_folds} subjects; the recordings hold {len(ids)}")
    order = np.random.default_rng(seed).permutation(len(ids))
    out = {}
    for k, part in enumerate(np.array_split(order, n_folds)):
        for i in part:
            out[ids[int(i)]] = k
    return out


def _metrics(ref: np.ndarray, est: np.ndarray) -> dict:
    ok = np.isfinite(ref) & np.isfinite(est)
    r = regression_report(ref[ok], est[ok])
    return {"n": r.n, "mae": r.mae, "rmse": r.rmse, "mape_pct": r.mape_pct, "bias": r.bias, "r2": r.r2}


def score(seqs, predictions: dict) -> dict:
    """Per-recording, per-subject and aggregate errors of `predictions` {calibration: [ml/min per seq]}."""
    refs = {"filtered": [smooth_vo2(s.vo2_ml_min) for s in seqs], "raw": [np.asarray(s.vo2_ml_min) for s in seqs]}
    keys = [f"{cal}/{ref}" for cal in predictions for ref in REFERENCES]

    def errors(idx) -> dict:
        return {f"{cal}/{ref}": _metrics(np.concatenate([refs[ref][i] for i in idx]),
                                         np.concatenate([preds[i] for i in idx]))
                for cal, preds in predictions.items() for ref in REFERENCES}

    def subject_rows(idx_all) -> list[dict]:
        rows = []
        for g in sorted({seqs[i].group for i in idx_all}):
            idx = [i for i in idx_all if seqs[i].group == g]
            rows.append({"subject": g, "recordings": [seqs[i].name for i in idx],
                         "protocol": "+".join(sorted({_protocol(seqs[i]) for i in idx})), **errors(idx)})
        return rows

    everything = list(range(len(seqs)))
    recordings = [{"recording": s.name, "subject": s.group, "protocol": _protocol(s), "seconds": len(s),
                   **errors([i])} for i, s in enumerate(seqs)]
    subjects = subject_rows(everything)
    agg = {"all": _aggregate(subjects, keys)}
    protocols = sorted({_protocol(s) for s in seqs} - {""})
    if len(protocols) > 1:  # per protocol: each subject scored on its recordings of that protocol
        for p in protocols:
            agg[p] = _aggregate(subject_rows([i for i in everything if _protocol(seqs[i]) == p]), keys)
    return {"recordings": recordings, "subjects": subjects, "aggregate": agg}


def _protocol(seq) -> str:
    return str(seq.extra.get("protocol", ""))


def _aggregate(subjects: list[dict], keys) -> dict:
    """{key: {"subjects", "mean_over_subjects": {mae, rmse, mape_pct}, "pooled": {...}}}: the mean of the
    per-subject values (paper 002's aggregate) and the errors pooled over all seconds."""
    block = {}
    for k in keys:
        n = np.array([r[k]["n"] for r in subjects], float)
        mean = {m: float(np.mean([r[k][m] for r in subjects])) for m in ("mae", "rmse", "mape_pct")}
        pooled = {"mae": float(np.sum(n * [r[k]["mae"] for r in subjects]) / n.sum()),
                  "rmse": float(np.sqrt(np.sum(n * np.square([r[k]["rmse"] for r in subjects])) / n.sum())),
                  "mape_pct": float(np.sum(n * [r[k]["mape_pct"] for r in subjects]) / n.sum())}
        block[k] = {"subjects": len(subjects), "seconds": int(n.sum()), "mean_over_subjects": mean, "pooled": pooled}
    return block


class Vo2HrCrossValidation:
    """Cross-validate VO2-from-HR models by subject (see the module docstring).

    Parameters
    ----------
    trainer : dict of `Vo2HrTrainer` parameters (architecture, epochs, sizes, seed, ...).
    folds : None for leave-one-subject-out (warm-started), or K for grouped K-fold.
    base_folds : folds of the base models under leave-one-subject-out.
    finetune_steps : batches of each leave-one-subject-out continuation (one epoch of crops at most).
    finetune_lr : its learning rate (constant); None: the base's cosine schedule continued one epoch without a
        warm restart (`continued_lr`).
    calibrations : which calibrations to score ("first_second", "resting").
    seed : seeds the fold assignment. verbose : 1 prints progress.

    Results (after `run`)
    ---------------------
    kfold_ : score() of the base models on their held-out folds.
    loso_ : score() of the leave-one-subject-out models (None for K-fold).
    folds_ : {subject: fold}.
    trained_on_ : {subject: recordings the models that scored it were trained on} (the base model's and,
        under leave-one-subject-out, the continuation's).
    timings_ : {"base_s": [per base model], "finetune_s": all continuations, "total_s"}.
    """

    def __init__(self, trainer: dict, folds: int | None = None, base_folds: int = 5, finetune_steps: int = 4,
                 finetune_lr: float | None = None,
                 calibrations=CALIBRATIONS, seed: int = 0, verbose: int = 0):
        self.trainer = dict(trainer)
        self.folds = folds
        self.base_folds = base_folds
        self.finetune_steps = finetune_steps
        self.finetune_lr = finetune_lr
        self.calibrations = tuple(calibrations)
        self.seed = seed
        self.verbose = verbose

    def run(self, seqs) -> "Vo2HrCrossValidation":
        """Train and score on the `Vo2Sequence`s `seqs` (each with a VO2 reference). Returns self."""
        seqs = list(seqs)
        if not seqs:
            raise GaitnodeError("cross-validation: no recordings")
        bad = [c for c in self.calibrations if c not in CALIBRATIONS]
        if bad or not self.calibrations:
            raise GaitnodeError(f"calibrations {list(self.calibrations)}: each must be one of {', '.join(CALIBRATIONS)}")
        if not isinstance(self.finetune_steps, int) or self.finetune_steps < 1:
            raise GaitnodeError(f"finetune_steps must be a positive integer, got {self.finetune_steps!r}")
        k = self.base_folds if self.folds is None else self.folds
        fold = fold_of_groups([s.group for s in seqs], k, self.seed)
        t_start = time.monotonic()
        length = max(len(s) for s in seqs)  # one padded length: one traced prediction graph
        base_pred = {c: [None] * len(seqs) for c in self.calibrations}
        loso_pred = {c: [None] * len(seqs) for c in self.calibrations}
        base_s, ft_s, loop, trained_on = [], 0.0, None, {}
        for f in range(k):
            held = [i for i, s in enumerate(seqs) if fold[s.group] == f]
            train = [s for s in seqs if fold[s.group] != f]
            t0 = time.monotonic()
            base = Vo2HrTrainer(**self.trainer).fit(train, loop=loop)
            loop = base.loop_
            base_s.append(round(time.monotonic() - t0, 2))
            self._predict(base, [seqs[i] for i in held], held, base_pred, length)
            for i in held:
                trained_on[seqs[i].group] = set(base.meta_["training"]["recordings"]["train"])
            if self.verbose:
                print(f"fold {f + 1}/{k}: base model on {len(train)} recordings in {base_s[-1]:.0f} s", flush=True)
            if self.folds is not None:
                continue
            snap = base.snapshot()
            last_lr = self.finetune_lr or continued_lr(base.epochs_done_, float(self.trainer.get("learning_rate", 4e-3)))
            t0 = time.monotonic()
            for g in sorted({seqs[i].group for i in held}):
                mine = [i for i in held if seqs[i].group == g]
                rest = [s for s in seqs if s.group != g]
                params = {**self.trainer, "epochs": 1, "steps_per_epoch": self.finetune_steps, "lr_schedule": "constant",
                          "learning_rate": last_lr,
                          "seed": int(self.trainer.get("seed", 0)) + 1 + sorted(fold).index(g)}
                ft = Vo2HrTrainer(**params).fit(rest, init_from=snap, loop=loop)
                self._predict(ft, [seqs[i] for i in mine], mine, loso_pred, length)
                trained_on[g] |= set(ft.meta_["training"]["recordings"]["train"])
            ft_s += time.monotonic() - t0
        self.folds_ = fold
        self.trained_on_ = {g: sorted(v) for g, v in trained_on.items()}
        self.kfold_ = score(seqs, base_pred)
        self.loso_ = score(seqs, loso_pred) if self.folds is None else None
        self.timings_ = {"base_s": base_s, "finetune_s": round(ft_s, 2), "total_s": round(time.monotonic() - t_start, 2)}
        return self

    def _predict(self, trainer, held_seqs, idx, store, length) -> None:
        cals = [c for c in self.calibrations for _ in held_seqs]
        preds = predict_recordings(trainer.model_, trainer.meta_, list(held_seqs) * len(self.calibrations), cals,
                                   length=length)
        for k, cal in enumerate(self.calibrations):
            for i, p in zip(idx, preds[k * len(held_seqs):(k + 1) * len(held_seqs)]):
                store[cal][i] = p
