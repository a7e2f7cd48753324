#!/usr/bin/env bash
# The heel-strike model from data to C arrays, as a user types it (all data SYNTHETIC, from the simulator):
#   cohort -> train (shank, foot) -> quantize (int8, TFLite-Micro, C arrays) -> evaluate (float, int8 in TFLM,
#   classical C gyro rule) -> transfer learning to subjects whose boards sit another way round.
# Usage: scripts/heel_strike.sh OUT [--full]
#   --full (make bench) adds the comparisons: 9-axis input, the paper's full-size CNN-LSTM, LSTM-only.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/heel_strike.sh OUT [--full]}
FULL=${2:-}
GN=.venv/bin/gaitnode
# 3 epochs (about 4 min on 2 cores) keep results independent of machine speed; the 5-minute budget
# (the issue's target) is a guard that only cuts training short on a slower machine.
MINUTES=${HS_TRAIN_MINUTES:-5}
mkdir -p "$OUT/models" "$OUT/eval"

echo "== heel strike 1. synthetic training cohort -> $OUT/cohort"
if [[ ! -f $OUT/cohort/cohort.json ]]; then
  $GN cohort -o "$OUT/cohort" --subjects 16 --protocols bruce,free_walk,running --placements shank,foot \
    --sides left,right --seed 7 --workers 2
fi

train() {  # name placement [train options...]
  local name=$1 placement=$2; shift 2
  echo
  echo "== train $name"
  $GN train heel-strike --data "$OUT/cohort" --placement "$placement" -o "$OUT/models/$name" \
    --epochs 3 --max-minutes "$MINUTES" --force "$@"
  $GN quantize heel-strike "$OUT/models/$name" --data "$OUT/cohort" --force
}

evaluate() {  # name kind
  $GN evaluate heel-strike "$OUT/cohort" --model "$2" --model-dir "$OUT/models/$1" \
    --json "$OUT/eval/$1.$2.json" --force
}

train hs_shank shank
train hs_foot foot
for kind in float tflm; do
  evaluate hs_shank $kind
  evaluate hs_foot $kind
done
echo
echo "== classical baseline (the firmware's C gyro rule, called through ctypes)"
$GN evaluate heel-strike "$OUT/cohort" --model classical --json "$OUT/eval/classical.json" --force

echo
echo "== transfer learning: new subjects, boards fitted any way round (synthetic, mounting random_any)"
if [[ ! -f $OUT/newsubjects/cohort.json ]]; then
  $GN cohort -o "$OUT/newsubjects" --subjects 4 --protocols free_walk,bruce --placements shank \
    --seed 1001 --mounting random_any --split 0,0,1 --workers 2
fi
for f in "$OUT"/newsubjects/test/*_free-walk_shank.gns; do
  subj=$(basename "$f" | cut -d_ -f1)
  bruce="$OUT/newsubjects/test/${subj}_bruce_shank.gns"
  # Fine-tune on the first 2 minutes of the subject's free walk (feature blocks unfrozen gradually: a board
  # turned another way changes what the first convolution sees). Score base and fine-tuned models on the
  # rest of that walk (never seen in training) and on the subject's Bruce test (running and incline too).
  $GN train heel-strike --finetune-from "$OUT/models/hs_shank" --data "$f" --data-seconds 120 \
    --unfreeze gradual -o "$OUT/models/hs_shank_ft_$subj" --force
  for m in base finetuned; do
    dir="$OUT/models/hs_shank"; [[ $m == finetuned ]] && dir="$OUT/models/hs_shank_ft_$subj"
    $GN evaluate heel-strike "$f" --from-seconds 120 --model float --model-dir "$dir" \
      --json "$OUT/eval/transfer_${subj}.$m.json" --force
    $GN evaluate heel-strike "$bruce" --model float --model-dir "$dir" \
      --json "$OUT/eval/transfer_bruce_${subj}.$m.json" --force
  done
done

if [[ $FULL == --full ]]; then
  train hs_shank_9axis shank --channels acc+gyr+mag
  train hs_shank_paper shank --architecture cnn_lstm_paper
  train hs_shank_lstm_only shank --architecture lstm_only
  for name in hs_shank_9axis hs_shank_lstm_only; do
    evaluate $name float
    evaluate $name tflm
  done
  evaluate hs_shank_paper float  # its int8 TFLM run (~0.5 MB model) is checked by quantize only
fi

echo
.venv/bin/python benchmarks/heel_strike_summary.py "$OUT"
