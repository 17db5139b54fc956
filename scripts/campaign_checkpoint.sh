#!/bin/bash
# End of a session in #23's campaign: stop the runs cleanly (SIGTERM: each saves its
# checkpoint and exits), then copy what the next session resumes from into checkpoints/NAME
# (committed): EMA weights, a compact resume state (online and EMA weights; the AdamW
# moments dropped to halve it, so the resumed run warms its rate up again:
# scripts/compact_state.py), the loss log and the physics validation history.
#   scripts/campaign_checkpoint.sh                # end of session: stop, then save
#   KEEP_RUNNING=1 scripts/campaign_checkpoint.sh # mid-session snapshot, the run goes on
# (the run writes its state every checkpoint_every steps by write-then-rename, so a copy
# taken while it runs is a whole checkpoint: a session cut off early loses little).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-teacher30-v2}
if [ -z "${KEEP_RUNNING:-}" ]; then
  for NAME in $RUNS; do pkill -TERM -f "jetgen train .*-o runs/$NAME " || true; done
fi
for NAME in $RUNS; do
  while [ -z "${KEEP_RUNNING:-}" ] && pgrep -f "jetgen train .*-o runs/$NAME " > /dev/null; do
    sleep 2
  done
  RUN=runs/$NAME
  [ -f "$RUN/state.safetensors" ] || continue
  SAVED=checkpoints/$NAME; [ -d "$SAVED" ] || [ ! -d "checkpoints/bakeoff/$NAME" ] || SAVED=checkpoints/bakeoff/$NAME
  mkdir -p "$SAVED"
  cp "$RUN"/{ema.safetensors,metrics.jsonl} "$SAVED/"
  python scripts/compact_state.py "$RUN/state.safetensors" "$SAVED/state.safetensors"
  for f in validation.json validation.csv validation.png; do
    if [ -f "$RUN/$f" ]; then
      cp "$RUN/$f" "$SAVED/"
      cp "$RUN/$f" "benchmarks/results/${NAME}_${f}"  # the campaign's curve, in one place
    fi
  done
  echo "$NAME: step $(python -c "import json; print(json.loads(open('$RUN/metrics.jsonl').readlines()[-1])['step'])") saved in $SAVED"
done
