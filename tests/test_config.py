import pytest

from jetgen.config import RunConfig, dumps_toml, load_run_config, to_dict
from jetgen.errors import JetgenError


def test_toml_round_trip_of_the_default_config(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(dumps_toml(to_dict(RunConfig())))
    assert load_run_config(path) == RunConfig()


def test_partial_config_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[model.net]\nkind = 'epic'\ndepth = 3\n\n[train]\nlr = 0.001\n")
    run = load_run_config(path)
    assert run.model.net.kind == "epic" and run.model.net.depth == 3
    assert run.train.lr == 0.001 and run.train.batch_size == RunConfig().train.batch_size


def test_unknown_key_suggests_the_nearest(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[train]\nbatch_sise = 3\n")
    with pytest.raises(JetgenError, match="did you mean 'batch_size'"):
        load_run_config(path)


def test_unknown_network_is_refused(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[model.net]\nkind = 'transfomer'\n")
    with pytest.raises(JetgenError, match="transformer"):
        load_run_config(path)
