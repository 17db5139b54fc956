#!/usr/bin/env bash
# Sharded production on Slurm: a job array whose task i writes shard i of N, then one job,
# started only once every task has succeeded, merges the shards into a single file that is
# bit-identical to what one `jetgen sample` of the whole run would have written.
#
# Submit from a login node (it submits itself twice: the array, then the merge):
#     N_SHARDS=8 JETS=top N_PER_CLASS=1000000 OUT=top.root bash examples/slurm_array.sh
#
# Settings (environment): JETS (classes, as --jet), N_PER_CLASS, N_SHARDS, SEED, MODEL
# (name or .safetensors; default: the shipped model), OUT, SHARD_DIR, SAMPLE_ARGS (more
# `jetgen sample` options, e.g. "--sampler euler --steps 16"), JETGEN (the command).
# A failed or preempted task can simply be rerun: it rewrites its own shard from scratch
# (a killed task never leaves a partial file), and `jetgen merge` refuses a set with a
# shard missing, twice, or from another run.
#
#SBATCH --job-name=jetgen
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=logs/%x-%A_%a.out
# On GPU nodes add:  #SBATCH --gres=gpu:1   (jetgen picks the GPU with --device auto)
set -euo pipefail

JETS=${JETS:-top}
N_PER_CLASS=${N_PER_CLASS:-100000}
N_SHARDS=${N_SHARDS:-8}
SEED=${SEED:-0}
OUT=${OUT:-jets.root}
SHARD_DIR=${SHARD_DIR:-shards}
read -r -a jetgen <<< "${JETGEN:-jetgen}"
read -r -a extra <<< "${SAMPLE_ARGS:-}"
model=()
if [[ -n "${MODEL:-}" ]]; then model=(--model "$MODEL"); fi

if [[ -z "${SLURM_JOB_ID:-}" ]]; then
  mkdir -p logs "$SHARD_DIR"
  array=$(sbatch --parsable --array="0-$((N_SHARDS - 1))" --export=ALL "$0")
  merge=$(sbatch --parsable --dependency="afterok:$array" --job-name=jetgen-merge \
    --array=0 --export=ALL,JETGEN_STAGE=merge "$0")
  echo "submitted job array $array ($N_SHARDS shards) and merge job $merge"
  exit 0
fi

if [[ "${JETGEN_STAGE:-}" == merge ]]; then
  # The glob also catches a shard's rollover files (shard_3_1.root …); merge sorts it out.
  exec "${jetgen[@]}" merge "$SHARD_DIR"/shard_*.root -o "$OUT"
fi

export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
mkdir -p "$SHARD_DIR"
i=${SLURM_ARRAY_TASK_ID:?run as a job array task (or without SLURM_JOB_ID to submit)}
exec "${jetgen[@]}" sample --jet "$JETS" --n "$N_PER_CLASS" --seed "$SEED" "${model[@]}" \
  "${extra[@]}" --shard "$i/$N_SHARDS" -o "$SHARD_DIR/shard_$i.root" --overwrite
