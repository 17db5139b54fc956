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
