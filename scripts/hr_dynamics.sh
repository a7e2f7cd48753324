#!/usr/bin/env bash
# Heart rate from the activity drive (paper 002's HR models), as a user types it:
#   synthetic cohort -> train the neural ODE and the neural Kalman model -> evaluate both in standard and
#   generative mode on held-out SYNTHETIC subjects and on the REAL running session shipped in the `sweat`
#   package -> HR gap filling (hidden dropouts of 10/30/60 s) against linear interpolation.
# Usage: scripts/hr_dynamics.sh OUT      (about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/hr_dynamics.sh OUT}
GN=.venv/bin/gaitnode
# Training budgets (minutes); the epoch counts bound the work, the budgets guard a slow machine.
ODE_MINUTES=${HR_ODE_MINUTES:-1.8}
KALMAN_MINUTES=${HR_KALMAN_MINUTES:-2.2}
mkdir -p "$OUT/models"

echo "== hr dynamics 1. synthetic cohort (HR, speed, grade, heel strikes; 50 Hz shank) -> $OUT/cohort"
if [[ ! -f $OUT/cohort/cohort.json ]]; then
  $GN cohort -o "$OUT/cohort" --subjects 24 --protocols bruce,free_walk,running,daily_living --placements shank \
    --rate 50 --seed 21 --workers 2
fi

echo
echo "== hr dynamics 2. train the neural ODE and the neural Kalman model (synthetic train/val subjects)"
$GN train hr-dynamics --data "$OUT/cohort" --model neural_ode -o "$OUT/models/neural_ode" \
  --epochs 40 --max-minutes "$ODE_MINUTES" --force
$GN train hr-dynamics --data "$OUT/cohort" --model neural_kalman -o "$OUT/models/neural_kalman" \
  --epochs 40 --max-minutes "$KALMAN_MINUTES" --force

echo
echo "== hr dynamics 3. evaluate: held-out synthetic subjects + the real running session (sweat package);"
echo "   standard mode (first second of each 60 s window known) and generative mode (first second only);"
echo "   gap filling inside hidden 10/30/60 s dropouts vs linear interpolation"
$GN evaluate hr-dynamics "$OUT/cohort" --real-examples --model-dir "$OUT/models/neural_ode" \
  --model-dir "$OUT/models/neural_kalman" --mode both --gaps 10,30,60 --json "$OUT/hr_dynamics_summary.json" --force
