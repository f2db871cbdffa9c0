"""π0 decays: π0 → γγ and the Dalitz decay π0 → e+ e− γ.

The π0 decays at its production point (cτ = 25 nm).  The Dalitz decay uses the
Kroll–Wada spectrum (N. Kroll, W. Wada, Phys. Rev. 98 (1955) 1355) in
x = m²_ee/m²_π0 with the transition form factor |F(x)|² = (1 + a x)²,

    dΓ/dx ∝ (1 − x)³ / x · (1 + 2r/x) · √(1 − 4r/x) · (1 + a x)²,  r = m_e²/m_π0²,

and the lepton angular distribution 1 + cos²θ* in the e+e− rest frame (θ*
relative to the virtual-photon direction; the m_e²/m²_ee correction is dropped).
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import BR_PI0_DALITZ, M_E, M_PI0, PI0_TFF_SLOPE
from analysis.kinematics import (
    boost,
    orthonormal_basis,
    to_lab,
    two_body_momentum,
    two_body_rest,
)
from analysis.rng import drawn_or_uniform, uniform, unit_circle

_R = (M_E / M_PI0) ** 2
_X_MIN = 4.0 * _R
_W_MAX = (1.0 + PI0_TFF_SLOPE) ** 2


@jit
def dalitz_density(x):
    """Unnormalised Kroll–Wada density in x = m²_ee/m²_π0 (module docstring)."""
    if x <= _X_MIN or x >= 1.0:
        return 0.0
    return (
        (1.0 - x) ** 3
        / x
        * (1.0 + 2.0 * _R / x)
        * math.sqrt(1.0 - 4.0 * _R / x)
        * (1.0 + PI0_TFF_SLOPE * x) ** 2
    )


@jit
def sample_dalitz_x(state):
    """Draw x = m²_ee/m²_π0 from :func:`dalitz_density` (log-uniform proposal)."""
    log_span = -math.log(_X_MIN)
    while True:
        x = _X_MIN * math.exp(log_span * uniform(state))
        # density × x (the proposal is ∝ 1/x); its maximum is (1 + a)²
        if uniform(state) * _W_MAX < dalitz_density(x) * x:
            return x


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz, u_mode=-1.0):
    """Decay a π0 with four-momentum (px, py, pz, e) at (vx, vy, vz).

    ``u_mode`` is the deviate that chooses the mode (Dalitz below
    ``BR_PI0_DALITZ``), if drawn in advance; −1 draws it now.
    """
    if drawn_or_uniform(state, u_mode) >= BR_PI0_DALITZ:
        ux, uy, uz, p, e1, _ = two_body_rest(state, M_PI0, 0.0, 0.0)
        g1 = to_lab(px, py, pz, e, M_PI0, p * ux, p * uy, p * uz, e1)
        g2 = to_lab(px, py, pz, e, M_PI0, -p * ux, -p * uy, -p * uz, e1)
        n = pt.add(table, n, g1[0], g1[1], g1[2], g1[3], vx, vy, vz, pt.PHOTON, True)
        return pt.add(table, n, g2[0], g2[1], g2[2], g2[3], vx, vy, vz, pt.PHOTON, True)
    m_ee = M_PI0 * math.sqrt(sample_dalitz_x(state))
    ux, uy, uz, p, e_star, e_gamma = two_body_rest(state, M_PI0, m_ee, 0.0)
    # e+ e− in the virtual-photon frame, cos θ* ~ 1 + cos²θ* about its direction
    while True:
        c = 2.0 * uniform(state) - 1.0
        if 2.0 * uniform(state) < 1.0 + c * c:
            break
    s = math.sqrt(1.0 - c * c)
    cphi, sphi = unit_circle(state)
    ax, ay, az, cx, cy, cz = orthonormal_basis(ux, uy, uz)
    q = two_body_momentum(m_ee, M_E, M_E)
    dx = c * ux + s * (cphi * ax + sphi * cx)
    dy = c * uy + s * (cphi * ay + sphi * cy)
    dz = c * uz + s * (cphi * az + sphi * cz)
    ee = math.sqrt(q * q + M_E * M_E)
    gx, gy, gz = p * ux / e_star, p * uy / e_star, p * uz / e_star
    ep = boost(q * dx, q * dy, q * dz, ee, gx, gy, gz)
    em = boost(-q * dx, -q * dy, -q * dz, ee, gx, gy, gz)
    ep = to_lab(px, py, pz, e, M_PI0, ep[0], ep[1], ep[2], ep[3])
    em = to_lab(px, py, pz, e, M_PI0, em[0], em[1], em[2], em[3])
    g = to_lab(px, py, pz, e, M_PI0, -p * ux, -p * uy, -p * uz, e_gamma)
    n = pt.add(table, n, ep[0], ep[1], ep[2], ep[3], vx, vy, vz, pt.POSITRON, True)
    n = pt.add(table, n, em[0], em[1], em[2], em[3], vx, vy, vz, pt.ELECTRON, True)
    return pt.add(table, n, g[0], g[1], g[2], g[3], vx, vy, vz, pt.PHOTON, True)
