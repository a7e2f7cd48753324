"""The summary of scripts/vo2_hr.sh: one JSON and one printed table from the run's reports.

Run as `python -m gaitnode.training.vo2_hr_summary OUT`. Reads OUT/eval/cpet_cv.json (real CPET
cross-validation), OUT/eval/synthetic_<architecture>.json (held-out synthetic subjects),
OUT/models/*/device.json (the int8 core check) and OUT/timings.txt ("step seconds" lines); writes
OUT/vo2_hr_summary.json. Every row names its data: real (pyoxynet CPET) or synthetic (simulator).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gaitnode.errors import GaitnodeError

PAPER_MAPE_PCT = 11.4


def _read(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise GaitnodeError(f"{path}: not readable JSON ({e})") from None


def summarise(out) -> dict:
    """The summary dict of a scripts/vo2_hr.sh output folder."""
    out = Path(out)
    rows = []
    cv = _read(out / "eval" / "cpet_cv.json")
    if cv is not None:
        for arch, m in cv["models"].items():
            for scheme in ("loso", "kfold"):
                res = m.get(scheme)
                if not res:
                    continue
                for proto, block in res["aggregate"].items():
                    for key in ("first_second/filtered", "first_second/raw", "resting/filtered"):
                        a = block[key]
                        rows.append({"data": "real, pyoxynet CPET", "model": arch,
                                     "evaluation": "leave-one-subject-out" if scheme == "loso"
                                     else f"{m['base_folds']}-fold by subject",
                                     "recordings": proto, "calibration": key.split("/")[0],
                                     "reference": key.split("/")[1], "subjects": a["subjects"],
                                     "mae_ml_min": a["mean_over_subjects"]["mae"],
                                     "rmse_ml_min": a["mean_over_subjects"]["rmse"],
                                     "mape_pct": a["mean_over_subjects"]["mape_pct"],
                                     "seconds": m["timings"]["total_s"]})
    for f in sorted((out / "eval").glob("synthetic_*.json")):
        rep = _read(f)
        for key, a in rep["aggregate"].items():
            rows.append({"data": "synthetic, simulator", "model": rep["architecture"],
                         "evaluation": "held-out subjects (cohort test split)", "recordings": f"{a['recordings']} sessions",
                         "calibration": rep["calibration"], "reference": key, "subjects": a["subjects"],
                         "mae_ml_min": a["mae_pooled"], "rmse_ml_min": None,
                         "mape_pct": a["mape_pct_mean_over_subjects"], "seconds": None})
    devices = {p.parent.name: _read(p) for p in sorted((out / "models").glob("*/device.json"))}
    timings = {}
    tfile = out / "timings.txt"
    if tfile.is_file():
        for line in tfile.read_text().splitlines():
            name, _, sec = line.rpartition(" ")
            if name:
                timings[name] = int(sec)
    headline = next((r for r in rows if r["data"].startswith("real") and r["model"] == "kalman"
                     and r["evaluation"] == "leave-one-subject-out" and r["recordings"] == "all"
                     and r["calibration"] == "first_second" and r["reference"] == "filtered"), None)
    return {"paper_mape_pct": PAPER_MAPE_PCT, "rows": rows, "device": devices, "timings_s": timings,
            "headline": None if headline is None else {
                **headline, "meets_paper": headline["mape_pct"] <= PAPER_MAPE_PCT}}


def print_table(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 170)
    t = Table(title=f"VO2 from heart rate (paper 002 neural Kalman; paper: MAPE {PAPER_MAPE_PCT} % aggregate)")
    for col in ("data", "model", "evaluation", "recordings", "calibration", "reference", "subjects", "MAE ml/min",
                "MAPE %"):
        t.add_column(col, justify="right" if col in ("subjects", "MAE ml/min", "MAPE %") else "left")
    fmt = lambda v, p: "-" if v is None else f"{v:.{p}f}"  # noqa: E731
    for r in summary["rows"]:
        t.add_row(r["data"], r["model"], r["evaluation"], r["recordings"], r["calibration"], r["reference"],
                  str(r["subjects"]), fmt(r["mae_ml_min"], 0), fmt(r["mape_pct"], 2))
    console.print(t)
    for name, d in summary["device"].items():
        h = d["heldout"]
        console.print(f"{name}: int8 core {d['int8_bytes']} bytes, TFLM arena {d['arena_bytes']} bytes, integer-only, "
                      f"ops {', '.join(d['unique_ops'])}; int8 vs float VO2 {h['vo2_rel_diff_mean_pct']:.2f} % mean / "
                      f"{h['vo2_rel_diff_max_pct']:.2f} % max ({h['data']}, {h['seconds']} s)")
    if summary["headline"]:
        h = summary["headline"]
        verdict = "meets" if h["meets_paper"] else "does not meet"
        console.print(f"headline (real, pyoxynet CPET, leave-one-subject-out, neural Kalman): MAPE {h['mape_pct']:.2f} % "
                      f"over {h['subjects']} subjects, which {verdict} the paper's {PAPER_MAPE_PCT} %")
    if summary["timings_s"]:
        console.print("wall time (s): " + ", ".join(f"{k} {v}" for k, v in summary["timings_s"].items()))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m gaitnode.training.vo2_hr_summary OUT", file=sys.stderr)
        return 2
    out = Path(argv[0])
    try:
        summary = summarise(out)
    except GaitnodeError as e:
        print(f"gaitnode: error: {e}", file=sys.stderr)
        return 2
    (out / "vo2_hr_summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print_table(summary)
    print(f"wrote {out / 'vo2_hr_summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
