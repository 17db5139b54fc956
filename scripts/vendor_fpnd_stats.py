"""Copy jetnet's stored JetNet FPND statistics into jetgen's resources (maintainers only).

jetnet (MIT licence) ships, for 30-particle g, q and t jets, the mean and covariance of
ParticleNet activations over the JetNet dataset as text files. ``jetgen eval`` computes
jetnet's FPND with them but must not need jetnet installed, so they are kept here as one
safetensors file (float64, exactly the parsed text), with the source files' SHA-256 in
its metadata. Run where jetnet is installed:

    python scripts/vendor_fpnd_stats.py
"""

from __future__ import annotations

import hashlib
from importlib import metadata, resources
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

OUT = (Path(__file__).resolve().parents[1] / "src" / "jetgen" / "evaluation" / "resources"
       / "fpnd_jetnet30_stats.safetensors")
CLASSES = ("g", "q", "t")


def main() -> None:
    root = resources.files("jetnet.evaluation").joinpath("fpnd_resources", "jetnet",
                                                         "30_particles")
    tensors, meta = {}, {"source": f"jetnet {metadata.version('jetnet')} "
                                   "evaluation/fpnd_resources/jetnet/30_particles",
                         "licence": "MIT (jetnet, R. Kansal et al.)"}
    for c in CLASSES:
        for stat in ("mu", "sigma"):
            text = root.joinpath(f"{c}_{stat}.txt").read_bytes()
            tensors[f"{c}_{stat}"] = np.loadtxt(str(root.joinpath(f"{c}_{stat}.txt")))
            meta[f"{c}_{stat}_sha256"] = hashlib.sha256(text).hexdigest()
    save_file(tensors, str(OUT), metadata=meta)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
