#!/usr/bin/env bash
# The CPU configuration end to end, one job at a time, every step resumable: run it again after a stop.
#   setsid nohup models/training/train_cpu.sh > runs/train_cpu.log 2>&1 < /dev/null &
# Knobs (environment): SEG_STEPS, INPAINT_STEPS, INPAINT_LOW_RES_STEPS, DATA (the shared data folder).
# Every shipped model (these two with the settings they shipped with, the identity bank, the judges), exported
# and evaluated: `make models` (models/training/recipe).
set -euo pipefail
cd "$(dirname "$0")/../.."
py=".venv/bin/python"
data="${DATA:-../shared/data}"
# Under a shared, busy CPU, spinning OpenMP threads waste the slice a niced job gets (measured: 2x slower).
export OMP_WAIT_POLICY=PASSIVE
mkdir -p runs/segmenter runs/inpainter
[ -f data/faces256.npz ] || nice -n 19 "$py" -m models.training.prepare_faces --data "$data"
nice -n 19 "$py" -m models.training.train_segmenter --data "$data" --steps "${SEG_STEPS:-2000}" --lr 1e-3 \
    --val-every 200 --val-count 96 >> runs/segmenter/log.txt 2>&1
nice -n 19 "$py" -m models.training.train_inpaint --data "$data" --steps "${INPAINT_STEPS:-3000}" \
    --low-res-steps "${INPAINT_LOW_RES_STEPS:-1500}" --val-every 250 --val-count 64 >> runs/inpainter/log.txt 2>&1
