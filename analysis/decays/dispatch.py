"""Select a decay channel by integer code inside compiled event loops."""

from __future__ import annotations

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_E, M_MU
from analysis.decays import (
    CHANNELS,
    hnl_pimu,
    k2pi,
    k3pi,
    ke4,
    kl2,
    kl3,
    kpimumu,
    pinunu,
    radiative,
)
from analysis.rng import uniform

KMU2 = CHANNELS["kmu2"].code
KE2 = CHANNELS["ke2"].code
K2PI = CHANNELS["k2pi"].code
K3PI = CHANNELS["k3pi"].code
KE3 = CHANNELS["ke3"].code
KMU3 = CHANNELS["kmu3"].code
K3PI0 = CHANNELS["k3pi0"].code
HNL_E = CHANNELS["hnl_e"].code
HNL_MU = CHANNELS["hnl_mu"].code
HALO_MU = CHANNELS["halo_mu"].code
KPIMUMU = CHANNELS["kpimumu"].code
HNL_PIMU_LNV = CHANNELS["hnl_pimu_lnv"].code
HNL_PIMU_LNC = CHANNELS["hnl_pimu_lnc"].code
PIMUMU_LNV = CHANNELS["pimumu_lnv"].code
PINUNU = CHANNELS["pinunu"].code
KE4 = CHANNELS["ke4"].code
KMU2G = CHANNELS["kmu2g"].code
K2PIG = CHANNELS["k2pig"].code


@jit
def generate(
    code, state, table, px, py, pz, e, vx, vy, vz, m_hnl, lifetime_ps, u_pi0=-1.0, u_pi0_1=-1.0
):
    """Decay a K+ through channel ``code``; returns the particle count.

    ``m_hnl`` (GeV) is the HNL mass of the signal channels; ``lifetime_ps`` the
    proper lifetime of a decaying N (hnl_pimu channels only; < 0 for the Monte
    Carlo proper-time law of :func:`analysis.decays.hnl_pimu.sample_proper_time`).
    ``u_pi0``, ``u_pi0_1``: the deviates of the π0 decay modes of K2π, K_l3 and
    K+ → π+π0π0 where drawn in advance (:func:`analysis.decays.pi0.generate`).
    """
    n = 0
    if code == KMU2:
        n = kl2.generate(state, table, n, px, py, pz, e, vx, vy, vz, M_MU, pt.MUON_PLUS, 0.0)
    elif code == KE2:
        n = kl2.generate(state, table, n, px, py, pz, e, vx, vy, vz, M_E, pt.POSITRON, 0.0)
    elif code == K2PI:
        n = k2pi.generate(state, table, n, px, py, pz, e, vx, vy, vz, u_pi0)
    elif code == K3PI:
        n = k3pi.generate(state, table, n, px, py, pz, e, vx, vy, vz)
    elif code == KE3:
        n = kl3.generate(state, table, n, px, py, pz, e, vx, vy, vz, M_E, pt.POSITRON, u_pi0)
    elif code == KMU3:
        n = kl3.generate(state, table, n, px, py, pz, e, vx, vy, vz, M_MU, pt.MUON_PLUS, u_pi0)
    elif code == K3PI0:
        n = k3pi.generate_neutral(state, table, n, px, py, pz, e, vx, vy, vz, u_pi0, u_pi0_1)
    elif code == HNL_E:
        n = kl2.generate(state, table, n, px, py, pz, e, vx, vy, vz, M_E, pt.POSITRON, m_hnl)
    elif code == HNL_MU:
        n = kl2.generate(state, table, n, px, py, pz, e, vx, vy, vz, M_MU, pt.MUON_PLUS, m_hnl)
    elif code == KPIMUMU:
        n = kpimumu.generate(state, table, n, px, py, pz, e, vx, vy, vz)
    elif code == HNL_PIMU_LNV or code == HNL_PIMU_LNC:
        lnv = code == HNL_PIMU_LNV
        n = hnl_pimu.generate(state, table, n, px, py, pz, e, vx, vy, vz, m_hnl, lnv, lifetime_ps)
    elif code == PIMUMU_LNV:
        n = kpimumu.generate_lnv(state, table, n, px, py, pz, e, vx, vy, vz)
    elif code == PINUNU:
        n = pinunu.generate(state, table, n, px, py, pz, e, vx, vy, vz)
    elif code == KE4:
        n = ke4.generate(state, table, n, px, py, pz, e, vx, vy, vz)
    elif code == KMU2G:
        n = radiative.generate_kmu2g(state, table, n, px, py, pz, e, vx, vy, vz)
    elif code == K2PIG:
        n = radiative.generate_k2pig(state, table, n, px, py, pz, e, vx, vy, vz)
    return n


@jit
def choose(state, codes, cumulative):
    """Pick a channel code with probabilities given by the cumulative table.

    The first j with u < cumulative[j] is the number of entries ≤ u (the table
    does not decrease), counted without a branch: which channel comes next is
    random, and a mispredicted exit from a search loop costs more than the count.
    """
    u = uniform(state) * cumulative[-1]
    j = 0
    for k in range(cumulative.shape[0]):
        j += cumulative[k] <= u
    return codes[min(j, codes.shape[0] - 1)]


@jit(inline="always")
def choose_event(state, codes, cumulative, n_masses):
    """Channel code and HNL-mass index of the next decay of a sample.

    A single-channel sample draws nothing for the channel, a single-mass sample
    nothing for the mass; otherwise the mass index is uniform over the grid.
    """
    code = codes[0]
    if codes.shape[0] > 1:
        code = choose(state, codes, cumulative)
    m = 0
    if n_masses > 1:
        m = min(int(uniform(state) * n_masses), n_masses - 1)
    return code, m


def mixture(branching_ratios: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Codes and cumulative weights for :func:`choose` (weights need not sum to 1)."""
    codes = np.array(sorted(branching_ratios), dtype=np.int64)
    cumulative = np.cumsum([branching_ratios[c] for c in codes]).astype(np.float64)
    return codes, cumulative
