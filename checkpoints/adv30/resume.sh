#!/bin/bash
# Resume #15's adversarial run (runs/adv30) from its last committed checkpoint, step 6250.
# Sessions 1-2 ran steps 0-6250 (best validation at 4750, shipped as pythia30-adv1); the
# run had reached its patience at 6250, so this resume restarts the patience count and
# extends the cosine schedule to 12000 steps (it restarts from its value at 6250).
# Needs the five 30-particle files: `jetgen data generate --jet X --n 150000 -o data/X30.h5
# --seed 1 --workers 2` for X in t g q w z (about an hour of 2 cores each).
# Committed: EMA weights (ema.safetensors), a state with model = EMA and no optimiser
# state, the critic's weights without its optimiser, and the validation history.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p runs/adv30
cp -n checkpoints/adv30/{state,discriminator,ema}.safetensors checkpoints/adv30/validation.json runs/adv30/
jetgen distill --method adversarial --teacher pythia30-epic1 \
  --data data/t30.h5 --data data/g30.h5 --data data/q30.h5 --data data/w30.h5 --data data/z30.h5 \
  --train-steps 12000 --lr 2e-5 --batch-size 256 --precision bf16 \
  --val-every 250 --val-jets 2000 --patience 8 --disc-warmup 200 \
  --adv-weight 1.0 --anchor-weight 1.0 -o runs/adv30
