"""Three-track K+ → π μ μ decays: the Standard-Model K+ → π+μ+μ− and the LNV K+ → π−μ+μ+.

K+ → π+ μ+ μ− proceeds through one-photon exchange, K+ → π+ γ* → π+ μ+ μ−
(G. D'Ambrosio, G. Ecker, G. Isidori and J. Portolés, JHEP 08 (1998) 004).
With z = M²_μμ/m²_K, r_π = m_π/m_K and r_μ = m_μ/m_K the dimuon mass spectrum is

    dΓ/dz ∝ |W(z)|² · λ^{3/2}(1, z, r_π²) · β_μ · (1 + 2 r_μ²/z),
    β_μ = √(1 − 4 r_μ²/z),  4 r_μ² ≤ z ≤ (1 − r_π)²,

with the form factor W(z) ∝ a + b·z (NA48/2, Phys. Lett. B 697 (2011) 107;
a, b in :mod:`analysis.constants`; the small ππ-loop term W^ππ(z) of the
paper's fit is neglected).  The virtual photon of a spin-0 → spin-0
transition is longitudinal (helicity 0) along the dimuon flight direction, so
in the dimuon rest frame the μ− polar angle θ about that direction follows
1 − β²_μ cos²θ (integral (2/3)(1 + 2r_μ²/z), the last factor above).

K+ → π− μ+ μ+ violates lepton number by two units; with no model assumed
for it, the searches quote the acceptance of uniform three-body phase space
(:mod:`analysis.decays.phase_space`).
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import KPIMUMU_A, KPIMUMU_B, M_K, M_MU, M_PI
from analysis.decays import phase_space
from analysis.kinematics import kallen, to_lab, two_body_rest
from analysis.rng import uniform

R_PI2 = (M_PI / M_K) ** 2
R_MU2 = (M_MU / M_K) ** 2
Z_MIN = 4.0 * R_MU2
Z_MAX = (1.0 - M_PI / M_K) ** 2


@jit
def density(z):
    """dΓ/dz up to a constant: |a + b z|² λ^{3/2}(1, z, r_π²) β_μ (1 + 2 r_μ²/z); 0 outside."""
    if z <= Z_MIN or z >= Z_MAX:
        return 0.0
    lam = max(0.0, kallen(1.0, z, R_PI2))
    w = KPIMUMU_A + KPIMUMU_B * z
    return w * w * lam**1.5 * math.sqrt(1.0 - Z_MIN / z) * (1.0 + 2.0 * R_MU2 / z)


def _max_density(n=20_001):
    """Maximum of dΓ/dz on [z_min, z_max] (grid scan, 2% safety margin)."""
    return 1.02 * max(density.py_func(z) for z in np.linspace(Z_MIN, Z_MAX, n))


D_MAX = _max_density()


@jit
def sample_z(state):
    """z = M²_μμ/m²_K distributed as dΓ/dz (uniform proposal, accept–reject)."""
    while True:
        z = Z_MIN + (Z_MAX - Z_MIN) * uniform(state)
        if uniform(state) * D_MAX < density(z):
            return z


@jit
def sample_cos_theta(state, beta2):
    """cos θ of the μ− about the dimuon flight direction, density ∝ 1 − β² cos²θ."""
    while True:
        c = 2.0 * uniform(state) - 1.0
        if uniform(state) < 1.0 - beta2 * c * c:
            return c


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → π+ μ+ μ− at (vx, vy, vz); rows π+, μ+, μ−."""
    z = sample_z(state)
    m_mm = M_K * math.sqrt(z)
    ux, uy, uz, p, e_pi, e_mm = two_body_rest(state, M_K, M_PI, m_mm)
    # dimuon along −u in the kaon frame; the μ− direction w in the dimuon frame
    dx, dy, dz = -ux, -uy, -uz
    beta2 = 1.0 - Z_MIN / z
    c = sample_cos_theta(state, beta2)
    e_mu = 0.5 * m_mm
    mu_m, mu_p = phase_space.pair_decay_lab(
        state, (px, py, pz, e), M_K, p, (dx, dy, dz), e_mm, m_mm, e_mu * math.sqrt(beta2), e_mu, c
    )
    pi = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e_pi)
    n = pt.add(table, n, pi[0], pi[1], pi[2], pi[3], vx, vy, vz, pt.PI_PLUS, True)
    n = pt.add(table, n, mu_p[0], mu_p[1], mu_p[2], mu_p[3], vx, vy, vz, pt.MUON_PLUS, True)
    return pt.add(table, n, mu_m[0], mu_m[1], mu_m[2], mu_m[3], vx, vy, vz, pt.MUON_MINUS, True)


@jit
def generate_lnv(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → π− μ+ μ+ at (vx, vy, vz), uniform in phase space; rows π−, μ+, μ+."""
    m2_ab, m2_bc = phase_space.sample_point(state, M_K, M_PI, M_MU, M_MU)
    mom = phase_space.rest_frame_momenta(state, M_K, M_PI, M_MU, M_MU, m2_ab, m2_bc)
    a = to_lab(px, py, pz, e, M_K, mom[0], mom[1], mom[2], mom[3])
    b = to_lab(px, py, pz, e, M_K, mom[4], mom[5], mom[6], mom[7])
    c = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    n = pt.add(table, n, a[0], a[1], a[2], a[3], vx, vy, vz, pt.PI_MINUS, True)
    n = pt.add(table, n, b[0], b[1], b[2], b[3], vx, vy, vz, pt.MUON_PLUS, True)
    return pt.add(table, n, c[0], c[1], c[2], c[3], vx, vy, vz, pt.MUON_PLUS, True)
