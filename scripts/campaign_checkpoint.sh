#!/bin/bash
# End of a session in #23's campaign: stop the bake-off runs cleanly (SIGTERM: each saves
# its checkpoint and exits), then copy what the next session resumes from into
# checkpoints/bakeoff/NAME/ (committed): EMA weights, a compact resume state (online and EMA
# weights; the AdamW moments dropped to halve it, so the resumed run warms its rate up
# again: scripts/compact_state.py), the loss log and the physics validation history.
set -euo pipefail
cd "$(dirname "$0")/.."
for NAME in ${DESIGNS:-t96x4 t128x6 epic128}; do
  RUN=runs/bakeoff/$NAME
  [ -d "$RUN" ] || continue
  pkill -TERM -f "jetgen train --config configs/bakeoff/$NAME.toml" || true
done
for NAME in ${DESIGNS:-t96x4 t128x6 epic128}; do
  while pgrep -f "jetgen train --config configs/bakeoff/$NAME.toml" > /dev/null; do sleep 2; done
  RUN=runs/bakeoff/$NAME
  [ -f "$RUN/state.safetensors" ] || continue
  mkdir -p "checkpoints/bakeoff/$NAME"
  cp "$RUN"/{ema.safetensors,metrics.jsonl} "checkpoints/bakeoff/$NAME/"
  python scripts/compact_state.py "$RUN/state.safetensors" "checkpoints/bakeoff/$NAME/state.safetensors"
  for f in validation.json validation.csv validation.png; do
    [ -f "$RUN/$f" ] && cp "$RUN/$f" "checkpoints/bakeoff/$NAME/"
  done
  echo "$NAME: step $(python -c "import json; print(json.loads(open('$RUN/metrics.jsonl').readlines()[-1])['step'])")"
done
