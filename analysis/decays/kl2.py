"""Two-body leptonic decays K+ → ℓ+ X: K_μ2, K_e2 and the signals K+ → ℓ+ N.

X is a neutrino (massless) or a heavy neutral lepton N of mass m_N, long-lived
and invisible at the |U|² the searches probe.  The kaon has spin 0, so the
decay is isotropic in its rest frame; the lepton momentum there is the
two-body p* (PHYSICS.md §4).
"""

from __future__ import annotations

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_K
from analysis.kinematics import to_lab, two_body_rest


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz, m_lepton, lepton_pid, m_neutral):
    """K+ (px, py, pz, e) decaying at (vx, vy, vz) into ℓ+ (m_lepton) and X (m_neutral)."""
    ux, uy, uz, p, e1, e2 = two_body_rest(state, M_K, m_lepton, m_neutral)
    lep = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e1)
    neu = to_lab(px, py, pz, e, M_K, -p * ux, -p * uy, -p * uz, e2)
    n = pt.add(table, n, lep[0], lep[1], lep[2], lep[3], vx, vy, vz, lepton_pid, True)
    neutral_pid = pt.NEUTRINO if m_neutral == 0.0 else pt.HNL
    return pt.add(table, n, neu[0], neu[1], neu[2], neu[3], vx, vy, vz, neutral_pid, False)
