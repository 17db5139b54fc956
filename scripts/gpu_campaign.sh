#!/bin/bash
# One prepared device call for the #23 campaign: resume the committed run(s) on a GPU for a
# fixed time with a GPU-sized batch, and bring the checkpoints back through $OUT.
#
#   here:    SESSION=K bash scripts/gpu_campaign.sh prepare  (data/gpu/ + .whl/, git-ignored)
#   device:  run tool, carry ["data/gpu", ".whl"], timeout_s 600:
#            bash scripts/gpu_campaign.sh run
#   back:    python scripts/compact_state.py <files_at>/NAME/state.safetensors \
#              checkpoints/NAME/state.safetensors; cp <files_at>/NAME/ema.safetensors
#              checkpoints/NAME/; resume on CPU as usual (scripts/campaign_train.sh)
#   CPU check of the whole path:
#            OUT=/tmp/gpu TRAIN_SECONDS=40 DEVICE=cpu BATCH=50 bash scripts/gpu_campaign.sh run
#
# Data: the device has no data/ and no Pythia (its wheel alone is 30 MB of the 64 MiB a
# call may carry), so `prepare` copies the first N_JETS jets per class of this session's
# training files (data/campaign/train-KKK, seed 1000+K) and the first VAL_N of the
# validation files into data/gpu/{train,val}, and checks that the tree plus what is
# carried stays under 64 MiB.
# Packages: the device image has torch, numpy, scipy, h5py, typer, rich, safetensors, but
# not uproot/awkward (jetgen's readers import them): `prepare` downloads cp312 wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-teacher30-v2}
case "${1:-run}" in
prepare)
  SESSION=${SESSION:?set SESSION, the campaign session number}
  N_JETS=${N_JETS:-12000}
  VAL_N=${VAL_N:-1000}
  mkdir -p data/gpu/train data/gpu/val
  python - "$N_JETS" "$VAL_N" "data/campaign/train-$(printf %03d "$SESSION")" <<'PY'
import sys
from jetgen.io import read_jets
from jetgen.io.hdf5 import HDF5Writer
n, n_val, train = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for src, dst, k in ((train, "data/gpu/train", n), ("data/campaign/val", "data/gpu/val", n_val)):
    for c in "tgqwz":
        jets = read_jets(f"{src}/{c}30.h5")
        with HDF5Writer(f"{dst}/{c}30.h5", 30, {"kind": "training data",
                        "note": f"first {k} jets of {src}/{c}30.h5"}, overwrite=True) as w:
            w.write(jets[:k])
PY
  mkdir -p .git/info; grep -qx "/.whl/" .git/info/exclude || echo "/.whl/" >> .git/info/exclude
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    uproot awkward awkward-cpp cramjam platformdirs
  TOTAL=$(( $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) + $(du -cb data/gpu .whl | tail -1 | cut -f1) ))
  echo "tree + carry: $((TOTAL / 1048576)) MiB of 64"
  [ "$TOTAL" -lt $((64 * 1048576)) ] || { echo "over 64 MiB: lower N_JETS" >&2; exit 1; }
  ;;
run)
  OUT=${OUT:?set OUT (the run tool sets it)}
  TRAIN_SECONDS=${TRAIN_SECONDS:-480}   # per run: one run in ~9 min with start-up
  DEVICE=${DEVICE:-cuda}
  BATCH=${BATCH:-2000}
  if ! python3 -c "import uproot, awkward" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
  fi
  export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
  DATA=(--data data/gpu/train/t30.h5 --data data/gpu/train/g30.h5 --data data/gpu/train/q30.h5
        --data data/gpu/train/w30.h5 --data data/gpu/train/z30.h5)
  mkdir -p runs/gpu "$OUT"
  for NAME in $RUNS; do
    RUN=runs/gpu/$NAME
    mkdir -p "$RUN"
    CONFIG=configs/$NAME.toml; [ -f "$CONFIG" ] || CONFIG=configs/bakeoff/$NAME.toml
    SAVED=checkpoints/$NAME; [ -d "$SAVED" ] || SAVED=checkpoints/bakeoff/$NAME
    if [ -d "$SAVED" ]; then cp "$SAVED"/* "$RUN/"; fi
    # The same design with a GPU-sized batch, the learning rate scaled by sqrt(batch/250);
    # no physics validation there (it is done back here, on the real validation split).
    LR=$(python3 -c "print(5e-4 * ($BATCH / 250) ** 0.5)")
    sed -e "s/^batch_size = .*/batch_size = $BATCH/" -e "s/^lr = .*/lr = $LR/" \
        -e "s/^physics_every = .*/physics_every = 0/" \
        -e "s/^total_steps = .*/total_steps = 10000000/" \
        -e "s/^checkpoint_every = .*/checkpoint_every = 200/" -e "s|data/campaign/val/|data/gpu/val/|g" \
        "$CONFIG" > "$RUN/device.toml"
    timeout -s INT "$TRAIN_SECONDS" python3 -m jetgen train --config "$RUN/device.toml" \
      "${DATA[@]}" -o "$RUN" --resume --device "$DEVICE" > "$RUN/device.log" 2>&1 || true
    tail -n 2 "$RUN/device.log"
    mkdir -p "$OUT/$NAME"
    cp "$RUN"/{ema.safetensors,state.safetensors,metrics.jsonl,device.toml,device.log} "$OUT/$NAME/"
  done
  ;;
*) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
