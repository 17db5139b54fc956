"""Options several commands share, so their help reads the same everywhere."""

from __future__ import annotations

import typer

THREADS_HELP = ("CPU threads (default: the CPUs this process may use: its affinity, cgroup "
                "quota, $SLURM_CPUS_PER_TASK or $OMP_NUM_THREADS; the numbers do not "
                "depend on it).")


def threads_option():
    return typer.Option(None, "--threads", min=1, help=THREADS_HELP)
