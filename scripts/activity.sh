#!/usr/bin/env bash
# Activity recognition (paper 003's CNN-LSTM, UCI HAR's six classes) from data to C arrays, as a user types it
# (all data SYNTHETIC, from the simulator):
#   cohort (daily living, stairs, free walk; shank) -> train (cnn_lstm for the node, cnn_lstm_paper at the paper's
#   sizes) -> quantize the node model (int8, TFLite-Micro, C arrays) -> evaluate float, TFLM int8 and the paper
#   model on held-out synthetic subjects -> summary table (activity_summary.json).
# Usage: scripts/activity.sh OUT [--full]
#   --full (make bench): longer training of both models (denser windows, more epochs).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/activity.sh OUT [--full]}
FULL=${2:-}
GN=.venv/bin/gaitnode
# Epoch counts keep results independent of machine speed; the minute budgets only cut training short on a
# slower machine.
MINUTES=${ACTIVITY_TRAIN_MINUTES:-3}
NODE_ARGS=(--epochs 8 --train-hop 32 --max-minutes "$MINUTES")
PAPER_ARGS=(--epochs 4 --train-hop 64 --max-minutes "$MINUTES")
if [[ $FULL == --full ]]; then
  NODE_ARGS=(--epochs 30 --train-hop 16 --max-minutes "$((MINUTES * 4))")
  PAPER_ARGS=(--epochs 30 --train-hop 16 --max-minutes "$((MINUTES * 8))")
fi
mkdir -p "$OUT/models" "$OUT/eval"
SECONDS=0

echo "== activity 1. synthetic cohort (24 subjects x daily living, stairs, free walk; shank) -> $OUT/cohort"
if [[ ! -f $OUT/cohort/cohort.json ]]; then
  $GN cohort -o "$OUT/cohort" --subjects 24 --protocols daily_living,stairs,free_walk --placements shank \
    --seed 31 --workers 2
fi
echo "   ($SECONDS s)"

echo
echo "== activity 2. train the node model (cnn_lstm) and the paper's sizes (cnn_lstm_paper)"
$GN train activity --data "$OUT/cohort" --architecture cnn_lstm -o "$OUT/models/activity_cnn_lstm" \
  "${NODE_ARGS[@]}" --force
echo "   ($SECONDS s)"
$GN train activity --data "$OUT/cohort" --architecture cnn_lstm_paper -o "$OUT/models/activity_cnn_lstm_paper" \
  "${PAPER_ARGS[@]}" --force
echo "   ($SECONDS s)"

echo
echo "== activity 3. quantize (int8, TFLite-Micro arena, C arrays; budgets 40 KB model, 16 KB arena)"
$GN quantize activity "$OUT/models/activity_cnn_lstm" --data "$OUT/cohort" --force
# the paper-size model for the size comparison only: it is far over the node's budget (the warning says so)
# (fewer windows: LiteRT's reference kernels run the large model slowly)
$GN quantize activity "$OUT/models/activity_cnn_lstm_paper" --data "$OUT/cohort" --representative 100 \
  --heldout-windows 50 --force
echo "   ($SECONDS s)"

echo
echo "== activity 4. evaluate on the held-out synthetic subjects (the cohort's test split)"
$GN evaluate activity "$OUT/cohort" --model float --model-dir "$OUT/models/activity_cnn_lstm" \
  --json "$OUT/eval/cnn_lstm.float.json" --force > /dev/null
$GN evaluate activity "$OUT/cohort" --model tflm --model-dir "$OUT/models/activity_cnn_lstm" \
  --json "$OUT/eval/cnn_lstm.tflm.json" --force
$GN evaluate activity "$OUT/cohort" --model float --model-dir "$OUT/models/activity_cnn_lstm_paper" \
  --json "$OUT/eval/cnn_lstm_paper.float.json" --force > /dev/null
echo "   ($SECONDS s)"

echo
.venv/bin/python - "$OUT" <<'EOF'
"""activity_summary.json and a table: one row per model and runner (held-out synthetic subjects)."""
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = []
for name, kind in (("cnn_lstm", "float"), ("cnn_lstm", "tflm"), ("cnn_lstm_paper", "float")):
    r = json.loads((out / "eval" / f"{name}.{kind}.json").read_text())
    model_dir = out / "models" / f"activity_{name}"
    q = json.loads((model_dir / "quantize.json").read_text())
    meta = json.loads((model_dir / "model.json").read_text())
    o = r["overall"]
    rows.append({"model": name, "runner": kind, "params": meta["training"]["params"],
                 "int8_bytes": q["model_int8_bytes"], "arena_bytes": q["arena_bytes"],
                 "over_budget": bool(q["over_model_budget"] or q["over_arena_budget"]),
                 "accuracy": o["accuracy"], "macro_f1": o["macro_f1"], "micro_f1": o["micro_f1"],
                 "steady_accuracy": r["steady"]["accuracy"], "n_windows": o["n_samples"],
                 "per_class": o["per_class"], "confusion": o["confusion"], "classes": o["names"],
                 "by_protocol": r["by_protocol"], "synthetic": r["synthetic"],
                 "epochs_run": meta["training"]["epochs_run"], "train_seconds": meta["training"]["train_seconds"]})
summary = {"data": "synthetic (gaitnode simulator), held-out subjects (cohort test split)",
           "target_accuracy": 0.95, "paper_003_uci_har_val_accuracy": 0.956, "rows": rows}
(out / "activity_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print("activity recognition on held-out SYNTHETIC subjects (paper 003: 95.6 % validation accuracy on real UCI HAR)")
print(f"{'model':16s} {'runner':6s} {'params':>7s} {'int8 B':>7s} {'arena B':>7s} {'acc %':>6s} {'steady %':>8s} "
      f"{'macroF1':>7s}  per-class F1 ({', '.join(rows[0]['classes'])})")
for r in rows:
    f1 = " ".join("-" if r["per_class"][c]["f1"] is None else f"{r['per_class'][c]['f1']:.2f}" for c in r["classes"])
    flag = " (over the node budget)" if r["over_budget"] else ""
    print(f"{r['model']:16s} {r['runner']:6s} {r['params']:7d} {r['int8_bytes']:7d} {r['arena_bytes']:7d} "
          f"{100 * r['accuracy']:6.1f} {100 * r['steady_accuracy']:8.1f} {r['macro_f1']:7.3f}  {f1}{flag}")
print(f"wrote {out / 'activity_summary.json'}")
EOF
echo "activity: done in $SECONDS s (all data synthetic, from the gaitnode simulator)"
