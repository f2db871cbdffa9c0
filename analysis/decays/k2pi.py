"""K+ → π+ π0, with the π0 decayed by :mod:`analysis.decays.pi0` (γγ or Dalitz)."""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_K, M_PI, M_PI0
from analysis.decays import pi0
from analysis.kinematics import daughter_pz_min, to_lab, two_body_momentum, two_body_rest


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz, u_pi0=-1.0):
    """K+ (px, py, pz, e) decaying at (vx, vy, vz) into π+ π0 (``u_pi0``: see
    :func:`generate_from_pion`)."""
    pion = draw_pion(state, px, py, pz, e)
    return generate_from_pion(state, table, n, px, py, pz, e, vx, vy, vz, pion, u_pi0)


@jit
def draw_pion(state, px, py, pz, e):
    """The π+ of a decay: (p_x, p_y, p_z, E) in the lab, then the π0's rest-frame (q, E*).

    A chain that decides on the π+ before generating the rest of the decay calls
    this, then :func:`generate_from_pion`: together they are :func:`generate`,
    deviate for deviate.
    """
    ux, uy, uz, p, e1, e2 = two_body_rest(state, M_K, M_PI, M_PI0)
    pip = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e1)
    return pip[0], pip[1], pip[2], pip[3], -p * ux, -p * uy, -p * uz, e2


@jit
def generate_from_pion(state, table, n, px, py, pz, e, vx, vy, vz, pion, u_pi0=-1.0):
    """The decay of :func:`generate` with the π+ drawn by :func:`draw_pion`.

    ``u_pi0``: the deviate of the π0 decay mode if drawn in advance
    (:func:`analysis.decays.pi0.generate`).
    """
    piz = to_lab(px, py, pz, e, M_K, pion[4], pion[5], pion[6], pion[7])
    n = pt.add(table, n, pion[0], pion[1], pion[2], pion[3], vx, vy, vz, pt.PI_PLUS, True)
    return pi0.generate(state, table, n, piz[0], piz[1], piz[2], piz[3], vx, vy, vz, u_pi0)


#: Momentum and energy of the π+ in the kaon frame.
P_STAR = two_body_momentum.py_func(M_K, M_PI, M_PI0)
E_STAR = math.sqrt(P_STAR**2 + M_PI**2)


@jit(inline="always")
def pion_pz_min(px, py, pz):
    """A lower bound of the π+'s p_z from a kaon (px, py, pz)
    (:func:`analysis.kinematics.daughter_pz_min`): about 6.5 GeV/c at 75 GeV/c."""
    return daughter_pz_min(px, py, pz, P_STAR, E_STAR, M_K)
