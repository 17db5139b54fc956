"""What an exported graph's metadata_props say: tensors, units, noise, opset, dtype.

Plain ``key: value`` strings so a C++ caller can read them with
``Ort::ModelMetadata::LookupCustomMetadataMapAllocated`` and a person with ``jetgen export``'s
printout; every value is one line.
"""

from __future__ import annotations

from ..config import ModelConfig
from ..jets import CLASS_LONG, CLASSES
from .graph import one_step_levels

FORMAT = "jetgen-onnx-1"
INPUTS = ("jet_type", "jet_noise", "particle_noise", "jet_kinematics", "use_kinematics")
OUTPUTS = ("constituents", "mask", "jet")
#: fp32 agreement with jetgen's own fp32 torch path for the same noise, measured on the
#: shipped default and a tiny model (tests/export): absolute on constituents, relative on jets.
TOLERANCE = ("constituents within 1e-4 absolute, jet pt/eta/mass within 1e-5 relative for "
             "equal batches (1e-4 relative pt/mass, 1e-4 absolute eta across batch sizes), "
             "mask and n identical")


def _classes() -> str:
    return ", ".join(f"{i}={c} ({CLASS_LONG[c]})" for i, c in enumerate(CLASSES))


def tensor_docs(config: ModelConfig) -> dict[str, str]:
    """One line per graph input and output: dtype, shape, meaning, units."""
    p = config.n_particles
    return {
        "input.jet_type": f"int64 [batch]: jet class index, {_classes()}",
        "input.jet_noise": "float32 [batch,4]: standard normals for the jet-level model "
                           "(ignored where use_kinematics is true)",
        "input.particle_noise": f"float32 [batch,{p},3]: standard normals for the particle "
                                "model, row-major over (particle, feature)",
        "input.jet_kinematics": "float32 [batch,4]: given (pt GeV, eta, mass GeV, n) for fast "
                                f"simulation; n is rounded and clamped to [1,{p}]; any "
                                "values (e.g. zeros) where use_kinematics is false",
        "input.use_kinematics": "bool [batch]: true = constituents for jet_kinematics, false "
                                "= the jet-level model draws (pt, eta, mass, n) from jet_noise",
        "output.constituents": f"float32 [batch,{p},3]: (eta_rel, phi_rel rad in [-pi,pi), "
                               "pT_rel = pT/pT_jet in (0,1]) sorted by pT_rel descending, "
                               "padding rows zero",
        "output.mask": f"bool [batch,{p}]: true for real constituents (the first n rows)",
        "output.jet": "float32 [batch,4]: (pt GeV, eta, mass GeV, n = number of constituents, "
                      f"in [1,{p}])",
    }


def noise_doc() -> str:
    return (
        "inputs are i.i.d. standard normals (any generator). jetgen's own jets: jet j of "
        "`jetgen sample --seed S` has seed s = jetgen.sampling.seeds.jet_seeds(S, j) (uint64, "
        "taken as int64); particle_noise = jetgen.diffusion.noise.jet_noise(s, (n_particles, 3), "
        "draw=0); jet_noise = jet_noise(s, (1, 4), draw=JET_LEVEL_DRAW_OFFSET = 2^20) "
        "reshaped to [4] (jetgen.sampling.batch); jet_noise is splitmix64 counters + "
        "Box-Muller in float64, rounded to float32 (README: ONNX export)"
    )


def build_metadata(config: ModelConfig, *, model: str, sha256: str, opset: int,
                   version: str) -> dict[str, str]:
    c = config
    jet_sigma = one_step_levels(c, c.jet_schedule)[0]
    particle_sigma = one_step_levels(c, c.schedule)[0]
    return {
        "format": FORMAT,
        "model": model,
        "model_sha256": sha256,
        "jetgen_version": version,
        "dtype": "float32 (all float tensors; fp32 compute)",
        "opset": str(opset),
        "batch": "dynamic first axis 'batch' on every input and output",
        "inputs": ", ".join(INPUTS),
        "outputs": ", ".join(OUTPUTS),
        **tensor_docs(c),
        "noise": noise_doc(),
        "sampling": (f"jet-level: {c.jet_sampler}, 1 step from sigma {jet_sigma:g} "
                     f"({c.jet_schedule}); particles: {c.sampler}, 1 step from sigma "
                     f"{particle_sigma:g} ({c.schedule}); x0 = D(sigma * z, sigma), "
                     "deterministic given the noise"),
        "classes": ",".join(CLASSES),
        "n_particles": str(c.n_particles),
        "tolerance": TOLERANCE,
    }
