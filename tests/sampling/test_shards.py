"""Sharded production, `jetgen merge`, and ROOT outputs that roll over into numbered files."""

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.io import count_jets, open_writer, read_jets, read_provenance
from jetgen.io.root import part_files
from jetgen.sampling.merge import merge_shards
from jetgen.sampling.plan import COMPUTE_BLOCK
from jetgen.sampling.run import sample_to_file
from jetgen.sampling.shards import Shard, shard_range


def assert_same_jets(a, b):
    assert len(a) == len(b)
    assert np.array_equal(a.particles, b.particles) and np.array_equal(a.mask, b.mask)
    assert np.array_equal(a.jet, b.jet) and np.array_equal(a.jet_type, b.jet_type)
    assert sorted(a.extra) == sorted(b.extra)
    for key in a.extra:
        assert np.array_equal(a.extra[key], b.extra[key]), key


def test_shard_ranges_tile_the_run_on_block_boundaries():
    for total in (1, 255, 256, 600, 10_000):
        for count in (1, 2, 3, 7, 50):
            ranges = [shard_range(total, Shard(i, count), COMPUTE_BLOCK) for i in range(count)]
            assert ranges[0][0] == 0 and ranges[-1][1] == total
            assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
            assert all(lo % COMPUTE_BLOCK == 0 or lo == total for lo, _ in ranges)


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_three_shards_merge_to_exactly_the_one_run_output(tiny_model, tmp_path, suffix, capsys):
    common = ["--model", str(tiny_model), "--jet", "t,g", "--n", "300", "--seed", "7",
              "--steps", "2"]
    assert main(["sample", *common, "-o", str(tmp_path / f"one{suffix}")]) == 0
    for i in (2, 0, 1):  # any order, any batch size
        assert main(["sample", *common, "--shard", f"{i}/3", "--batch-size", str(100 + i),
                     "-o", str(tmp_path / f"s{i}{suffix}")]) == 0
    record = read_provenance(tmp_path / f"s1{suffix}")["shard"]
    assert record == {"index": 1, "count": 3, "total_jets": 600, "start": 256, "stop": 512,
                      "first_jet": 256, "last_jet": 511}
    prov = read_provenance(tmp_path / f"s1{suffix}")
    assert prov["seed"] == 7 and prov["steps"] == 2 and len(prov["model_sha256"]) == 64
    shards = [str(tmp_path / f"s{i}{suffix}") for i in (1, 2, 0)]
    capsys.readouterr()
    assert main(["merge", *shards, "-o", str(tmp_path / f"all{suffix}")]) == 0
    assert "merged 3 shards, 600 jets" in capsys.readouterr().out
    assert_same_jets(read_jets(tmp_path / f"all{suffix}"), read_jets(tmp_path / f"one{suffix}"))
    merged = read_provenance(tmp_path / f"all{suffix}")
    assert "shard" not in merged and [s["shard"] for s in merged["merged"]["shards"]] == [
        "0/3", "1/3", "2/3"]


def test_more_shards_than_blocks_leaves_some_empty(tiny_model, tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"s{i}.h5")
        sample_to_file(paths[-1], model=str(tiny_model), classes=[2], n=20, steps=2,
                       shard=Shard(i, 3))
    assert [count_jets(p) for p in paths] == [0, 0, 20]
    merge_shards(paths, tmp_path / "all.h5")
    one = tmp_path / "one.h5"
    sample_to_file(one, model=str(tiny_model), classes=[2], n=20, steps=2)
    assert_same_jets(read_jets(tmp_path / "all.h5"), read_jets(one))


