"""The ``jetgen`` command: option parsing only; every command calls a library function."""

from __future__ import annotations

import os
import sys

import typer

from .._version import __version__
from ..errors import JetgenError
from . import cite as cite_cmd
from . import data as data_cmd
from . import distill as distill_cmd
from . import eval as eval_cmd
from . import export as export_cmd
from . import info as info_cmd
from . import merge as merge_cmd
from . import models as models_cmd
from . import sample as sample_cmd
from . import score as score_cmd
from . import train as train_cmd

app = typer.Typer(
    name="jetgen",
    help="Fast simulation of jets as particle clouds with diffusion models (JetNet format).",
    epilog="Example: jetgen sample --jet top --n 1000 -o top1k.root",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(data_cmd.app, name="data")
app.command("info")(info_cmd.info)
app.command("cite")(cite_cmd.cite)
app.command("train")(train_cmd.train)
app.command("sample")(sample_cmd.sample)
app.command("merge")(merge_cmd.merge)
app.command("eval")(eval_cmd.eval_command)
app.command("distill")(distill_cmd.distill)
app.command("score")(score_cmd.score)
app.command("models")(models_cmd.models)
app.command("download")(models_cmd.download)
app.command("export")(export_cmd.export)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jetgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Generate, sample, evaluate and distil jet particle clouds."""


def _click_exceptions() -> tuple[tuple[type, ...], ...]:
    """(Exit, Abort, ClickException, UsageError) classes: typer ≥ 0.20 raises those of its
    own vendored click, older typer those of click itself; accept both."""
    import click

    modules = [click.exceptions]
    try:
        from typer._click import exceptions as vendored
    except ImportError:
        pass
    else:
        modules.append(vendored)
    names = ("Exit", "Abort", "ClickException", "UsageError")
    return tuple(tuple(getattr(m, name) for m in modules if hasattr(m, name)) for name in names)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: known errors become one line on stderr and an exit status."""
    debug = os.environ.get("JETGEN_DEBUG") == "1"
    try:
        # Without standalone mode click returns (not raises) typer.Exit's code.
        rc = app(args=argv, standalone_mode=False)
    except JetgenError as err:
        if debug:
            raise
        print(f"jetgen: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        if debug:
            raise
        print("jetgen: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    except Exception as err:  # click's usage errors and anything unexpected
        exit_, abort, click_error, usage_error = _click_exceptions()
        if isinstance(err, exit_):
            return err.exit_code
        if isinstance(err, abort):
            print("jetgen: aborted", file=sys.stderr)
            return 130
        if isinstance(err, click_error):
            if debug:
                raise
            ctx_help = ""
            if isinstance(err, usage_error) and err.ctx is not None:
                ctx_help = f" (see '{err.ctx.command_path} --help')"
            print(f"jetgen: error: {err.format_message()}{ctx_help}", file=sys.stderr)
            return err.exit_code
        if debug:
            raise
        print(
            f"jetgen: internal error: {err.__class__.__name__}: {err} "
            "(rerun with JETGEN_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1
    return rc if isinstance(rc, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
