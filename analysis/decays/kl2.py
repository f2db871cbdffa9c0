"""Two-body leptonic decays K+ → ℓ+ X: K_μ2, K_e2 and the signals K+ → ℓ+ N.

X is a neutrino (massless) or a heavy neutral lepton N of mass m_N, long-lived
and invisible at the |U|² the searches probe.  The kaon has spin 0, so the
decay is isotropic in its rest frame; the lepton momentum there is the
two-body p* (PHYSICS.md §4).
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_K, M_MU
from analysis.kinematics import daughter_pz_min, to_lab, two_body_momentum, two_body_rest


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz, m_lepton, lepton_pid, m_neutral):
    """K+ (px, py, pz, e) decaying at (vx, vy, vz) into ℓ+ (m_lepton) and X (m_neutral)."""
    ux, uy, uz, p, e1, e2 = two_body_rest(state, M_K, m_lepton, m_neutral)
    lep = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e1)
    neu = to_lab(px, py, pz, e, M_K, -p * ux, -p * uy, -p * uz, e2)
    n = pt.add(table, n, lep[0], lep[1], lep[2], lep[3], vx, vy, vz, lepton_pid, True)
    neutral_pid = pt.NEUTRINO if m_neutral == 0.0 else pt.HNL
    return pt.add(table, n, neu[0], neu[1], neu[2], neu[3], vx, vy, vz, neutral_pid, False)


#: Momentum of the μ+ (and of the ν) of K+ → μ+ν in the kaon frame, and the muon's energy.
KMU2_P_STAR = two_body_momentum.py_func(M_K, M_MU, 0.0)
KMU2_E_STAR = math.sqrt(KMU2_P_STAR**2 + M_MU**2)
_INV_M_K = 1.0 / M_K


@jit(inline="always")
def kmu2_muon_pz_min(px, py, pz):
    """A lower bound of p_z of the muon of K+ → μ+ν from a kaon (px, py, pz).

    :func:`analysis.kinematics.daughter_pz_min`: about 3.4 GeV/c at 75 GeV/c (the
    backward muon), so the muon's decay length is at least ~21 km.
    """
    return daughter_pz_min(px, py, pz, KMU2_P_STAR, KMU2_E_STAR, M_K)


@jit(inline="always")
def muon_pz_min(px, py, pz, m_neutral):
    """A lower bound of p_z of the muon of K+ → μ+X, X of mass ``m_neutral``, from a kaon
    (px, py, pz): :func:`analysis.kinematics.daughter_pz_min` with the p* of that mass.

    About 5.7 GeV/c for m_N = 300 MeV/c² at 75 GeV/c; as X grows heavier the muon's
    share of the kaon momentum grows, and so does the bound.
    """
    p_star = two_body_momentum(M_K, M_MU, m_neutral)
    e_star = math.sqrt(p_star * p_star + M_MU * M_MU)
    return daughter_pz_min(px, py, pz, p_star, e_star, M_K)


@jit
def nominal_m2_miss_range(px, py, pz, e, p_nominal, nu_star):
    """Range of (P₀ − p_ℓ)² over every decay direction of K+ → ℓ+ν from the kaon (px, py, pz, e).

    P₀ is the nominal kaon (0, 0, p_nominal) and ``nu_star`` the neutrino energy
    in the kaon frame (= p*).  With Δ = P₀ − P_K and p_ν = P_K − p_ℓ (p_ν² = 0),
    (P₀ − p_ℓ)² = Δ² + 2Δ·p_ν; in the kaon frame p_ν = E*_ν(1, û), so Δ·p_ν =
    E*_ν(Δ⁰* − Δ*·û) spans E*_ν(Δ⁰* ∓ |Δ*|), with the invariants Δ⁰* = Δ·P_K/m_K
    and |Δ*|² = Δ⁰*² − Δ².  Returns (lower, upper): exact end points, reached
    by the neutrino along and against Δ* in the kaon frame.
    """
    d2, d0 = _nominal_offset(px, py, pz, e, p_nominal)
    d3 = math.sqrt(max(d0 * d0 - d2, 0.0))
    return d2 + 2.0 * nu_star * (d0 - d3), d2 + 2.0 * nu_star * (d0 + d3)


@jit(inline="always")
def _nominal_offset(px, py, pz, e, p_nominal):
    """Δ² and Δ⁰* of :func:`nominal_m2_miss_range`."""
    d_e = math.sqrt(p_nominal * p_nominal + M_K * M_K) - e
    d_z = p_nominal - pz
    d2 = d_e * d_e - (px * px + py * py + d_z * d_z)
    return d2, (d_e * e + px * px + py * py - d_z * pz) * _INV_M_K


@jit(inline="always")
def nominal_m2_miss_within(px, py, pz, e, p_nominal, nu_star, m2_cut):
    """Whether all of :func:`nominal_m2_miss_range` lies inside (−m2_cut, m2_cut).

    The range is a ± 2E*_ν|Δ*| with a = Δ² + 2E*_ν Δ⁰*, so the test is
    2E*_ν|Δ*| < m2_cut − |a|, squared: no square root but that of the nominal
    kaon energy.
    """
    d2, d0 = _nominal_offset(px, py, pz, e, p_nominal)
    room = m2_cut - abs(d2 + 2.0 * nu_star * d0)
    return room > 0.0 and 4.0 * nu_star * nu_star * (d0 * d0 - d2) < room * room
