#!/usr/bin/env bash
# VO2 from heart rate (paper 002's neural-Kalman model), as a user types it:
#   1. REAL data: leave-one-subject-out cross-validation on the CPET tests shipped in pyoxynet
#      (neural Kalman and the GRU-only baseline; MAE, RMSE, MAPE per subject and aggregate)
#   2. REAL data: the final model on every usable CPET test, and its recurrent core checked for a node
#      (int8 in a child process, integer-only tensors, TFLite-Micro ops and arena, int8 vs float VO2)
#   3. SYNTHETIC data: HR + cadence (from the node's heel strikes) -> VO2 on simulator sessions, scored on
#      held-out synthetic subjects (neural Kalman and GRU-only)
#   4. a summary table and OUT/vo2_hr_summary.json
# Usage: scripts/vo2_hr.sh OUT [SYNTHETIC_COHORT]
#   SYNTHETIC_COHORT: a cohort with HR and VO2 (e.g. the demo's heel-strike cohort); default: simulate one
#   into OUT/cohort. About 10 minutes on 2 cores (most of it the cross-validation).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/vo2_hr.sh OUT [SYNTHETIC_COHORT]}
COHORT=${2:-$OUT/cohort}
GN=.venv/bin/gaitnode
mkdir -p "$OUT/models" "$OUT/eval"
: > "$OUT/timings.txt"
started=$(date +%s)
mark() {  # name: seconds since the previous mark
  local now
  now=$(date +%s)
  echo "$1 $((now - started))" >> "$OUT/timings.txt"
  started=$now
}

echo "== vo2-hr 1. REAL CPET (pyoxynet): cross-validation by subject, neural Kalman and GRU-only"
$GN evaluate vo2-hr --cpet --architecture kalman,gru --json "$OUT/eval/cpet_cv.json" --force
mark cpet_cross_validation

echo
echo "== vo2-hr 2. REAL CPET: the final model on every usable test -> $OUT/models/vo2_hr_cpet"
$GN train vo2-hr --cpet -o "$OUT/models/vo2_hr_cpet" --force
$GN quantize vo2-hr "$OUT/models/vo2_hr_cpet" --cpet --force
mark cpet_final_model_and_device_check

echo
echo "== vo2-hr 3. SYNTHETIC sessions (simulator): HR + cadence -> VO2"
if [[ ! -f $COHORT/cohort.json ]]; then
  $GN cohort -o "$COHORT" --subjects 20 --protocols bruce,free_walk,running,daily_living --placements shank \
    --seed 11 --workers 2
  mark synthetic_cohort
fi
for arch in kalman gru; do
  $GN train vo2-hr --data "$COHORT" --architecture "$arch" --epochs 30 -o "$OUT/models/vo2_hr_synthetic_$arch" --force
  $GN evaluate vo2-hr "$COHORT" --model-dir "$OUT/models/vo2_hr_synthetic_$arch" \
    --json "$OUT/eval/synthetic_$arch.json" --force
done
mark synthetic_train_and_evaluate

echo
echo "== vo2-hr 4. summary"
.venv/bin/python -m gaitnode.training.vo2_hr_summary "$OUT"
