#!/bin/bash
# The 30-particle training data of the teacher campaign (#23): 150,000 jets per class,
# seed 1, JetNet recipe (Pythia 8 + FastJet). Generation is prefix-stable (1,000-jet
# blocks with their own Pythia seeds), so the 70/15/15 split of each file is fixed.
# About 90 jets/s per core: ~70 min of 2 cores for all five files. Skips files present.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
for X in t g q w z; do
  if [ ! -f "data/${X}30.h5" ]; then
    jetgen data generate --jet "$X" --n 150000 --particles 30 --seed 1 --workers "${WORKERS:-2}" \
      -o "data/${X}30.h5"
  fi
done
