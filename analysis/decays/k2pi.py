"""K+ → π+ π0, with the π0 decayed by :mod:`analysis.decays.pi0` (γγ or Dalitz)."""

from __future__ import annotations

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_K, M_PI, M_PI0
from analysis.decays import pi0
from analysis.kinematics import to_lab, two_body_rest


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ (px, py, pz, e) decaying at (vx, vy, vz) into π+ π0."""
    ux, uy, uz, p, e1, e2 = two_body_rest(state, M_K, M_PI, M_PI0)
    pip = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e1)
    piz = to_lab(px, py, pz, e, M_K, -p * ux, -p * uy, -p * uz, e2)
    n = pt.add(table, n, pip[0], pip[1], pip[2], pip[3], vx, vy, vz, pt.PI_PLUS, True)
    return pi0.generate(state, table, n, piz[0], piz[1], piz[2], piz[3], vx, vy, vz)
