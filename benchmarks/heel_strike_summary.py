"""Collect the heel-strike pipeline's results (scripts/heel_strike.sh OUT) into one JSON and a table.

Reads OUT/models/*/model.json + quantize.json and OUT/eval/*.json; writes
OUT/heel_strike_summary.json and prints a Markdown table against the issue's targets.
All numbers are on SYNTHETIC data (the gaitnode simulator), held-out subjects.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TARGETS = {"event_f1": 0.95, "median_abs_error_ms": 20.0, "int8_f1_gap": 0.01, "model_bytes": 65536,
           "arena_bytes": 24576, "train_minutes": 5.0}


def _load(p: Path):
    return json.loads(p.read_text()) if p.is_file() else None


def _fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    out: Path = args.out
    models = {}
    for d in sorted((out / "models").glob("*/model.json")):
        name = d.parent.name
        meta, quant = _load(d), _load(d.parent / "quantize.json") or {}
        row = {"architecture": meta["architecture"], "placement": meta["placement"],
               "channels": len(meta["channels"]), "train_seconds": meta.get("training", {}).get("train_seconds"),
               "epochs_run": meta.get("training", {}).get("epochs_run"),
               "int8_bytes": quant.get("model_int8_bytes"), "arena_bytes": quant.get("arena_bytes"),
               "arena_bytes_measured": quant.get("arena_bytes_measured"),
               "tflm_vs_float_max_abs": (quant.get("tflm_vs_float") or {}).get("max_abs"),
               "event_f1_quantize_check": quant.get("event_f1")}
        for kind in ("float", "tflm", "int8"):
            ev = _load(out / "eval" / f"{name}.{kind}.json")
            if ev:
                row[kind] = {"events": ev["overall"]["events"], "samples": ev["overall"]["samples"],
                             "by_speed": {k: v["events"]["f1"] for k, v in ev["by_speed"].items()}}
        if any(k in row for k in ("float", "tflm", "int8")):  # fine-tuned models are summarised under transfer
            models[name] = row
    classical = _load(out / "eval" / "classical.json")
    transfer = {}
    for base in sorted((out / "eval").glob("transfer_S*.base.json")):
        subj = base.name.split("_")[1].split(".")[0]
        row = {}
        for what, prefix in (("rest_of_walk", "transfer_"), ("bruce", "transfer_bruce_")):
            b = _load(out / "eval" / f"{prefix}{subj}.base.json")
            ft = _load(out / "eval" / f"{prefix}{subj}.finetuned.json")
            if b and ft:
                row[what] = {"base_f1": b["overall"]["events"]["f1"], "finetuned_f1": ft["overall"]["events"]["f1"],
                             "base_median_ms": b["overall"]["events"]["median_abs_error_ms"],
                             "finetuned_median_ms": ft["overall"]["events"]["median_abs_error_ms"]}
        transfer[subj] = row
    summary = {"data": "synthetic (gaitnode simulator), held-out subjects", "targets": TARGETS, "models": models,
               "classical": None if classical is None else {
                   p: g["events"] for p, g in classical["by_placement"].items()},
               "transfer": transfer}
    (out / "heel_strike_summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")

    print("heel strike on held-out SYNTHETIC subjects (+-50 ms); targets: event F1 >= 0.95, median |err| <= 20 ms, "
          "int8 within 0.01 F1, <= 64 KB, arena <= 24 KB, training <= 5 min")
    print()
    print("| model | arch | ch | float F1 | TFLM int8 F1 | median ms | sample acc | sample F1 | int8 B | arena B | "
          "train s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in models.items():
        f, t = r.get("float", {}), r.get("tflm", {})
        fe, fs = f.get("events", {}), f.get("samples") or {}
        print(f"| {name} | {r['architecture']} | {r['channels']} | {_fmt(fe.get('f1'))} | "
              f"{_fmt(t.get('events', {}).get('f1'))} | {_fmt(fe.get('median_abs_error_ms'), '.1f')} | "
              f"{_fmt(fs.get('accuracy'))} | {_fmt(fs.get('f1'))} | {r['int8_bytes']} | {r['arena_bytes']} | "
              f"{_fmt(r['train_seconds'], '.0f')} |")
    if classical:
        for p, g in classical["by_placement"].items():
            e = g["events"]
            print(f"| classical C gyro rule | - | 3 | {_fmt(e['f1'])} | (same C) | "
                  f"{_fmt(e['median_abs_error_ms'], '.1f')} | - | - | - | - | - |  ({p})")
    if transfer:
        print()
        print("transfer learning (new synthetic subjects, boards fitted any way round; fine-tuned on the first 120 s "
              "of a free walk, gradual unfreezing): event F1 base -> fine-tuned")
        for subj, t in transfer.items():
            parts = [f"{what.replace('_', ' ')} {r['base_f1']:.3f} -> {r['finetuned_f1']:.3f}" for what, r in t.items()]
            print(f"  {subj}: " + "; ".join(parts))
    print(f"\nwrote {out / 'heel_strike_summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
