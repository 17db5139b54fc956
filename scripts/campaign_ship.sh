#!/bin/bash
# End of #23: ship the campaign's teacher (as pythia30-teacher v2; v1 moves to
# pythia30-teacher-v1, loadable by that name or its sha256) and its one-step DMD2 student,
# each with its separately trained jet-level model grafted on (jetgen.jetlevel.graft_jet_level),
# then card both on the campaign's own test sample (seed 3, never trained or validated on).
#   TEACHER=checkpoints/teacher30-v2-final \
#   TEACHER_JET=checkpoints/jet-level/teacher30-v2-jet5.safetensors \
#   STUDENT=checkpoints/phase2/dmd2-s6-best.safetensors \
#   STUDENT_JET=checkpoints/jet-level/student-jet1.safetensors \
#   STUDENT_NAME=pythia30-dmd1 scripts/campaign_ship.sh
# (the call that shipped them, session 6). Re-running ships the same tensors again (the
# metadata's commit stamp changes; safe after an interruption); CARD=0 ships only.
# STAGE=teacher ships and cards the teacher alone (it can be carded while the student is
# still training); STAGE=student then the student; the default does both.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${STAGE:-all}
STUDENT_NAME=${STUDENT_NAME:-pythia30-dmd1}
ema() { if [ -d "$1" ]; then echo "$1/ema.safetensors"; else echo "$1"; fi; }
graft() { python -c "import sys; from jetgen.jetlevel import graft_jet_level as g; g(*sys.argv[1:])" "$@"; }
mkdir -p data/ship
CARDED=()
if [ "$STAGE" != student ]; then
  : "${TEACHER:?}" "${TEACHER_JET:?}"
  graft "$(ema "$TEACHER_JET")" "$(ema "$TEACHER")" data/ship/pythia30-teacher.safetensors
  if ! python -c "import json,sys; sys.exit('pythia30-teacher-v1' not in [m['name'] for m in json.load(open('weights/models.json'))['models']])"; then
    (cd scripts && python -c "from ship_model import rename_model; rename_model('pythia30-teacher', 'pythia30-teacher-v1', 'Superseded by pythia30-teacher v2 (issue #23): this is v1, loadable by this name or by its sha256.')")
  fi
  COMMIT=$(git rev-parse --short HEAD)
  python scripts/ship.py data/ship/pythia30-teacher.safetensors pythia30-teacher \
    --summary "The conditional 30-particle EDM teacher, v2 (issue #23): transformer dim 128, depth 6, trained across sessions on fresh Pythia jets of all five classes; samples in 32 DPM-Solver++(2M) steps." \
    --training "campaign=issue #23, sessions 1-5 on 2 CPU cores: configs/teacher30-v2.toml (constant rate 5e-4 after warm-up, EMA 0.999, batch 250, class-balanced) to the branch step, then configs/teacher30-v2-final.toml (cosine to zero); validation curve in benchmarks/results/teacher30-v2_validation.csv and teacher30-v2-final_validation.csv" \
    --training "data=fresh jets every session (scripts/campaign_data.sh: seed 1000+session, 16-20k per class each); validation data/campaign/val (seed 2); test data/campaign/test (seed 3)" \
    --training "jet-level model=trained on its own (configs/teacher30-v2-jet.toml) and grafted on; shipped at commit $COMMIT"
  CARDED+=(pythia30-teacher)
fi
if [ "$STAGE" != teacher ]; then
  : "${STUDENT:?}" "${STUDENT_JET:?}"
  graft "$(ema "$STUDENT_JET")" "$(ema "$STUDENT")" "data/ship/$STUDENT_NAME.safetensors"
  COMMIT=$(git rev-parse --short HEAD)
  python scripts/ship.py "data/ship/$STUDENT_NAME.safetensors" "$STUDENT_NAME" --default \
    --summary "The one-step default (issue #23): the EPiC one-step pythia30-adv1 fine-tuned by distribution matching (DMD2: a learned fake score and a critic, no anchor) against pythia30-teacher v2; its own jet-level model trained separately, distilled to one step and grafted on." \
    --training "method=jetgen distill --method adversarial --dm-weight 1 --adv-weight 1 --anchor-weight 0 (commands in benchmarks/results/phase2_*.cmd; curves in phase2_*_validation.csv)" \
    --training "lineage=pythia30-adv1, then DMD2 against the teacher run at step 9,000 (session 4), at step 17,300 (session 5), then against the final teacher (sessions 5-6); each stage early-stopped on the validation physics score (W1 of mass, τ21, τ32, D2, FPND_ref over their floors, 1,000 jets per class), the last at step 750: 1.80" \
    --training "jet-level model=jetgen train --part jet (checkpoints/jet-level/student-jet5.cmd, dpmpp_2m × 16), then jetgen distill --part jet --factor 16 (checkpoints/jet-level/student-jet1.cmd: four progressive rounds to one Euler step; validation score 1.80 with either)" \
    --training "commit=$COMMIT (shipped)"
  CARDED+=("$STUDENT_NAME")
fi
if [ "${CARD:-1}" = 1 ]; then
  TEST_N=${TEST_N:-20000} TRAIN_N=0 SESSION=${SESSION:-6} scripts/campaign_data.sh
  python scripts/cards.py "${CARDED[@]}" --data-dir data/campaign/test --split all
fi
