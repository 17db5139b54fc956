#!/usr/bin/env bash
# HTCondor wrapper for sharded production (see htcondor.sub):
#     htcondor_shard.sh shard I N OUTDIR -- JETGEN-SAMPLE-OPTIONS…   write shard I of N
#     htcondor_shard.sh merge OUTDIR OUT                             join them into OUT
# JETGEN overrides the command (default: jetgen).
set -euo pipefail
read -r -a jetgen <<< "${JETGEN:-jetgen}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${_CONDOR_NPROCS:-1}}

case "${1:-}" in
  shard)
    i=$2 n=$3 outdir=$4
    shift 4
    [[ "${1:-}" == -- ]] && shift
    mkdir -p "$outdir"
    # --overwrite: a job HTCondor reruns rewrites its own shard from scratch.
    exec "${jetgen[@]}" sample "$@" --shard "$i/$n" -o "$outdir/shard_$i.root" --overwrite ;;
  merge)
    exec "${jetgen[@]}" merge "$2"/shard_*.root -o "$3" ;;
  *)
    echo "usage: $0 shard I N OUTDIR -- SAMPLE-OPTIONS… | merge OUTDIR OUT" >&2
    exit 2 ;;
esac
