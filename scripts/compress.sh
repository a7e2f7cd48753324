#!/usr/bin/env bash
# Pruning + clustering + LUT compression of the demo's models (all data SYNTHETIC, from the simulator):
#   for each model dir that exists: gaitnode compress (prune 50 % in a 2-epoch fine-tune, int8, 4-bit
#   per-channel LUTs on conv / fully connected weights, TFLM check) -> table + compression_summary.json.
# Usage: scripts/compress.sh OUT [DEMO_ROOT]   (DEMO_ROOT: build/demo; models of later steps are used when present)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/compress.sh OUT [DEMO_ROOT]}
DEMO=${2:-build/demo}
GN=.venv/bin/gaitnode
mkdir -p "$OUT"
# name model_dir sessions
MODELS=(
  "heel_strike $DEMO/heel_strike/models/hs_shank $DEMO/heel_strike/cohort"
  "vo2 $DEMO/vo2/models/vo2_cnn_lstm $DEMO/vo2/cohort"
  "phase $DEMO/phase/models/resnet_lstm $DEMO/phase/cohort"
  "activity $DEMO/activity/models/activity_cnn_lstm $DEMO/activity/cohort"
)
done_names=()
for entry in "${MODELS[@]}"; do
  read -r name dir data <<<"$entry"
  if [[ ! -f "$dir/model.json" || ! -d "$data" ]]; then echo "compress: no $name model at $dir, left out"; continue; fi
  rm -rf "$OUT/$name"; cp -r "$dir" "$OUT/$name"
  nice -n 10 $GN compress "$OUT/$name" --data "$data" --sparsity "${COMPRESS_SPARSITY:-0.5}" \
    --bits "${COMPRESS_BITS:-4}" --epochs 2 --max-sessions "${COMPRESS_SESSIONS:-4}" --c-arrays --force
  done_names+=("$name")
done
.venv/bin/python - "$OUT" "${done_names[@]}" <<'PY'
import json, sys
from pathlib import Path
from gaitnode.quantize.compression_report import summary_rows
out, names = Path(sys.argv[1]), sys.argv[2:]
rows = summary_rows({n: json.loads((out / n / "compress.json").read_text()) for n in names})
(out / "compression_summary.json").write_text(json.dumps({"data": "synthetic, simulator", "models": rows}, indent=2) + "\n")
cols = ["model", "int8_bytes", "pruned_int8_bytes", "compressed_bytes", "saving_vs_int8_percent", "int8_arena",
        "compressed_arena", "float_metric", "int8_metric", "pruned_int8_metric", "compressed_metric",
        "metric_loss_vs_int8", "target_met"]
print("compression (synthetic, simulator data)")
print(" | ".join(cols))
for r in rows:
    print(" | ".join(str(r[c]) for c in cols))
PY
