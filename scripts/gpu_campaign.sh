#!/bin/bash
# One prepared device call for the #23 campaign: resume the committed run(s) on a GPU for a
# fixed time with a GPU-sized batch, and bring the checkpoints back through $OUT.
#
#   here:    bash scripts/gpu_campaign.sh prepare     (data/gpu/ + .whl/, both git-ignored)
#   device:  run tool, carry ["data/gpu", ".whl"], timeout_s 600:
#            bash scripts/gpu_campaign.sh run
#   back:    cp -r <files_at>/NAME/* checkpoints/bakeoff/NAME/ ; resume on CPU as usual
#   CPU check of the whole path:
#            OUT=/tmp/gpu TRAIN_SECONDS=40 DEVICE=cpu BATCH=50 bash scripts/gpu_campaign.sh run
#
# Data: the device has no data/ and no Pythia, so `prepare` copies the first N_JETS jets of
# each class file. Generation is prefix-stable (scripts/campaign_data.sh), and every jet of
# such a prefix lies in the first 70 % of the 150,000-jet file, i.e. in our training split:
# nothing of our validation or test split is trained on there.
# Packages: the device image has torch, numpy, scipy, h5py, typer, rich, safetensors, but
# not uproot/awkward (jetgen's readers import them): `prepare` downloads cp312 wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
DESIGNS=${DESIGNS:-t96x4 t128x6 epic128}
case "${1:-run}" in
prepare)
  N_JETS=${N_JETS:-20000}
  mkdir -p data/gpu
  python - "$N_JETS" <<'PY'
import sys
from jetgen.io import read_jets
from jetgen.io.hdf5 import HDF5Writer
n = int(sys.argv[1])
for c in "tgqwz":
    jets = read_jets(f"data/{c}30.h5")
    with HDF5Writer(f"data/gpu/{c}30.h5", 30, {"kind": "training data",
                    "note": f"first {n} jets of data/{c}30.h5 (inside its training split)"},
                    overwrite=True) as w:
        w.write(jets[:n])
PY
  mkdir -p .git/info; grep -qx "/.whl/" .git/info/exclude 2>/dev/null || echo "/.whl/" >> .git/info/exclude
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    uproot awkward awkward-cpp cramjam platformdirs
  du -sh data/gpu .whl
  ;;
run)
  OUT=${OUT:?set OUT (the run tool sets it)}
  TRAIN_SECONDS=${TRAIN_SECONDS:-170}   # per design; three designs in ~9 min
  DEVICE=${DEVICE:-cuda}
  BATCH=${BATCH:-2000}
  if ! python3 -c "import uproot, awkward" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
  fi
  export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
  DATA=(--data data/gpu/t30.h5 --data data/gpu/g30.h5 --data data/gpu/q30.h5
        --data data/gpu/w30.h5 --data data/gpu/z30.h5)
  mkdir -p runs/gpu "$OUT"
  for NAME in $DESIGNS; do
    RUN=runs/gpu/$NAME
    mkdir -p "$RUN"
    if [ -d "checkpoints/bakeoff/$NAME" ]; then cp checkpoints/bakeoff/$NAME/* "$RUN/"; fi
    # The same design with a GPU-sized batch, the learning rate scaled by sqrt(batch/250);
    # no physics validation there (it is done back here, on the real validation split).
    LR=$(python3 -c "print(5e-4 * ($BATCH / 250) ** 0.5)")
    sed -e "s/^batch_size = .*/batch_size = $BATCH/" -e "s/^lr = .*/lr = $LR/" \
        -e "s/^physics_every = .*/physics_every = 0/" \
        -e "s/^total_steps = .*/total_steps = 10000000/" \
        -e "s/^checkpoint_every = .*/checkpoint_every = 200/" \
        "configs/bakeoff/$NAME.toml" > "$RUN/device.toml"
    timeout -s INT "$TRAIN_SECONDS" python3 -m jetgen train --config "$RUN/device.toml" \
      "${DATA[@]}" -o "$RUN" --resume --device "$DEVICE" > "$RUN/device.log" 2>&1 || true
    tail -n 2 "$RUN/device.log"
    mkdir -p "$OUT/$NAME"
    cp "$RUN"/{ema.safetensors,state.safetensors,metrics.jsonl,device.toml,device.log} "$OUT/$NAME/"
  done
  ;;
*) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
