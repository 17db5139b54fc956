"""`jetgen models` / `jetgen download` and model resolution, against a registry written
with ship_model (scripts/ship_model.py) and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from localserver import Server

from jetgen.cli.main import main
from jetgen.config import ModelConfig
from jetgen.distill.methods import default_teacher
from jetgen.errors import JetgenError
from jetgen.io import read_provenance
from jetgen.jets import Jets
from jetgen.models.checkpoint import save_model
from jetgen.models.jetmodel import JetModel
from jetgen.models.preprocessing import Standardiser
from jetgen.registry import download_model, list_models, resolve_model


def _maintainer_script(name: str):
    """A module of scripts/ (maintainers' tools, not part of the installed package)."""
    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ship_model = _maintainer_script("ship_model").ship_model


def tiny_model(path, seed: int):
    """A real (untrained) jetgen model small enough to sample in a blink."""
    rng = np.random.default_rng(seed)
    n, p = 64, 30
    mask = np.arange(p)[None] < rng.integers(5, p, n)[:, None]
    particles = np.stack([rng.normal(0, 0.1, (n, p)), rng.normal(0, 0.1, (n, p)),
                          rng.uniform(0.001, 0.2, (n, p))], -1) * mask[..., None]
    jet = np.stack([rng.uniform(800, 1600, n), rng.normal(0, 1, n), rng.uniform(20, 200, n),
                    mask.sum(1)], 1)
    config = ModelConfig(classes=["g", "t"], sampler="euler", steps=2)
    config.net.dim, config.net.depth, config.net.heads = 16, 1, 2
    config.jet_net.dim, config.jet_net.depth = 16, 1
    config.jet_steps = 2
    torch.manual_seed(seed)
    model = JetModel(config, Standardiser.fit(Jets(particles, mask, jet, rng.integers(0, 2, n))))
    return save_model(path, model, {"training_data": ["data/t30.h5"], "train_step": 7})


CARD = {"training_data": "JetNet recipe, Pythia 8, 2x100 jets", "trained_on": "jetgen Pythia",
        "metrics":
        {"t": {"metrics": {"w1m": {"value": 3.0, "floor": 2.0, "ratio": 1.5}}}}}


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def reg(tmp_path, monkeypatch, server):
    """A registry of one shipped model (the default) and one to download from `server`."""
    folder = tmp_path / "registry"
    folder.mkdir()
    local = ship_model(tiny_model(tmp_path / "a.safetensors", 1), "tiny-local", CARD,
                       registry_dir=folder)
    remote = tiny_model(tmp_path / "b.safetensors", 2)
    url = f"{server.url}/models/tiny-remote.safetensors"
    ship_model(remote, "tiny-remote", CARD, url=url, registry_dir=folder)
    server.files["/models/tiny-remote.safetensors"] = remote.read_bytes()
    monkeypatch.setenv("JETGEN_REGISTRY", str(folder / "models.json"))
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(tmp_path / "cache"))
    return {"folder": folder, "local": local, "remote": remote, "url": url,
            "cache": tmp_path / "cache" / "models"}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("jetgen: error:")
    return err[0]


def test_ship_model_records_the_card_and_the_models_own_config(reg):
    data = json.loads((reg["folder"] / "models.json").read_text())
    assert data["default"] == "tiny-local"
    local, remote = data["models"]
    assert local["file"] == "tiny-local.safetensors" and "url" not in local
    assert (local["sampler"], local["steps"], local["classes"], local["particles"]) == (
        "euler", 2, ["g", "t"], 30)
    assert local["size"] == reg["local"].stat().st_size and len(local["sha256"]) == 64
    assert local["training_data"] == CARD["training_data"] and local["metrics"] == CARD["metrics"]
    assert local["trained_on"] == "jetgen Pythia"  # what `jetgen models` prints
    assert local["licence"] == "MIT" and local["train_steps"] == 7 and local["role"] == "teacher"
    assert remote["url"] == reg["url"]
    assert not (reg["folder"] / "tiny-remote.safetensors").exists()  # downloadable only
    assert "training_data" in (reg["folder"] / "tiny-remote.md").read_text()


