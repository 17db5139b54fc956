"""What the tool tells a user (#25): every bad argument at once, shards that would be
empty, one recorded form per seed, a data directory made on demand."""

from __future__ import annotations

import pytest

from jetgen.cli.main import main
from jetgen.io import read_jets, read_provenance
from jetgen.registry import default_model_name


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("jetgen: error: "), err
    return err[0]


def test_sample_reports_every_problem_at_once(tmp_path, capsys):
    code = main(["sample", "--n", "10", "--precision", "fp13", "--batch-size", "0",
                 "-o", str(tmp_path / "missing" / "out.txt")])
    line = one_error_line(capsys)
    assert code == 2
    for part in ("pass --jet", "directory", "does not exist", "unknown file type '.txt'",
                 "--batch-size must be positive", "--precision must be one of"):
        assert part in line, (part, line)
    assert not (tmp_path / "missing").exists()


def test_one_problem_is_reported_alone(tmp_path, capsys):
    assert main(["sample", "--jet", "t", "-o", str(tmp_path / "x.h5")]) == 2
    assert one_error_line(capsys) == "jetgen: error: pass --n, the number of jets per class"


def test_a_shard_that_would_hold_no_jets_is_refused_with_the_minimum(tmp_path, capsys):
    out = tmp_path / "s.h5"
    assert main(["sample", "--jet", "t", "--n", "20", "--shard", "0/2", "-o", str(out)]) == 2
    line = one_error_line(capsys)
    assert "--shard 0/2: would hold no jets" in line and "257 jets" in line, line
    assert "--n 257 or more" in line
    assert not out.exists()
    assert main(["sample", "--jet", "t", "--jet", "g", "--n", "20", "--shard", "1/3",
                 "-o", str(out)]) == 2
    assert "--n 257 or more for 2 class(es)" in one_error_line(capsys)


def test_equivalent_seeds_record_one_form(tmp_path):
    paths = []
    for seed in ("-5", "18446744073709551611"):
        paths.append(tmp_path / f"s{len(paths)}.h5")
        assert main(["sample", "--jet", "t", "--n", "5", "--seed", seed,
                     "-o", str(paths[-1])]) == 0
    a, b = (read_jets(p) for p in paths)
    assert a.particles.tobytes() == b.particles.tobytes()
    assert read_provenance(paths[0])["seed"] == read_provenance(paths[1])["seed"] == 2**64 - 5


@pytest.mark.parametrize("seed", ["18446744073709551616", "-9223372036854775809"])
def test_seeds_beyond_64_bits_are_refused(seed, tmp_path, capsys):
    assert main(["sample", "--jet", "t", "--n", "5", "--seed", seed,
                 "-o", str(tmp_path / "x.h5")]) == 2
    assert "does not fit 64 bits" in one_error_line(capsys)


def test_models_fits_80_columns_and_says_what_its_quality_is(monkeypatch, capsys):
    """The shipped registry at 80 columns: nothing cut, every model's licence and where it
    is, and a quality line naming the metric, the class and the n."""
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80, out
    text = " ".join(out.split())
    assert f"★ {default_model_name()}:" in text and "MIT, shipped" in text
    assert text.count("★") == 2  # the legend and the one default
    assert "worst class / truth floor (n = 10,000 per class): W1M " in text
    assert "substructure" in text and "FPND_ref" in text
    assert "…" not in out


def test_eval_fpnd_jetnet_adds_jetnets_own_fpnd_and_names_it(tmp_path, capsys):
    jets, report = tmp_path / "t.h5", tmp_path / "eval.json"
    assert main(["sample", "--jet", "t", "--n", "200", "-o", str(jets)]) == 0
    capsys.readouterr()
    assert main(["eval", str(jets), "--jets", "100", "--fpnd", "jetnet", "--bootstrap", "2",
                 "--no-cache", "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "FPND (jetnet)" in out and "FPND_ref" in out
    import json

    data = json.loads(report.read_text())
    assert data["settings"]["jetnet_fpnd"] is True
    assert "fpnd_jetnet" in data["classes"]["t"]["metrics"]


def test_eval_fpnd_choice_is_checked(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "none.h5"), "--fpnd", "jetnett"]) == 2
    assert "did you mean 'jetnet'" in one_error_line(capsys)


def test_python_api_errors_name_python_arguments(tmp_path):
    import jetgen
    from jetgen.errors import JetgenError, UsageError

    jets = jetgen.sample(jet="t", n=3)
    path = jetgen.write(jets, tmp_path / "t.h5")
    with pytest.raises(JetgenError, match=r"pass overwrite=True to replace it$") as err:
        jetgen.write(jets, path)
    assert "--" not in str(err.value)
    with pytest.raises(UsageError, match=r"^batch_size must be positive, got 0$"):
        jetgen.sample(jet="t", n=3, batch_size=0)


def test_info_shows_precision_and_backend_and_warns_on_nan(tmp_path, capsys):
    import numpy as np

    import jetgen

    good = tmp_path / "t.h5"
    assert main(["sample", "--jet", "t", "--n", "4", "-o", str(good)]) == 0
    capsys.readouterr()
    assert main(["info", str(good)]) == 0
    captured = capsys.readouterr()
    # The default model samples in bf16 where the CPU has native bf16 (AVX512-BF16, AMX),
    # else fp32: info must print what the file records, whichever it is.
    precision = read_provenance(good)["precision"]
    assert precision in ("fp32", "bf16")
    assert f"computed in {precision} with torch" in captured.out and captured.err == ""
    jets = jetgen.read(good)
    jets.jet[1, 2] = np.nan
    jets.particles[2, 0, 0] = np.inf
    bad = jetgen.write(jets, tmp_path / "bad.h5")
    assert main(["info", str(bad)]) == 0
    assert "2 jets hold NaN or inf values" in capsys.readouterr().err


def test_data_generate_makes_the_output_directory(tmp_path, capsys):
    out = tmp_path / "data" / "new" / "t30.h5"
    assert main(["data", "generate", "--jet", "t", "--n", "3", "-o", str(out)]) == 0
    assert len(read_jets(out)) == 3


def test_data_generate_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "data").write_text("not a directory")
    out = tmp_path / "data" / "t30.h5"
    assert main(["data", "generate", "--jet", "t", "--n", "3", "-o", str(out)]) == 1
    assert "is a file, not a directory" in one_error_line(capsys)
