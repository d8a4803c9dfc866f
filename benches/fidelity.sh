#!/usr/bin/env bash
# The issue-14 fidelity benchmark: the demo's data, model and measures on five dataset seeds, with
# the typical and the per-clip fault descriptions (same data and model, paired), plus the premise
# table at intensity 0.5, at one level (0 dB) fitted on every clip and at one RMS log-mel cell
# change (1 dB) fitted on every clip, and the keyword-no-kinematics ablation beside random; then
# one summary table (benches/fidelity_summary.py), where the machine effect comes from
# (benches/fidelity_spread.py) and how much of each planner's ranking its choice of functions explains (benches/fidelity_predict.py).
#
#   bash benches/fidelity.sh [OUT]        (SEEDS="0 1" to run fewer;
#                                          SEVERITY_AT=recording for reference faults fitted
#                                          against the recording, `synth --severity-at`;
#                                          KEEP_AUDIO=1 to keep each seed's WAVs)
#
# About 10–12 minutes a seed on 2 cores (the demo's 100 test clips a class, world version 5). Each seed's audio
# (dataset, rendered anomalies: about 3 GB) is deleted once its reports are written, unless
# KEEP_AUDIO=1: the summary reads only JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-target/fidelity}
SEEDS=${SEEDS:-"0 1 2 3 4"}
SEVERITY_AT=${SEVERITY_AT:-machine}
KEEP_AUDIO=${KEEP_AUDIO:-0}
cargo build --release --quiet --bin faultline
F=target/release/faultline
for s in $SEEDS; do
    run=$OUT/seed_$s
    mkdir -p "$run"
    "$F" demo --out "$run/typical" --seed "$s" --plan-seed "$s" --severity-at "$SEVERITY_AT" --no-sweep --quiet > /dev/null 2> "$run.typical.log"
    "$F" evaluate --data "$run/typical/data" --model "$run/typical/report/model.safetensors" --out "$run/per-clip/report" \
        --seed "$s" --plan-seed "$s" --describe per-clip --quiet > /dev/null 2> "$run.per-clip.log"
    # The keyword planner with its kinematic frequencies off, beside random, on the same data and
    # model: what the physical fault rates do to the keyword ranking (an ablation).
    "$F" evaluate --data "$run/typical/data" --model "$run/typical/report/model.safetensors" --out "$run/ablation/report" \
        --seed "$s" --plan-seed "$s" --planner keyword-no-kinematics,random --quiet > /dev/null 2> "$run.ablation.log"
    "$F" premise --data "$run/typical/data" --model "$run/typical/report/model.safetensors" --intensity 0.5 \
        --resamples 200 --seed "$s" --json "$run/premise.json" > "$run/premise.txt"
    "$F" premise --data "$run/typical/data" --model "$run/typical/report/model.safetensors" --level-db 0 \
        --resamples 200 --seed "$s" --json "$run/premise_level.json" > "$run/premise_level.txt"
    "$F" premise --data "$run/typical/data" --model "$run/typical/report/model.safetensors" --cell-change-db 1 \
        --resamples 200 --seed "$s" --json "$run/premise_cell.json" > "$run/premise_cell.txt"
    [ "$KEEP_AUDIO" = 1 ] || find "$run" -name '*.wav' -delete
    echo "seed $s done"
done
python3 benches/fidelity_summary.py "$OUT" $SEEDS
python3 benches/fidelity_spread.py "$OUT" $SEEDS
python3 benches/fidelity_predict.py "$OUT" $SEEDS