def test_models_lists_shipped_and_downloadable_and_marks_the_default(reg, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["tiny-local"]["default"] and rows["tiny-local"]["where"] == "shipped"
    assert not rows["tiny-remote"]["default"] and rows["tiny-remote"]["where"] is None
    assert main(["models"]) == 0
    table = capsys.readouterr().out
    local = next(line for line in table.splitlines() if "tiny-local" in line)
    remote = next(line for line in table.splitlines() if "tiny-remote" in line)
    assert "★ tiny-local" in local and "1.50" in local and local.rstrip().endswith("shipped")
    assert "★" not in remote and remote.rstrip().endswith("no")
    assert "jetgen download NAME" in table


def test_download_verifies_then_sample_finds_the_model_in_the_cache(reg, server, tmp_path,
                                                                    capsys):
    assert main(["sample", "--model", "tiny-remote", "--jet", "t", "--n", "2", "-o",
                 str(tmp_path / "x.h5")]) == 1
    assert "`jetgen download tiny-remote`" in one_error_line(capsys)
    assert main(["download", "tiny-remote"]) == 0
    assert "downloaded tiny-remote (sha256 checked)" in capsys.readouterr().out
    [cached] = reg["cache"].iterdir()
    assert cached.read_bytes() == reg["remote"].read_bytes()
    assert resolve_model("tiny-remote")[0] == cached
    assert {r["name"]: r["where"] for r in list_models()}["tiny-remote"] == "cache"
    assert main(["download", "tiny-remote"]) == 0
    assert "already downloaded" in capsys.readouterr().out and len(server.requests) == 1
    out = tmp_path / "jets.h5"
    assert main(["sample", "--model", "tiny-remote", "--jet", "t", "--n", "3", "-o",
                 str(out)]) == 0
    assert read_provenance(out)["model"] == "tiny-remote"


def test_default_model_samples_without_model_option(reg, tmp_path):
    out = tmp_path / "jets.h5"
    assert main(["sample", "--jet", "g", "--n", "2", "-o", str(out)]) == 0
    assert read_provenance(out)["model"] == "tiny-local"
    # distill's default teacher, with no runs/ here: the registry's (verified) teacher.
    assert default_teacher(tmp_path / "runs") == reg["folder"] / "tiny-local.safetensors"


def test_corrupted_download_is_one_line_and_leaves_nothing(reg, server, capsys):
    server.mode = "corrupt"
    assert main(["download", "tiny-remote", "--retries", "0"]) == 1
    assert "corrupted" in one_error_line(capsys)
    assert list(reg["cache"].iterdir()) == []


def test_404_is_one_line_and_not_retried(reg, server, capsys):
    server.files.clear()
    assert main(["download", "tiny-remote"]) == 1
    assert "HTTP 404" in one_error_line(capsys) and len(server.requests) == 1


def test_dropped_connection_resumes(reg, server):
    server.mode = "drop"
    path, how = download_model("tiny-remote", backoff=0)
    assert how == "fetched" and path.read_bytes() == reg["remote"].read_bytes()
    half = len(reg["remote"].read_bytes()) // 2
    assert [r["range"] for r in server.requests] == [None, f"bytes={half}-"]


def test_slow_server_times_out_with_one_line(reg, server, capsys):
    server.mode = "slow"
    assert main(["download", "tiny-remote", "--timeout", "0.2", "--retries", "1"]) == 1
    line = one_error_line(capsys)
    assert "timed out" in line and "2 attempts" in line and len(server.requests) == 2
    assert not any(reg["cache"].glob("*.safetensors"))


def test_cache_dir_option_and_shipped_models(reg, tmp_path, capsys):
    assert main(["download", "tiny-remote", "--cache-dir", str(tmp_path / "mine")]) == 0
    out = capsys.readouterr().out
    [path] = (tmp_path / "mine" / "models").iterdir()
    assert f"--model {path}" in out
    assert main(["download", "tiny-local"]) == 0
    assert "ships with jetgen" in capsys.readouterr().out


def test_damaged_cached_copy_is_refused_at_load_then_refetched(reg, server, tmp_path, capsys):
    path, _ = download_model("tiny-remote", backoff=0)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    args = ["sample", "--model", "tiny-remote", "--jet", "t", "--n", "2", "-o",
            str(tmp_path / "x.h5")]
    assert main(args) == 1
    line = one_error_line(capsys)
    assert "does not match the registry" in line and "--overwrite" in line
    assert main(["download", "tiny-remote", "--overwrite"]) == 0
    assert path.read_bytes() == reg["remote"].read_bytes()
    assert main(args) == 0


def test_damaged_shipped_copy_is_one_line(reg, tmp_path, capsys):
    with open(reg["local"], "r+b") as f:
        f.seek(-3, 2)
        f.write(b"\0\0\0")
    assert main(["sample", "--jet", "g", "--n", "2", "-o", str(tmp_path / "x.h5")]) == 1
    assert "reinstall jetgen" in one_error_line(capsys)


class Evil:
    """Unpickling this creates the marker file: proof that something unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from pathlib import Path

        return Path.touch, (Path(self.marker),)


@pytest.mark.parametrize("how", ["protocol0", "protocol4", "torch_zip", "torch_legacy"])
def test_pickles_are_refused_unopened(how, tmp_path, capsys):
    marker, evil = tmp_path / "unpickled", tmp_path / "evil.safetensors"
    payload = {"weights": Evil(marker)}
    if how.startswith("protocol"):
        evil.write_bytes(pickle.dumps(payload, protocol=int(how[-1])))
    else:
        torch.save(payload, evil, _use_new_zipfile_serialization=how == "torch_zip")
    assert main(["sample", "--model", str(evil), "--jet", "t", "--n", "2", "-o",
                 str(tmp_path / "x.h5")]) == 1
    line = one_error_line(capsys)
    assert "pickle" in line or "not a safetensors file" in line
    assert not marker.exists()


def test_registry_serving_a_pickle_is_refused_and_removed(reg, server, tmp_path):
    pickled = tmp_path / "p.safetensors"
    torch.save({"w": torch.zeros(2)}, pickled)
    ship_model(tiny_model(tmp_path / "c.safetensors", 3), "bad", CARD,
               url=f"{server.url}/bad.safetensors", registry_dir=reg["folder"])
    registry = json.loads((reg["folder"] / "models.json").read_text())
    registry["models"][-1]["sha256"] = hashlib.sha256(pickled.read_bytes()).hexdigest()
    (reg["folder"] / "models.json").write_text(json.dumps(registry))
    server.files["/bad.safetensors"] = pickled.read_bytes()
    with pytest.raises(JetgenError, match=r"matches its sha256 but is unusable.*pickle"):
        download_model("bad", backoff=0)
    assert list(reg["cache"].iterdir()) == []


def test_bad_registries_are_one_line(reg, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JETGEN_REGISTRY", str(tmp_path / "nope.json"))
    assert main(["models"]) == 1
    assert "no such registry file" in one_error_line(capsys)
    sneaky = tmp_path / "sneaky.json"
    sneaky.write_text(json.dumps({"models": [{"name": "x", "file": "../../x.safetensors",
                                              "sha256": "0" * 64}]}))
    monkeypatch.setenv("JETGEN_REGISTRY", str(sneaky))
    assert main(["models"]) == 1
    assert "bare *.safetensors name" in one_error_line(capsys)
    monkeypatch.setenv("JETGEN_REGISTRY", str(reg["folder"] / "models.json"))
    assert main(["download", "tiny-remot"]) == 1
    assert "did you mean 'tiny-remote'" in one_error_line(capsys)


def test_shipped_models_are_named_for_their_data_and_old_names_still_resolve(capsys):
    """The shipped models were trained on jetgen's own Pythia sample, not JetNet: their
    names and `jetgen models` say so, and the former jetnet30-* names resolve to them."""
    rows = {row["name"]: row for row in list_models()}
    assert rows and not any(name.startswith("jetnet") for name in rows)
    # The releases those names meant, by content: a name may move on to a newer release
    # (pythia30-teacher v2), the former names stay with the weights they named.
    meant = {"jetnet30-epic1": "250cdf619a00", "jetnet30-pd1": "1f17ef8aa298",
             "jetnet30-teacher": "6fbf9c041165"}
    for old, digest in meant.items():
        owner = next(name for name, row in rows.items() if old in row.get("aliases", []))
        assert resolve_model(old) == resolve_model(owner) == resolve_model(digest)
        assert rows[owner]["sha256"].startswith(digest)
        assert "not JetNet" in rows[owner]["trained_on"]
    assert "default" not in rows["pythia30-pd1"]["description"].replace("Formerly the default",
                                                                        "")
    main(["models"])
    assert "not the JetNet dataset" in " ".join(capsys.readouterr().out.split())


def test_files_recording_the_former_reference_name_still_find_it():
    from jetgen.evaluation.inputs import Side, resolve_reference

    side = Side(None, "old.root",  # resolving the reference reads no jets
                provenance={"reference": {"path": "jetgen:jetnet30-reference.h5",
                                          "split": "all"}})
    paths, split = resolve_reference(None, side)
    assert paths[0].endswith("pythia30-reference.h5") and split == "all"


def test_a_model_resolves_by_its_sha256_so_a_superseded_release_stays_loadable(reg, capsys,
                                                                                 tmp_path):
    digest = json.loads((reg["folder"] / "models.json").read_text())["models"][0]["sha256"]
    assert resolve_model(digest[:12]) == resolve_model("tiny-local")
    assert resolve_model(digest) == resolve_model("tiny-local")
    assert main(["sample", "--model", "0" * 12, "--jet", "t", "--n", "2",
                 "-o", str(tmp_path / "x.h5")]) == 1
    assert "no registered model has sha256 000000000000" in one_error_line(capsys)
    with pytest.raises(JetgenError, match="sha256"):
        resolve_model(digest[:11])  # too short to name a release: an unknown name


def test_a_renamed_release_keeps_its_bytes_and_its_sha256_finds_it(reg):
    digest = json.loads((reg["folder"] / "models.json").read_text())["models"][0]["sha256"]
    rename = _maintainer_script("ship_model").rename_model
    moved = rename("tiny-local", "tiny-local-v1", "Superseded by tiny-local v2.",
                   registry_dir=reg["folder"])
    assert moved.name == "tiny-local-v1.safetensors" and not reg["local"].exists()
    assert resolve_model(digest[:12])[0] == moved == resolve_model("tiny-local-v1")[0]
    card = (reg["folder"] / "tiny-local-v1.md").read_text()
    assert card.startswith("# tiny-local-v1\n\n> Superseded by tiny-local v2.")
    ship_model(tiny_model(reg["folder"].parent / "c.safetensors", 3), "tiny-local", CARD,
               registry_dir=reg["folder"], make_default=True)
    listing = {m["name"]: m for m in json.loads((reg["folder"] / "models.json").read_text())
               ["models"]}
    assert set(listing) == {"tiny-local", "tiny-local-v1", "tiny-remote"}
    assert listing["tiny-local-v1"]["sha256"] == digest != listing["tiny-local"]["sha256"]
    with pytest.raises(JetgenError, match="taken"):
        rename("tiny-remote", "tiny-local", "x", registry_dir=reg["folder"])
