#!/usr/bin/env bash
# Gait phases (paper 001) from data to C arrays, as a user types it (all data SYNTHETIC, from the simulator):
#   cohort -> train (resnet_lstm for the node, resnet_lstm_tpa, lstm_only, the KNN / SVM baselines, a short run of
#   the paper-size ResNet-34 + LSTM) -> evaluate on the held-out subjects per terrain -> quantize the node model
#   (int8, TFLite-Micro, C arrays) -> summary table (phase_summary.json).
# Usage: scripts/phase.sh OUT [--full]
#   --full (make bench) trains longer, evaluates the paper-size model on every held-out session and adds a
#   foot-worn resnet_lstm.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/phase.sh OUT [--full]}
FULL=${2:-}
GN=.venv/bin/gaitnode
# Epoch counts keep results independent of machine speed; the minute budgets cut training short on a slower
# machine (on 2 free cores the node models stop on their epoch counts or patience in about a minute each).
MIN=${PHASE_TRAIN_MINUTES:-1.25}
EPOCHS=20
# The 7.7 M-parameter reference: small batches (more steps in its few minutes), a fixed validation subset.
PAPER=(--epochs 4 --windows-per-epoch 1000 --batch-size 16 --max-val-windows 1000 --max-minutes 3)
PAPER_EVAL=(--protocols stairs)  # the 7.7 M-parameter model is slow on 2 cores: its held-out stairs walks only
if [[ $FULL == --full ]]; then
  MIN=${PHASE_TRAIN_MINUTES:-6}; EPOCHS=40
  PAPER=(--epochs 20 --windows-per-epoch 4000 --batch-size 16 --max-val-windows 4000 --max-minutes 30); PAPER_EVAL=()
fi
mkdir -p "$OUT/models" "$OUT/eval"
SECONDS=0

echo "== phase 1. synthetic cohort (12 subjects x free walk, stairs, running; shank and foot) -> $OUT/cohort"
if [[ ! -f $OUT/cohort/cohort.json ]]; then
  $GN cohort -o "$OUT/cohort" --subjects 12 --protocols free_walk,stairs,running --placements shank,foot \
    --seed 21 --workers 2
fi
echo "   ($SECONDS s)"

train() {  # name architecture [options...]
  local name=$1 arch=$2; shift 2
  echo
  echo "== phase train $name ($arch)"
  $GN train phase --data "$OUT/cohort" --placement shank --architecture "$arch" -o "$OUT/models/$name" --force "$@"
  echo "   ($SECONDS s)"
}

evaluate() {  # name kind [options...]
  local name=$1 kind=$2; shift 2
  $GN evaluate phase "$OUT/cohort" --model "$kind" --model-dir "$OUT/models/$name" \
    --json "$OUT/eval/$name.$kind.json" --force "$@"
}

train resnet_lstm resnet_lstm --epochs $EPOCHS --windows-per-epoch 10000 --max-minutes "$MIN"
train resnet_lstm_tpa resnet_lstm_tpa --epochs $EPOCHS --windows-per-epoch 10000 --max-minutes "$MIN"
train lstm_only lstm_only --epochs $EPOCHS --windows-per-epoch 10000 --max-minutes "$MIN"
train knn knn --max-rows 20000
train svm svm --max-rows 6000
train resnet_lstm_paper resnet_lstm_paper "${PAPER[@]}"

echo
echo "== phase quantize the node models (int8 <= 40 KB, TFLM arena <= 16 KB, C arrays)"
$GN quantize phase "$OUT/models/resnet_lstm" --data "$OUT/cohort" --force
$GN quantize phase "$OUT/models/resnet_lstm_tpa" --data "$OUT/cohort" --force || true  # reported, not fatal
echo "   ($SECONDS s)"

echo
echo "== phase evaluate on the held-out synthetic subjects (the cohort's test split), per terrain"
evaluate resnet_lstm float
evaluate resnet_lstm tflm
evaluate resnet_lstm_tpa float
evaluate lstm_only float
evaluate knn knn
evaluate svm svm
evaluate resnet_lstm_paper float "${PAPER_EVAL[@]}"
echo "   ($SECONDS s)"

if [[ $FULL == --full ]]; then
  echo
  echo "== phase: the same node model for a foot-worn sensor"
  $GN train phase --data "$OUT/cohort" --placement foot --architecture resnet_lstm -o "$OUT/models/resnet_lstm_foot" \
    --force --epochs $EPOCHS --windows-per-epoch 10000 --max-minutes "$MIN"
  evaluate resnet_lstm_foot float
fi

echo
.venv/bin/python benchmarks/phase_summary.py "$OUT"
echo "phase: done in $SECONDS s (all data synthetic, from the gaitnode simulator)"
