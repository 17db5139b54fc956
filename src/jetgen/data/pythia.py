"""The JetNet recipe: Pythia 8 at 13 TeV, anti-kT R = 0.8 with FastJet.

One function, :func:`generate_block`, produces a fixed number of accepted jets of one
class from one Pythia seed. Blocks are the unit of parallelism and of reproducibility:
block ``b`` of a run with base seed ``s`` always holds the same jets, whichever worker
made it and however many workers there were.
"""

from __future__ import annotations

import math
import os
import sys
from contextlib import contextmanager

import numpy as np

from ..jets import CLASSES, Jets

JET_R = 0.8
MATCH_DR = 0.8
MAX_ABS_ETA = 2.5
PT_RANGE = (800.0, 1600.0)
PTHAT_RANGE = (995.0, 1005.0)

#: Hard process per class and the PDG ids of the "hard outgoing object" a jet must match.
RECIPES: dict[str, dict[str, list]] = {
    "g": {
        "settings": ["HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"],
        "match": [21],
    },
    "q": {
        "settings": ["HardQCD:qg2qg = on", "HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on"],
        "match": [1, 2, 3, 4, 5, 6],
    },
    "t": {
        "settings": [
            "Top:gg2ttbar = on",
            "Top:qqbar2ttbar = on",
            "24:onMode = off",
            "24:onIfAny = 1 2 3 4 5",
        ],
        "match": [6],
    },
    "w": {
        "settings": [
            "WeakBosonAndParton:qqbar2Wg = on",
            "WeakBosonAndParton:qg2Wq = on",
            "24:onMode = off",
            "24:onIfAny = 1 2 3 4 5",
        ],
        "match": [24],
    },
    "z": {
        "settings": [
            "WeakBosonAndParton:qqbar2gmZg = on",
            "WeakBosonAndParton:qg2gmZq = on",
            "WeakZ0:gmZmode = 2",
            "23:onMode = off",
            "23:onIfAny = 1 2 3 4 5",
        ],
        "match": [23],
    },
}

COMMON_SETTINGS = [
    "Beams:eCM = 13000.",
    # Monash 2013 is Pythia's default tune; MPI, ISR, FSR and hadronisation are on by
    # default. Spelled out so the recipe survives a change of Pythia defaults.
    "Tune:pp = 14",
    "PartonLevel:MPI = on",
    "PartonLevel:ISR = on",
    "PartonLevel:FSR = on",
    "HadronLevel:all = on",
    f"PhaseSpace:pTHatMin = {PTHAT_RANGE[0]}",
    f"PhaseSpace:pTHatMax = {PTHAT_RANGE[1]}",
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowProcess = 0",
    "Next:numberShowInfo = 0",
]


def recipe_description() -> dict:
    """What a data file records about how it was made."""
    return {
        "generator": "Pythia 8 (pythia8mc) + FastJet",
        "common": COMMON_SETTINGS,
        "process": {c: RECIPES[c]["settings"] for c in CLASSES},
        "jet_algorithm": f"anti-kt R={JET_R}",
        "selection": (
            f"highest-pT jet with |eta|<{MAX_ABS_ETA} within dR<{MATCH_DR} of a hard outgoing "
            f"object of the class; kept if {PT_RANGE[0]}<pT<{PT_RANGE[1]} GeV"
        ),
    }


def pythia_seed(base_seed: int, class_index: int, block: int) -> int:
    """Pythia accepts seeds in [1, 900 000 000]; SeedSequence keeps blocks independent."""
    state = np.random.SeedSequence([base_seed, class_index, block]).generate_state(1)[0]
    return int(state % 900_000_000) + 1


