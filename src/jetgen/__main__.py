"""``python -m jetgen`` (what ``torchrun -m jetgen train …`` runs on every rank)."""

from .cli.main import run

if __name__ == "__main__":
    run()
