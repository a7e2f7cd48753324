#!/usr/bin/env bash
# The CNN-LSTM VO2 model from data to C arrays, as a user types it (all data SYNTHETIC, from the simulator):
#   cohort -> train (cnn_lstm for the node, lstm_only for the paper's comparison) -> quantize (int8, TFLite-Micro,
#   C arrays) -> evaluate (float, int8 in TFLM, the node's ACSM baseline) -> transfer learning on held-out subjects
#   (2 minutes of a free walk each) -> summary table (vo2_summary.json).
# Usage: scripts/vo2.sh OUT [--full]
#   --full (make bench) adds the paper's full-size CNN-LSTM (float evaluation; its int8 model is over the budget).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/vo2.sh OUT [--full]}
FULL=${2:-}
GN=.venv/bin/gaitnode
# Epoch counts keep results independent of machine speed; the minute budgets only cut training short on a
# slower machine (about 2.5 and 1.5 minutes on 2 free cores).
MINUTES=${VO2_TRAIN_MINUTES:-4}
mkdir -p "$OUT/models" "$OUT/eval"
SECONDS=0

echo "== vo2 1. synthetic cohort (30 subjects x Bruce, free walk, running, daily living, stairs; shank) -> $OUT/cohort"
if [[ ! -f $OUT/cohort/cohort.json ]]; then
  $GN cohort -o "$OUT/cohort" --subjects 30 --protocols bruce,free_walk,running,daily_living,stairs \
    --placements shank --seed 11 --workers 2
fi
echo "   ($SECONDS s)"

train() {  # name architecture epochs minutes
  echo
  echo "== vo2 train $1 ($2)"
  $GN train vo2 --data "$OUT/cohort" --placement shank --architecture "$2" -o "$OUT/models/$1" \
    --epochs "$3" --max-minutes "$4" --force
  echo "   ($SECONDS s)"
}

evaluate() {  # name kind [options...]
  local name=$1 kind=$2; shift 2
  $GN evaluate vo2 "$OUT/cohort" --model "$kind" --model-dir "$OUT/models/$name" \
    --json "$OUT/eval/$name.$kind.json" --force "$@"
}

train vo2_cnn_lstm cnn_lstm 15 "$MINUTES"
$GN quantize vo2 "$OUT/models/vo2_cnn_lstm" --data "$OUT/cohort" --force
train vo2_lstm_only lstm_only 8 "$((MINUTES / 2))"

echo
echo "== vo2 evaluate on the held-out synthetic subjects (the cohort's test split)"
evaluate vo2_cnn_lstm float
evaluate vo2_cnn_lstm tflm
evaluate vo2_lstm_only float
echo
echo "== ACSM baseline: the node's C estimate stage on its own classical heel strikes (grade unknown: 0)"
$GN evaluate vo2 "$OUT/cohort" --model acsm --json "$OUT/eval/acsm.json" --force
echo "   ($SECONDS s)"

echo
echo "== transfer learning: each held-out subject's first 2 minutes of a free walk (synthetic)"
for f in $(ls "$OUT"/cohort/test/*_free-walk_shank.gns | sort | head -n 4); do
  subj=$(basename "$f" | cut -d_ -f1)
  others=$(ls "$OUT"/cohort/test/"${subj}"_*_shank.gns | grep -v free-walk)
  $GN train vo2 --finetune-from "$OUT/models/vo2_cnn_lstm" --data "$f" --data-seconds 120 \
    -o "$OUT/models/vo2_cnn_lstm_ft_$subj" --force
  for m in base finetuned; do
    dir="$OUT/models/vo2_cnn_lstm"; [[ $m == finetuned ]] && dir="$OUT/models/vo2_cnn_lstm_ft_$subj"
    # the rest of that walk (never seen in fine-tuning) and the subject's other sessions
    $GN evaluate vo2 "$f" --from-seconds 120 --model float --model-dir "$dir" \
      --json "$OUT/eval/transfer_${subj}.walk.$m.json" --force > /dev/null
    # shellcheck disable=SC2086
    $GN evaluate vo2 $others --model float --model-dir "$dir" \
      --json "$OUT/eval/transfer_${subj}.other.$m.json" --force > /dev/null
  done
done
# the node runs a fine-tuned model too: int8, TFLite-Micro, the same budgets
first_ft=$(ls -d "$OUT"/models/vo2_cnn_lstm_ft_* | sort | head -n 1)
$GN quantize vo2 "$first_ft" --data "$OUT/cohort" --force
echo "   ($SECONDS s)"

if [[ $FULL == --full ]]; then
  train vo2_cnn_lstm_paper cnn_lstm_paper 10 "$((MINUTES * 2))"
  evaluate vo2_cnn_lstm_paper float
fi

echo
.venv/bin/python benchmarks/vo2_summary.py "$OUT"
echo "vo2: done in $SECONDS s (all data synthetic, from the gaitnode simulator)"