@pytest.mark.parametrize("field", ["precision", "device_kind"])
def test_merge_refuses_shards_that_differ_in_what_changes_the_bits(tiny_model, tmp_path,
                                                                     field, capsys):
    common = ["sample", "--model", str(tiny_model), "--jet", "t", "--n", "600", "--steps", "2"]
    shards = [tmp_path / f"s{i}.h5" for i in range(2)]
    for i, path in enumerate(shards):
        precision = "bf16" if field == "precision" and i == 1 else "fp32"
        assert main([*common, "--shard", f"{i}/2", "--precision", precision,
                     "-o", str(path)]) == 0
    if field == "device_kind":
        # What the same command writes on a GPU node of the farm.
        with h5py.File(shards[1], "r+") as f:
            record = json.loads(f["provenance"][()])
            record["device_kind"] = "cuda (NVIDIA H200)"
            del f["provenance"]
            f.create_dataset("provenance", data=json.dumps(record))
    capsys.readouterr()
    assert main(["merge", *map(str, shards), "-o", str(tmp_path / "all.h5")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"differ in {field}" in err
    expected = {"precision": "('fp32' vs 'bf16')",
                "device_kind": "vs 'cuda (NVIDIA H200)')"}[field]
    assert expected in err and not (tmp_path / "all.h5").exists()


def test_root_output_rolls_over_into_numbered_files(random_jets, tmp_path, capsys):
    jets = random_jets(1000)
    out = tmp_path / "out.root"
    with open_writer(out, 30, {"kind": "test"}, max_bytes=150_000) as writer:
        for start in range(0, 1000, 50):
            writer.write(jets[start:start + 50])
    files = part_files(out)
    assert len(files) >= 3
    assert [f.name for f in files] == ["out.root"] + [f"out_{k}.root" for k in range(1, len(files))]
    assert all(f.stat().st_size <= 150_000 for f in files)
    assert "continuing in out_1.root" in capsys.readouterr().err
    assert_same_jets(read_jets(out), jets)
    assert count_jets(out) == 1000
    assert_same_jets(read_jets(out, 100, 450), jets[100:450])
    later = read_jets(files[1])  # a later part read on its own: just its jets
    assert 0 < len(later) < 1000
    # Overwriting with a smaller output removes the old set's extra parts.
    with open_writer(out, 30, {}, overwrite=True) as writer:
        writer.write(jets[:10])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"]
    assert len(read_jets(out)) == 10


def test_rolled_over_shards_merge_whichever_files_are_named(tiny_model, tmp_path):
    args = {"model": str(tiny_model), "classes": [0, 2], "n": 300, "steps": 2, "seed": 3}
    one = tmp_path / "one.root"
    sample_to_file(one, **args)
    for i in range(2):
        sample_to_file(tmp_path / f"s{i}.root", shard=Shard(i, 2), max_bytes=90_000, **args)
    named = sorted(tmp_path.glob("s*.root"))
    assert len(named) > 2  # the shards rolled over
    merged = tmp_path / "all.root"
    merge_shards(named, merged)
    assert_same_jets(read_jets(merged), read_jets(one))


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("scheduler", ["slurm", "htcondor"])
def test_batch_examples_shard_and_merge(tiny_model, tmp_path, scheduler):
    """The example job scripts, run as their array tasks and merge step would be."""
    jetgen = f"{sys.executable} -m jetgen"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "JETGEN": jetgen}
    out, shards = tmp_path / "merged.root", tmp_path / "shards"
    options = ["--jet", "t", "--n", "300", "--seed", "4", "--model", str(tiny_model),
               "--steps", "1"]
    if scheduler == "slurm":
        env.update(SLURM_JOB_ID="1", N_SHARDS="2", JETS="t", N_PER_CLASS="300", SEED="4",
                   MODEL=str(tiny_model), SAMPLE_ARGS="--steps 1", OUT=str(out),
                   SHARD_DIR=str(shards))
        steps = [{"SLURM_ARRAY_TASK_ID": str(i)} for i in range(2)] + [{"JETGEN_STAGE": "merge"}]
        commands = [["bash", str(EXAMPLES / "slurm_array.sh")]] * 3
    else:
        wrapper = str(EXAMPLES / "htcondor_shard.sh")
        steps = [{}] * 3
        commands = [[wrapper, "shard", str(i), "2", str(shards), "--", *options]
                    for i in range(2)] + [[wrapper, "merge", str(shards), str(out)]]
    for command, extra in zip(commands, steps, strict=True):
        done = subprocess.run(command, env={**env, **extra}, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
    one = tmp_path / "one.root"
    sample_to_file(one, model=str(tiny_model), classes=[2], n=300, seed=4, steps=1)
    assert_same_jets(read_jets(out), read_jets(one))
