#!/bin/bash
# #23 phase 1 bake-off: start or resume the three teacher designs side by side, one thread
# each (on a shared 2-core machine one OpenMP thread per process is faster than two), logs
# under runs/bakeoff/. Each stops at its config's total_steps (the same for all three);
# `python scripts/bakeoff.py` then judges them on the validation split at 5,000 jets/class.
# Committed state lives in checkpoints/bakeoff/NAME/ and is copied in when runs/ is empty.
set -euo pipefail
cd "$(dirname "$0")/.."
# Training jets: this session's fresh files (seed 1000+SESSION); validation: the fixed
# data/campaign/val files named in the configs (scripts/campaign_data.sh makes both).
SESSION=${SESSION:?set SESSION, the campaign session number}
TRAIN=data/campaign/train-$(printf %03d "$SESSION")
DATA=()
for X in t g q w z; do
  for f in "$TRAIN/${X}30.h5" "data/campaign/val/${X}30.h5"; do
    [ -f "$f" ] || { echo "missing $f: run SESSION=$SESSION scripts/campaign_data.sh" >&2; exit 1; }
  done
  DATA+=(--data "$TRAIN/${X}30.h5")
done
mkdir -p runs/bakeoff
for NAME in ${DESIGNS:-t96x4 t128x6 epic128}; do
  RUN=runs/bakeoff/$NAME
  if [ ! -f "$RUN/state.safetensors" ] && [ -d "checkpoints/bakeoff/$NAME" ]; then
    mkdir -p "$RUN" && cp -n checkpoints/bakeoff/$NAME/* "$RUN/"
  fi
  OMP_NUM_THREADS=1 nohup jetgen train --config "configs/bakeoff/$NAME.toml" "${DATA[@]}" \
    -o "$RUN" --resume > "runs/bakeoff/$NAME.log" 2>&1 &
  echo "$NAME: pid $!, log runs/bakeoff/$NAME.log"
done
