"""The library functions the CLI calls, for notebooks and scripts: ``import jetgen``.

    >>> import jetgen
    >>> jets = jetgen.sample(jet="top", n=1000, seed=0)        # the shipped default model
    >>> jets.particles.shape, jets.jet[:, 2].mean()          # numpy: [N, 30, 3], masses
    >>> arr = jets.to_awkward()                              # awkward record array
    >>> jetgen.write(jets, "top.root")                       # ROOT TTree (or .h5)
    >>> report = jetgen.evaluate("top.root", "data/t30.h5")  # JetNet metrics + floor
    >>> report.ratio("t", "w1m")

Errors are the CLI's: :class:`jetgen.errors.UsageError` / :class:`JetgenError` with one
line that names the file or argument, in Python's words (``overwrite=True``, not
``--overwrite``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from .errors import JetgenError
from .jets import Jets, parse_classes

_P = ParamSpec("_P")
_R = TypeVar("_R")
#: CLI options whose Python argument is spelled differently (the rest: dashes → "_").
_PYTHON_NAMES = {"overwrite": "overwrite=True", "jets": "n_jets", "tree-name": "tree"}


def _python_words(message: str) -> str:
    """``--overwrite`` → ``overwrite=True``, ``--batch-size`` → ``batch_size``."""
    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)",
                  lambda m: _PYTHON_NAMES.get(m[1], m[1].replace("-", "_")), message)


def _speaks_python(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """The library shares its checks with the CLI, whose messages name options; a Python
    caller gets the same line with its own argument names."""
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except JetgenError as err:
            err.args = (_python_words(str(err)),)
            raise

    return wrapper

if TYPE_CHECKING:  # torch loads only when a model does
    from .models.jetmodel import JetModel


@_speaks_python
def sample(jet: str | list[str] = "all", n: int = 10_000, model: str | None = None,
           seed: int = 0, *, sampler: str | None = None, steps: int | None = None,
           precision: str = "auto", device: str = "cpu", batch_size: int = 1000,
           backend: str = "torch", threads: int | None = None) -> Jets:
    """``n`` jets of each class in ``jet`` from ``model`` (default: the shipped default):
    the same jets `jetgen sample --jet … --n … --seed …` writes, whatever ``threads``
    (torch CPU threads for this call; default: the CPUs this process may use, see
    :mod:`jetgen.threads`).

    Example: ``jetgen.sample(jet="W", n=5000, seed=1).jet[:, 2]`` (W-jet masses in GeV).
    """
    from .sampling.run import sample_jets
    from .threads import using_threads

    with using_threads(threads):
        return sample_jets(model=model, classes=parse_classes(jet), n=n, seed=seed,
                           sampler=sampler, steps=steps, precision=precision, device=device,
                           batch_size=batch_size, backend=backend)


@_speaks_python
def read(path: str | Path, tree: str | None = None) -> Jets:
    """Jets of a jetgen/JetNet ROOT or HDF5 file (a ROOT file's only TTree, or ``tree``).

    Example: ``jetgen.read("data/t30.h5").to_awkward()``
    """
    from .io import read_jets

    return read_jets(path, tree=tree)


@_speaks_python
def write(jets: Jets, path: str | Path, *, overwrite: bool = False, tree: str = "tree",
          provenance: dict[str, Any] | None = None) -> Path:
    """Write ``jets`` to ROOT (.root) or HDF5 (.h5), atomically; refuses to replace an
    existing file unless ``overwrite``.

    Example: ``jetgen.write(jetgen.sample(jet="t", n=100), "t.h5")``
    """
    from .io import open_writer
    from .io.atomic import check_output
    from .io.provenance import base_provenance

    path = check_output(path, overwrite)
    record = base_provenance(kind="written by jetgen.write", **(provenance or {}))
    with open_writer(path, jets.n_particles, record, overwrite=overwrite, tree=tree) as out:
        out.write(jets)
    return path


@_speaks_python
def load_model(name: str | None = None) -> JetModel:
    """A model by shipped name (or alias) or .safetensors path, ready to sample: the
    :class:`jetgen.models.jetmodel.JetModel` with its config and preprocessing.

    Example: ``jetgen.load_model("pythia30-teacher").config.steps``
    """
    from .models.checkpoint import read_model as load
    from .registry import resolve_model

    return load(resolve_model(name)[0])[0]


@dataclass
class Report:
    """`jetgen eval`'s result: ``result`` is the JSON-ready dict (values, errors, floors,
    ratios per class and metric); ``print()`` shows the tables the CLI prints."""

    result: dict[str, Any]

    def metric(self, jet_class: str, key: str) -> dict[str, Any]:
        """{"value", "error", "floor", "floor_error", "ratio", …} of one metric."""
        entry: dict[str, Any] = self.result["classes"][jet_class]["metrics"][key]
        return entry

    def ratio(self, jet_class: str, key: str) -> float | None:
        """value / truth floor (None where the floor is consistent with zero)."""
        ratio: float | None = self.metric(jet_class, key)["ratio"]
        return ratio

    def print(self) -> None:
        from .evaluation.report import render

        render(self.result)

    def to_json(self, path: str | Path) -> None:
        from .evaluation.report import write_json

        write_json(self.result, path)


@_speaks_python
def evaluate(generated: Jets | str | Path, reference: Jets | str | Path | None = None,
             *, threads: int | None = None, **options: Any) -> Report:
    """JetNet metrics of ``generated`` against ``reference`` with the truth floor
    (options as :func:`jetgen.evaluation.evaluate`: n_jets, seed, classes, …; ``threads``:
    CPU threads, default the CPUs this process may use).

    Example: ``jetgen.evaluate(jets, "data/t30.h5", n_jets=2000).ratio("t", "w1m")``
    """
    from .evaluation import evaluate as run
    from .threads import resolve_threads

    return Report(run(generated, reference, workers=resolve_threads(threads), **options))
