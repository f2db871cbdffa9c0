"""Semileptonic decays K+ → π0 ℓ+ ν (K_e3, K_μ3) with vector and scalar form factors.

Dalitz density (PDG Review, "Form factors for K±_ℓ3 decays"; L.-M. Chounet,
J.-M. Gaillard, M.K. Gaillard, Phys. Rep. 4 (1972) 199):

    ρ(E_π, E_ℓ) ∝ f+²(t) [A + B ξ(t) + C ξ(t)²],
    A = m_K (2 E_ℓ E_ν − m_K E'_π) + m_ℓ² (E'_π/4 − E_ν),
    B = m_ℓ² (E_ν − E'_π/2),   C = m_ℓ² E'_π/4,
    E'_π = E_π^max − E_π,  t = (P_K − P_π)²,  ξ = f−/f+,

with energies in the kaon rest frame, the quadratic vector form factor
f+(t) = 1 + λ'+ t/m²_π + ½ λ''+ (t/m²_π)² and the linear scalar form factor
f0(t) = 1 + λ0 t/m²_π, f− = (f0 − f+)(m²_K − m²_π0)/t.
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import (
    KL3_LAMBDA_0,
    KL3_LAMBDA_P1,
    KL3_LAMBDA_P2,
    M_E,
    M_K,
    M_MU,
    M_PI,
    M_PI0,
)
from analysis.decays import dalitz_envelope, phase_space, pi0
from analysis.kinematics import daughter_pz_min, to_lab, two_body_momentum
from analysis.rng import uniform


@jit
def density(m_lepton, m2_pil, m2_lnu):
    """ρ of the module docstring at the Dalitz point (m²_πℓ, m²_ℓν = t)."""
    t = m2_lnu
    e_pi, e_l, e_nu = phase_space.rest_frame_energies(M_K, M_PI0, m_lepton, 0.0, m2_pil, m2_lnu)
    e_pi_max = (M_K * M_K + M_PI0 * M_PI0 - m_lepton * m_lepton) / (2.0 * M_K)
    ep = e_pi_max - e_pi
    ml2 = m_lepton * m_lepton
    x = t / (M_PI * M_PI)
    f_plus = 1.0 + KL3_LAMBDA_P1 * x + 0.5 * KL3_LAMBDA_P2 * x * x
    # (f0 − f+)/t written without the division, finite at t = 0
    diff_over_t = (KL3_LAMBDA_0 - KL3_LAMBDA_P1 - 0.5 * KL3_LAMBDA_P2 * x) / (M_PI * M_PI)
    xi = diff_over_t * (M_K * M_K - M_PI0 * M_PI0) / f_plus
    a = M_K * (2.0 * e_l * e_nu - M_K * ep) + ml2 * (0.25 * ep - e_nu)
    b = ml2 * (e_nu - 0.5 * ep)
    c = ml2 * 0.25 * ep
    return f_plus * f_plus * (a + b * xi + c * xi * xi)


@jit(allocates=True)
def _density_on(m_lepton, m2_pil, m2_lnu):
    """:func:`density` at each point of two arrays (for the envelope)."""
    out = np.empty(m2_pil.shape[0])
    for i in range(m2_pil.shape[0]):
        out[i] = density(m_lepton, m2_pil[i], m2_lnu[i])
    return out


def _envelope(m_lepton):
    return dalitz_envelope.build(
        lambda a, b: _density_on(m_lepton, a, b), M_K, M_PI0, m_lepton, 0.0
    )


#: Envelopes of the K_e3 and K_μ3 densities (:mod:`analysis.decays.dalitz_envelope`).
GRID_E, CELLS_E = _envelope(M_E)
GRID_MU, CELLS_MU = _envelope(M_MU)


@jit
def sample_dalitz(state, m_lepton):
    """A Dalitz point (m²_πℓ, m²_ℓν) distributed as ρ × phase space (K_e3 for a
    lepton mass below 10 MeV, else K_μ3)."""
    electron = m_lepton < 0.01
    while True:
        if electron:
            m2_ab, m2_bc, bound, edge = dalitz_envelope.propose(state, GRID_E, CELLS_E)
        else:
            m2_ab, m2_bc, bound, edge = dalitz_envelope.propose(state, GRID_MU, CELLS_MU)
        if edge and not phase_space.inside(M_K, M_PI0, m_lepton, 0.0, m2_ab, m2_bc):
            continue
        if uniform(state) * bound < density(m_lepton, m2_ab, m2_bc):
            return m2_ab, m2_bc


@jit
def draw_momenta(state, m_lepton):
    """The π0, ℓ+ and ν momenta of a decay in the kaon frame, as
    :func:`analysis.decays.phase_space.rest_frame_momenta` returns them."""
    m2_ab, m2_bc = sample_dalitz(state, m_lepton)
    return phase_space.rest_frame_momenta(state, M_K, M_PI0, m_lepton, 0.0, m2_ab, m2_bc)


@jit(inline="always")
def lepton_lab(px, py, pz, e, mom):
    """Lab (p_x, p_y, p_z, E) of the lepton of :func:`draw_momenta`, kaon (px, py, pz, e)."""
    return to_lab(px, py, pz, e, M_K, mom[4], mom[5], mom[6], mom[7])


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz, m_lepton, lepton_pid, u_pi0=-1.0):
    """K+ → π0 ℓ+ ν at (vx, vy, vz); ``m_lepton`` selects K_e3 or K_μ3.

    ``u_pi0``: the deviate of the π0 decay mode if drawn in advance
    (:func:`analysis.decays.pi0.generate`).
    """
    mom = draw_momenta(state, m_lepton)
    return generate_from_momenta(state, table, n, px, py, pz, e, vx, vy, vz, mom, lepton_pid, u_pi0)


@jit
def generate_from_momenta(state, table, n, px, py, pz, e, vx, vy, vz, mom, lepton_pid, u_pi0):
    """:func:`generate` with the momenta of :func:`draw_momenta` drawn already: the
    lepton (row n), the ν and the decay products of the π0."""
    piz = to_lab(px, py, pz, e, M_K, mom[0], mom[1], mom[2], mom[3])
    lep = lepton_lab(px, py, pz, e, mom)
    nu = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    n = pt.add(table, n, lep[0], lep[1], lep[2], lep[3], vx, vy, vz, lepton_pid, True)
    n = pt.add(table, n, nu[0], nu[1], nu[2], nu[3], vx, vy, vz, pt.NEUTRINO, False)
    return pi0.generate(state, table, n, piz[0], piz[1], piz[2], piz[3], vx, vy, vz, u_pi0)


#: Largest momentum of the muon of K+ → π0μ+ν in the kaon frame (π0ν at threshold), its energy.
MU_P_STAR_MAX = two_body_momentum.py_func(M_K, M_MU, M_PI0)
MU_E_STAR_MAX = math.sqrt(MU_P_STAR_MAX**2 + M_MU**2)


@jit(inline="always")
def muon_pz_min(px, py, pz):
    """A lower bound of the K_μ3 muon's p_z from a kaon (px, py, pz)
    (:func:`analysis.kinematics.daughter_pz_min` at the largest muon momentum)."""
    return daughter_pz_min(px, py, pz, MU_P_STAR_MAX, MU_E_STAR_MAX, M_K)
