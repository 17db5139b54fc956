"""Each shipped card's numbers can be re-measured: re-sample every shipped model at a modest
n with the card's protocol (scripts/cards.py) and compare with the card within errors."""

import importlib.util
import json
import math
from pathlib import Path

import pytest

from jetgen.registry import weights_dir

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
N_CHECK = 2000


def cards_script():
    spec = importlib.util.spec_from_file_location("cards", ROOT / "scripts" / "cards.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shipped() -> list[dict]:
    return json.loads((weights_dir() / "models.json").read_text())["models"]


def test_every_card_states_the_scripts_protocol():
    for entry in shipped():
        card = (weights_dir() / entry["card"]).read_text()
        if "card_protocol" in entry:
            assert "`python scripts/cards.py` (protocol:" in card
            assert entry["card_protocol"]["model_sha256"] == entry["sha256"], entry["name"]


@pytest.mark.slow
@pytest.mark.parametrize("entry", shipped(), ids=lambda e: e["name"])
def test_card_metrics_are_reproduced_within_errors(entry, tmp_path):
    protocol = entry.get("card_protocol")
    if protocol is None:
        pytest.skip(f"{entry['name']}: card not yet made by scripts/cards.py")
    data = [str(DATA / name) for name in protocol["data"]]
    if not all(Path(p).exists() for p in data):
        pytest.skip("needs the training data (jetgen data generate … -o data/X30.h5)")
    cards = cards_script()
    result = cards.measure(entry["name"], {**protocol, "n": N_CHECK}, data, tmp_path)
    checked = 0
    for cls, metrics in entry["metrics"].items():
        for key, card in metrics.items():
            new = result["classes"][cls]["metrics"].get(key)
            if new is None or card.get("error") is None or not math.isfinite(card["error"]):
                continue
            # The two n differ, so a distance's small-sample bias differs too; the floors
            # at the two n measure that bias.
            allowed = (3 * math.hypot(new["error"], card["error"])
                       + abs(new["floor"] - card["floor"]))
            assert abs(new["value"] - card["value"]) <= allowed, (entry["name"], cls, key)
            checked += 1
    assert checked >= 5 * len(entry["metrics"])
