"""jetgen.errors: each error is also the standard type a caller catches for it, and prints
as the CLI's one line."""

from __future__ import annotations

import pickle

import pytest

from jetgen.errors import (
    FileMissingError,
    JetgenError,
    JetgenFileError,
    KeyInFileError,
    UsageError,
)


def test_usage_error_is_a_value_error():
    with pytest.raises(ValueError):
        raise UsageError("--n must be positive")
    assert UsageError("x").exit_code == 2 and issubclass(UsageError, JetgenError)


def test_file_errors_are_os_errors_without_the_errno_prefix():
    err = FileMissingError("a.h5: no such file", path="a.h5")
    assert isinstance(err, FileNotFoundError) and isinstance(err, JetgenFileError)
    assert str(err) == "a.h5: no such file" and err.path == "a.h5" and err.errno == 2
    assert str(JetgenFileError("b: permission denied", path="b", errno=13)) == (
        "b: permission denied")


def test_key_in_file_error_names_the_keys_and_prints_without_quotes():
    err = KeyInFileError("jet_feature", path="t.h5", keys=["jet_features", "jet_type"],
                         what="dataset")
    assert isinstance(err, KeyError)
    assert str(err) == "t.h5: no dataset 'jet_feature' (did you mean 'jet_features'?)"
    assert err.key == "jet_feature" and err.path == "t.h5"
    assert err.keys == ["jet_features", "jet_type"] and err.nearest_key == "jet_features"
    assert KeyInFileError("zzz", path="f", keys=["a"]).nearest_key is None


@pytest.mark.parametrize("err", [
    UsageError("u"),
    JetgenFileError("f: bad", path="f", errno=5),
    FileMissingError("f: no such file", path="f"),
    KeyInFileError("k", path="f", keys=["kk"], what="branch"),
])
def test_errors_survive_a_trip_to_a_worker_process(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err)
    assert back.__dict__ == err.__dict__ and getattr(back, "errno", None) == getattr(
        err, "errno", None)
