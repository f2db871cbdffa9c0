"""K+ → 3π decays with the Dalitz-plot matrix element: π+π+π− and π+π0π0.

|M|² ∝ 1 + g·u + h·u² + k·v² with u = (s3 − s0)/m²_π+, v = (s1 − s2)/m²_π+,
s_i = (P_K − P_i)², s0 = (m²_K + Σ m²_i)/3 and i = 3 the odd pion (PDG
Review, "Dalitz plot parameters for K → 3π decays"; PHYSICS.md §4; slopes in
:mod:`analysis.constants`).  Events are drawn uniformly in the Dalitz plot and
accepted with probability |M|²/max|M|².
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import (
    K3PI0_G,
    K3PI0_H,
    K3PI0_K,
    K3PI_G,
    K3PI_H,
    K3PI_K,
    M_K,
    M_PI,
    M_PI0,
)
from analysis.decays import phase_space, pi0
from analysis.kinematics import daughter_pz_min, to_lab, two_body_momentum
from analysis.rng import uniform


@jit
def dalitz_uv(m_parent, ma, mb, mc, m2_ab, m2_bc):
    """Dalitz variables (u, v) for like pions a, b and odd pion c."""
    s3 = m2_ab  # (P_K − P_c)²
    s1 = m2_bc  # (P_K − P_a)²
    total = m_parent * m_parent + ma * ma + mb * mb + mc * mc
    s2 = total - s1 - s3
    s0 = total / 3.0
    return (s3 - s0) / (M_PI * M_PI), (s1 - s2) / (M_PI * M_PI)


@jit
def matrix_element(u, v, g, h, k):
    """|M|² = 1 + g u + h u² + k v²."""
    return 1.0 + g * u + h * u * u + k * v * v


def _max_weight(ma, mb, mc, g, h, k, n=400):
    """Maximum of |M|² over the Dalitz plot (grid scan, 2% safety margin)."""
    ab = np.linspace((ma + mb) ** 2, (M_K - mc) ** 2, n)
    best = 0.0
    for m2_ab in ab:
        lo, hi = phase_space.m2_bc_limits.py_func(M_K, ma, mb, mc, m2_ab)
        # the kernels are plain arithmetic: evaluated on the whole row at once
        u, v = dalitz_uv.py_func(M_K, ma, mb, mc, m2_ab, np.linspace(lo, hi, n // 4))
        best = max(best, float(matrix_element.py_func(u, v, g, h, k).max()))
    return 1.02 * best


W_MAX_3PI = _max_weight(M_PI, M_PI, M_PI, K3PI_G, K3PI_H, K3PI_K)
W_MAX_3PI0 = _max_weight(M_PI0, M_PI0, M_PI, K3PI0_G, K3PI0_H, K3PI0_K)


@jit
def sample_dalitz(state, ma, mb, mc, g, h, k, w_max):
    """A Dalitz point (m²_ab, m²_bc) distributed as |M|² × phase space."""
    while True:
        m2_ab, m2_bc = phase_space.sample_point(state, M_K, ma, mb, mc)
        u, v = dalitz_uv(M_K, ma, mb, mc, m2_ab, m2_bc)
        if uniform(state) * w_max < matrix_element(u, v, g, h, k):
            return m2_ab, m2_bc


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → π+ π+ π− at (vx, vy, vz)."""
    m2_ab, m2_bc = sample_dalitz(state, M_PI, M_PI, M_PI, K3PI_G, K3PI_H, K3PI_K, W_MAX_3PI)
    mom = phase_space.rest_frame_momenta(state, M_K, M_PI, M_PI, M_PI, m2_ab, m2_bc)
    a = to_lab(px, py, pz, e, M_K, mom[0], mom[1], mom[2], mom[3])
    b = to_lab(px, py, pz, e, M_K, mom[4], mom[5], mom[6], mom[7])
    c = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    n = pt.add(table, n, a[0], a[1], a[2], a[3], vx, vy, vz, pt.PI_PLUS, True)
    n = pt.add(table, n, b[0], b[1], b[2], b[3], vx, vy, vz, pt.PI_PLUS, True)
    return pt.add(table, n, c[0], c[1], c[2], c[3], vx, vy, vz, pt.PI_MINUS, True)


