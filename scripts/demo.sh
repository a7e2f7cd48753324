#!/usr/bin/env bash
# The main job, as a user would type it. Everything it makes is SYNTHETIC (simulator output).
#   1. simulate a small cohort (subjects x protocols x placements, split by subject)
#   2. summarise one session and export it to Parquet
#   3. plot sessions (IMU, reference events, gait phase, activity, VO2/HR)
#   4. the heel-strike model: train (shank, foot), int8 + TFLite-Micro + C arrays, evaluate, transfer learning
#   5. VO2 from the IMU: CNN-LSTM (+ LSTM-only comparison) beside the ACSM equations, int8, transfer learning
#   6. VO2 from heart rate: neural-Kalman model, leave-one-subject-out on REAL exercise tests (pyoxynet data)
#   7. heart-rate dynamics: neural ODE and neural Kalman, standard and generative mode, HR gap filling
#   8. gait phases (paper 001): ResNet-LSTM, ResNet-LSTM-TPA, LSTM-only, KNN, SVM, per terrain; int8 node model
#   9. activity recognition (paper 003): CNN-LSTM node-size and paper-size, six UCI HAR classes; int8 node model
#  10. pruning + LUT compression of the models above, checked in TFLite-Micro
#  11. the Nano 33 BLE with all four models: the build's budget check (flash, shared arena, RAM headroom)
#  12. replay held-out sessions through the twin (the firmware's C core + the four int8 models in TFLM, over
#      a pseudo-terminal): live readout; heel strike, VO2, phase and activity scores; result files; reports
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/demo}
GN=.venv/bin/gaitnode
rm -rf "$OUT/cohort" "$OUT/parquet" "$OUT/plots"  # a rerun starts clean
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
echo "== 5. VO2 from the IMU -> $OUT/vo2"
scripts/vo2.sh "$OUT/vo2"

echo
echo "== 6. VO2 from heart rate -> $OUT/vo2_hr"
scripts/vo2_hr.sh "$OUT/vo2_hr"

echo
echo "== 7. heart-rate dynamics -> $OUT/hr_dynamics"
scripts/hr_dynamics.sh "$OUT/hr_dynamics"

echo
echo "== 8. gait phases -> $OUT/phase"
scripts/phase.sh "$OUT/phase"

echo
echo "== 9. activity recognition -> $OUT/activity"
scripts/activity.sh "$OUT/activity"

echo
echo "== 10. pruning + compression -> $OUT/compress"
scripts/compress.sh "$OUT/compress" "$OUT"

echo
hs_dir=$OUT/heel_strike/models/hs_shank vo2_dir=$OUT/vo2/models/vo2_cnn_lstm
phase_dir=$OUT/phase/models/resnet_lstm activity_dir=$OUT/activity/models/activity_cnn_lstm
echo "== 11. several models on one node: nano33ble (heel strike + VO2 + phase + activity) -> $OUT/nano33ble_budget.json"
$GN boards check --board nano33ble --model-dir "heel_strike=$hs_dir" --model-dir "vo2=$vo2_dir" \
  --model-dir "phase=$phase_dir" --model-dir "activity=$activity_dir" --json "$OUT/nano33ble_budget.json" --force

echo
held_out=$(find "$OUT/heel_strike/cohort/test" -name '*free-walk_shank*.gns' | sort | head -n 1)
[[ -n $held_out ]] || { echo "demo: no held-out free-walk shank session in $OUT/heel_strike/cohort/test" >&2; exit 1; }
name=$(basename "${held_out%.gns}")
models=(--model-dir "$hs_dir" --vo2-model-dir "$vo2_dir" --phase-model-dir "$phase_dir"
        --activity-model-dir "$activity_dir")
echo "== 12. replay held-out SYNTHETIC sessions through the twin -> $OUT/replay"
echo "   build the twin (the firmware's C core for this machine, CMake) and start it once:"
$GN twin "${models[@]}" --seconds 1
echo "   $held_out (a subject the models never saw), first 5 minutes at 10x real time"
rm -rf "$OUT/replay"
mkdir -p "$OUT/replay"
$GN replay "$held_out" --twin "${models[@]}" --speed 10 --end 300 -o "$OUT/replay/$name.result.json"
$GN report "$OUT/replay/$name.result.json" -o "$OUT/replay/$name.png"
daily=$(find "$OUT/activity/cohort/test" -name '*daily-living_shank*.gns' | sort | head -n 1)
[[ -n $daily ]] || { echo "demo: no held-out daily-living session in $OUT/activity/cohort/test" >&2; exit 1; }
dname=$(basename "${daily%.gns}")
echo "   $daily (daily living: sitting, standing, laying, walking, stairs), first 10 minutes at max speed"
$GN replay "$daily" --twin "${models[@]}" --end 600 --no-live -o "$OUT/replay/$dname.result.json"
$GN report "$OUT/replay/$dname.result.json" -o "$OUT/replay/$dname.png"
echo
echo "demo: done (all data above is synthetic, from the gaitnode simulator, except step 6's real exercise tests)"