@contextmanager
def _quiet_stdout():
    """Pythia's banner is written by C++ straight to fd 1: redirect the descriptor."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _make_pythia(jet_class: str, seed: int):
    import pythia8mc

    with _quiet_stdout():
        pythia = pythia8mc.Pythia("", False)
        for line in [*COMMON_SETTINGS, *RECIPES[jet_class]["settings"]]:
            if not pythia.readString(line):
                raise RuntimeError(f"Pythia rejected setting {line!r}")
        pythia.readString("Random:setSeed = on")
        pythia.readString(f"Random:seed = {seed}")
        if not pythia.init():
            raise RuntimeError("Pythia failed to initialise")
    return pythia


def _delta_r(eta1: float, phi1: float, eta2: float, phi2: float) -> float:
    dphi = (phi1 - phi2 + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(eta1 - eta2, dphi)


def _hard_objects(pythia, match_ids: list[int]) -> list[tuple[float, float]]:
    """(eta, phi) of the outgoing hard-process particles of the requested kind."""
    out = []
    for p in pythia.process:
        # |status| 22: intermediate resonance (t, W, Z); 23: outgoing parton
        if abs(p.status()) in (22, 23) and abs(p.id()) in match_ids and p.pT() > 0:
            out.append((p.eta(), p.phi()))
    return out


def _select_jet(jets, hard: list[tuple[float, float]]):
    for jet in sorted(jets, key=lambda j: -j.pt()):
        if abs(jet.eta()) >= MAX_ABS_ETA:
            continue
        if any(_delta_r(jet.eta(), jet.phi(), e, f) < MATCH_DR for e, f in hard):
            return jet
    return None


def jet_to_features(jet, n_particles: int) -> tuple[np.ndarray, np.ndarray]:
    """JetNet features of one FastJet jet: ([P, 4] particle, [4] jet)."""
    consts = sorted(jet.constituents(), key=lambda c: -c.pt())
    pt_jet, eta_jet, phi_jet = jet.pt(), jet.eta(), jet.phi_std()
    particles = np.zeros((n_particles, 4), np.float32)
    for i, c in enumerate(consts[:n_particles]):
        dphi = (c.phi_std() - phi_jet + math.pi) % (2 * math.pi) - math.pi
        particles[i] = (c.eta() - eta_jet, dphi, c.pt() / pt_jet, 1.0)
    n = min(len(consts), n_particles)
    jet_features = np.array([pt_jet, eta_jet, jet.m(), n], np.float32)
    return particles, jet_features


def generate_block(
    jet_class: str, n_jets: int, n_particles: int, seed: int, progress=None
) -> tuple[Jets, dict]:
    """``n_jets`` accepted jets of ``jet_class`` from one Pythia seed.

    ``progress`` (optional) is called with 1 after every accepted jet.
    Returns the jets and counters (events tried, failed, rejected).
    """
    import fastjet

    pythia = _make_pythia(jet_class, seed)
    definition = fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R)
    match_ids = RECIPES[jet_class]["match"]
    class_index = CLASSES.index(jet_class)
    parts = np.zeros((n_jets, n_particles, 4), np.float32)
    jets = np.zeros((n_jets, 4), np.float32)
    stats = {"events": 0, "failed": 0, "rejected": 0}
    accepted = 0
    while accepted < n_jets:
        stats["events"] += 1
        if not pythia.next():
            stats["failed"] += 1
            continue
        inputs = []
        for p in pythia.event:
            if p.isFinal() and p.isVisible():
                inputs.append(fastjet.PseudoJet(p.px(), p.py(), p.pz(), p.e()))
        sequence = fastjet.ClusterSequence(inputs, definition)
        jet = _select_jet(sequence.inclusive_jets(), _hard_objects(pythia, match_ids))
        if jet is None or not PT_RANGE[0] < jet.pt() < PT_RANGE[1]:
            stats["rejected"] += 1
            continue
        parts[accepted], jets[accepted] = jet_to_features(jet, n_particles)
        accepted += 1
        if progress is not None:
            progress(1)
    mask = parts[..., 3] > 0.5
    out = Jets(parts[..., :3], mask, jets, np.full(n_jets, class_index, np.int32))
    return out, stats
