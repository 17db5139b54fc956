"""Model cards are written from the model's metadata and a real evaluation."""

import numpy as np

from jetgen.evaluation import evaluate
from jetgen.modelcard import build_card
from jetgen.models.checkpoint import read_model
from jetgen.sampling.batch import generate_batch
from jetgen.train import EMA_FILE, train_from_files


def test_card_carries_config_recipe_and_the_metric_table(tiny_run, pythia_file, tmp_path):
    train_from_files([pythia_file], tmp_path, tiny_run(3))
    weights = tmp_path / EMA_FILE
    model, _ = read_model(weights)
    jets = generate_batch(model, np.full(40, 2, np.int32), np.arange(40, dtype=np.uint64),
                          sampler="euler", steps=2)
    result = evaluate(jets, pythia_file, n_jets=40, classes=["t"], fpnd_jets=0, cache=False,
                      reference_split="all")
    card = build_card(weights, "tiny", role="teacher", summary="A test model.",
                      evaluation=result, training={"wall time": "1 s"})
    assert card.startswith("# tiny")
    assert "Top:gg2ttbar = on" in card and "transformer (dim 32, depth 2)" in card
    assert "| W1M | ×0.0001 |" in card and "**t** (40 generated" in card
    ratio = result["classes"]["t"]["metrics"]["w1m"]["ratio"]
    assert f"| {ratio:.2f} |" in card


def test_card_names_the_campaigns_files_their_seeds_split_and_schedule(random_jets, tmp_path):
    from jetgen.io.hdf5 import HDF5Writer
    from jetgen.modelcard import data_lines, schedule_text

    def data_file(name: str, seed: int):
        path = tmp_path / name
        with HDF5Writer(path, 30, {"kind": "training data", "seed": seed}) as writer:
            writer.write(random_jets(10))
        return str(path)

    train = [data_file("train-t30.h5", 1005), data_file("train-g30.h5", 1005)]
    val = [data_file("val-t30.h5", 2)]
    lines = data_lines({"training_data": train + train[:1], "validation_data": val})
    assert lines[0].count("train-t30.h5") == 1 and "seed 1005); used whole" in lines[0]
    assert lines[1] == f"- validation: {val[0]} (seed 2), used whole"
    gone = data_lines({"training_data": [str(tmp_path / "gone.h5")]})
    assert gone[0].endswith("seed not at hand); 70 / 15 / 15 % train / validation / test "
                            "split within each class, in file order")
    assert schedule_text({"lr_schedule": "anneal", "warmup_steps": 300, "anneal_from": 19077,
                          "total_steps": 21577}) == (
        "warm-up 300, constant to step 19077, then cosine to zero at step 21577")
    assert schedule_text({"warmup_steps": 10, "total_steps": 90}) == (
        "warm-up 10, cosine to step 90")
