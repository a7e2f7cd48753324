#!/usr/bin/env bash
# The main job, as a user would type it. Everything it makes is SYNTHETIC (simulator output).
#   1. simulate a small cohort (subjects x protocols x placements, split by subject)
#   2. summarise one session and export it to Parquet
#   3. plot sessions (IMU, reference events, gait phase, activity, VO2/HR)
#   4. the heel-strike model: train (shank, foot), int8 + TFLite-Micro + C arrays, evaluate, transfer learning
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/demo}
GN=.venv/bin/gaitnode
rm -rf "$OUT/cohort"
mkdir -p "$OUT/plots"

echo "== 1. simulate a synthetic cohort -> $OUT/cohort"
$GN cohort -o "$OUT/cohort" --subjects 6 --protocols bruce,free_walk,daily_living \
  --placements shank,foot --seed 7 --workers 2

first=$(find "$OUT/cohort/test" -name '*bruce*shank*.gns' | sort | head -n 1)
echo
echo "== 2. one held-out session: $first"
$GN inspect "$first"
$GN export "$first" -o "$OUT/parquet"

echo
echo "== 3. plots -> $OUT/plots"
for f in $(find "$OUT/cohort/test" -name '*.gns' | sort); do
  $GN report "$f" -o "$OUT/plots/$(basename "${f%.gns}").png"
done
ls -1 "$OUT/plots"

echo
echo "== 4. heel-strike model -> $OUT/heel_strike"
scripts/heel_strike.sh "$OUT/heel_strike"
echo
echo "demo: done (all data above is synthetic, from the gaitnode simulator)"
