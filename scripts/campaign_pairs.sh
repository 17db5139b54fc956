#!/bin/bash
# #23 Phase 2: the teacher's own jets for fixed seeds (regression targets and the
# adversarial stage's anchor; distill/pairs.py), one file per class, one thread each in
# turn (niced: the teacher's training keeps its core).
#   MODEL=path/to/teacher.safetensors TAG=t9k N=4000 SESSION=4 scripts/campaign_pairs.sh
# Conditions: the kinematics of this session's training jets (data/campaign/train-KKK), so
# pairs never borrow validation or test jets. Seeds 100+k per class k: distinct noises
# across files (read_pairs refuses repeated seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:?set MODEL, the teacher weights}
TAG=${TAG:?set TAG, the name of this set of pairs}
SESSION=${SESSION:?set SESSION, the campaign session whose training jets give the conditions}
N=${N:-4000}
TRAIN=data/campaign/train-$(printf %03d "$SESSION")
mkdir -p data/pairs
k=0
for X in g q t w z; do
  out=data/pairs/$TAG-$X.h5
  if [ ! -f "$out" ]; then
    OMP_NUM_THREADS=1 nice -n 5 jetgen sample --model "$MODEL" --conditions "$TRAIN/${X}30.h5" \
      --n "$N" --seed $((100 + k)) --threads 1 -o "$out"
  fi
  k=$((k + 1))
done