@jit
def generate_neutral(state, table, n, px, py, pz, e, vx, vy, vz, u_pi0=-1.0, u_pi0_1=-1.0):
    """K+ → π+ π0 π0 at (vx, vy, vz), both π0 decayed (the π+ first).

    ``u_pi0``, ``u_pi0_1``: the deviates of the π0 decay modes if drawn in
    advance (:func:`analysis.decays.pi0.generate`).
    """
    pion = draw_neutral_pion(state, px, py, pz, e)
    return generate_neutral_from_pion(
        state, table, n, px, py, pz, e, vx, vy, vz, pion, u_pi0, u_pi0_1
    )


@jit
def draw_neutral_pion(state, px, py, pz, e):
    """The π+ of a K+ → π+π0π0 decay: (p_x, p_y, p_z, E) in the lab, then the two π0
    four-momenta in the kaon frame.

    A chain that decides on the π+ before generating the rest of the decay calls
    this, then :func:`generate_neutral_from_pion`: together they are
    :func:`generate_neutral`, deviate for deviate.
    """
    m2_ab, m2_bc = sample_dalitz(state, M_PI0, M_PI0, M_PI, K3PI0_G, K3PI0_H, K3PI0_K, W_MAX_3PI0)
    mom = phase_space.rest_frame_momenta(state, M_K, M_PI0, M_PI0, M_PI, m2_ab, m2_bc)
    c = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    return (c[0], c[1], c[2], c[3]) + mom[:8]


@jit
def generate_neutral_from_pion(
    state, table, n, px, py, pz, e, vx, vy, vz, pion, u_pi0=-1.0, u_pi0_1=-1.0
):
    """The decay of :func:`generate_neutral` with the π+ drawn by :func:`draw_neutral_pion`."""
    a = to_lab(px, py, pz, e, M_K, pion[4], pion[5], pion[6], pion[7])
    b = to_lab(px, py, pz, e, M_K, pion[8], pion[9], pion[10], pion[11])
    n = pt.add(table, n, pion[0], pion[1], pion[2], pion[3], vx, vy, vz, pt.PI_PLUS, True)
    n = pi0.generate(state, table, n, a[0], a[1], a[2], a[3], vx, vy, vz, u_pi0)
    return pi0.generate(state, table, n, b[0], b[1], b[2], b[3], vx, vy, vz, u_pi0_1)


#: Largest momentum of a π± of K+ → π+π+π− in the kaon frame (the other two
#: pions at threshold, m_bc = 2 m_π), and its energy.
P_STAR_MAX = two_body_momentum.py_func(M_K, M_PI, 2.0 * M_PI)
E_STAR_MAX = math.sqrt(P_STAR_MAX**2 + M_PI**2)


@jit
def pion_pz_min(px, py, pz):
    """A lower bound of p_z of every pion of K+ → π+π+π− from a kaon (px, py, pz).

    :func:`analysis.kinematics.daughter_pz_min` at the largest pion momentum in
    the kaon frame: about 7.5 GeV/c at 60 GeV/c, so every pion of a K3π decay
    from the beam flies forward, and the bound caps its probability to decay in
    flight.
    """
    return daughter_pz_min(px, py, pz, P_STAR_MAX, E_STAR_MAX, M_K)


#: Largest momentum of the π+ of K+ → π+π0π0 in the kaon frame, and its energy.
P_STAR_MAX_NEUTRAL = two_body_momentum.py_func(M_K, M_PI, 2.0 * M_PI0)
E_STAR_MAX_NEUTRAL = math.sqrt(P_STAR_MAX_NEUTRAL**2 + M_PI**2)


@jit(inline="always")
def charged_pion_pz_min_neutral(px, py, pz):
    """A lower bound of p_z of the π+ of K+ → π+π0π0 from a kaon (px, py, pz)."""
    return daughter_pz_min(px, py, pz, P_STAR_MAX_NEUTRAL, E_STAR_MAX_NEUTRAL, M_K)
