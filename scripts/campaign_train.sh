#!/bin/bash
# #23 campaign: start or resume its training runs, one thread each (on a shared 2-core
# machine one OpenMP thread per process beats two), logs in runs/NAME.log.
#   SESSION=K scripts/campaign_train.sh                 # the teacher, teacher30-v2
#   SESSION=K RUNS="t96x4 epic128" scripts/campaign_train.sh   # bake-off designs
# A run NAME takes configs/NAME.toml (else configs/bakeoff/NAME.toml) and, when runs/NAME
# has no state yet, starts from the committed checkpoints/NAME (else checkpoints/bakeoff/
# NAME). Training jets: this session's fresh files (seed 1000+SESSION); validation: the
# fixed data/campaign/val files the configs name (scripts/campaign_data.sh makes both).
set -euo pipefail
cd "$(dirname "$0")/.."
SESSION=${SESSION:?set SESSION, the campaign session number}
TRAIN=data/campaign/train-$(printf %03d "$SESSION")
# Every session's training jets still on this machine are used (all independent seeds);
# this session's own are required.
DATA=()
for X in t g q w z; do
  for f in "$TRAIN/${X}30.h5" "data/campaign/val/${X}30.h5"; do
    [ -f "$f" ] || { echo "missing $f: run SESSION=$SESSION scripts/campaign_data.sh" >&2; exit 1; }
  done
  for f in data/campaign/train-*/"${X}30.h5"; do DATA+=(--data "$f"); done
done
mkdir -p runs
for NAME in ${RUNS:-teacher30-v2}; do
  CONFIG=configs/$NAME.toml; [ -f "$CONFIG" ] || CONFIG=configs/bakeoff/$NAME.toml
  SAVED=checkpoints/$NAME; [ -d "$SAVED" ] || SAVED=checkpoints/bakeoff/$NAME
  RUN=runs/$NAME
  if [ ! -f "$RUN/state.safetensors" ] && [ -f "$SAVED/state.safetensors" ]; then
    mkdir -p "$RUN" && cp -n "$SAVED"/* "$RUN/"
  fi
  # JETGEN_SRC=/path/to/checkout/src runs a frozen copy of the code (e.g. a git worktree),
  # so that edits to this tree during the session cannot reach a restarted run.
  OMP_NUM_THREADS=1 PYTHONPATH=${JETGEN_SRC:-} nohup python -m jetgen train --config "$CONFIG" "${DATA[@]}" -o "$RUN" --resume \
    > "runs/$NAME.log" 2>&1 &
  echo "$NAME: pid $!, config $CONFIG, log runs/$NAME.log"
done
