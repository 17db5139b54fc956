#!/bin/bash
# Data of the teacher campaign (#23). Pythia + FastJet make ~40 jets/s per core here, so
# the 750,000 jets of five 150,000-jet files cost ~5 core-hours: more than a session can
# spare every time a new machine starts empty. Generation blocks are independently
# seeded, so independent samples come from different base seeds instead:
#   data/campaign/val/X30.h5       seed 2, fixed: validation (physics score, loss), every session
#   data/campaign/train-KKK/X30.h5 seed 1000+K: session K's fresh training jets (K = $SESSION)
#   data/campaign/test/X30.h5      seed 3: the test sample for the cards (made when carding)
# Each file is used whole (the run's config names its validation files), so no jet is in
# two roles. Prefix-stable: a larger --n later repeats these jets and adds more.
set -euo pipefail
cd "$(dirname "$0")/.."
SESSION=${SESSION:?set SESSION, the campaign session number (1, 2, ...)}
VAL_N=${VAL_N:-5000}
TRAIN_N=${TRAIN_N:-20000}
W=${WORKERS:-2}
gen() {  # dir seed n
  mkdir -p "$1"
  for X in t g q w z; do
    if [ ! -f "$1/${X}30.h5" ]; then
      jetgen data generate --jet "$X" --n "$3" --particles 30 --seed "$2" --workers "$W" -o "$1/${X}30.h5"
    fi
  done
}
gen data/campaign/val 2 "$VAL_N"
if [ "$TRAIN_N" != 0 ]; then  # TRAIN_N=0: no training jets (e.g. only the test sample)
  gen "data/campaign/train-$(printf %03d "$SESSION")" $((1000 + SESSION)) "$TRAIN_N"
fi
if [ -n "${TEST_N:-}" ]; then gen data/campaign/test 3 "$TEST_N"; fi
