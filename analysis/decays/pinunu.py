"""K+ → π+ ν ν̄ in the Standard Model (vector form factor of K_l3).

The short-distance Z-penguin and box diagrams give a (s̄d)_V−A (ν̄ν)_V−A
interaction whose hadronic matrix element,
<π+(p)|s̄γ^μ d|K+(k)> = f+(q²)(k + p)^μ + f−(q²)(k − p)^μ, is related by
isospin to that of K_l3 (F. Mescia and C. Smith, Phys. Rev. D 76 (2007)
034017).  The f− term multiplies q^μ = (k − p)^μ, which vanishes on the
current of massless neutrinos, so only f+ shapes the decay.  With
q² = M²(νν̄) the spectrum is that of K_e3 in the limit m_e → 0:

    dΓ/dq² ∝ f+(q²)² λ^{3/2}(m²_K, m²_π, q²),   0 ≤ q² ≤ (m_K − m_π)²,
    f+(q²) = 1 + λ'+ q²/m²_π + ½ λ''+ (q²/m²_π)²,

with λ the Källén function and λ'+, λ''+ the K_l3 slopes of
:mod:`analysis.constants` (:func:`density` divides λ by m⁴_K to keep it of
order one).  The π+ momentum in the kaon frame is
p*_π = λ^{1/2}(m²_K, m²_π, q²)/(2 m_K), with the end point
p*_π(q² = 0) = (m²_K − m²_π)/(2 m_K) = 227.1 MeV/c.

Angular law: between spin-0 states the current is longitudinal (helicity 0)
along the νν̄ flight direction.  In the νν̄ rest frame the massless
left-handed ν and right-handed ν̄ fly back to back with spin projection ±1
along their axis, so the amplitude is d¹_{0,±1}(θ) ∝ sin θ and the neutrino
polar angle θ about the νν̄ flight direction follows sin²θ (⟨cos²θ⟩ = 1/5);
the azimuth is uniform.

Approximations: the rate is the constant ``BR_KPINUNU_SM``; the q² shape uses
the K_l3 f+ without isospin-breaking corrections to its slopes; both
neutrinos are massless and invisible (flavours are not distinguished).
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import KL3_LAMBDA_P1, KL3_LAMBDA_P2, M_K, M_PI
from analysis.decays import phase_space
from analysis.kinematics import kallen, to_lab, two_body_rest
from analysis.rng import uniform

Q2_MAX = (M_K - M_PI) ** 2


@jit
def form_factor(q2):
    """Vector form factor f+(q²) = 1 + λ'+ x + ½ λ''+ x², x = q²/m²_π."""
    x = q2 / (M_PI * M_PI)
    return 1.0 + KL3_LAMBDA_P1 * x + 0.5 * KL3_LAMBDA_P2 * x * x


@jit
def density(q2):
    """dΓ/dq² up to a constant: f+(q²)² [λ(m²_K, m²_π, q²)/m⁴_K]^{3/2}; 0 outside (0, q²_max)."""
    if q2 <= 0.0 or q2 >= Q2_MAX:
        return 0.0
    lam = max(0.0, kallen(M_K * M_K, M_PI * M_PI, q2)) / M_K**4
    f = form_factor(q2)
    return f * f * lam**1.5


def _max_density(n=20_001):
    """Maximum of dΓ/dq² on [0, q²_max] (grid scan, 2% safety margin)."""
    grid = np.linspace(0.0, Q2_MAX, n)
    grid[0] = 1e-12 * Q2_MAX  # density() is 0 at the closed end points
    return 1.02 * max(density.py_func(q2) for q2 in grid)


D_MAX = _max_density()


@jit
def sample_q2(state):
    """q² = M²(νν̄) distributed as dΓ/dq² (uniform proposal, accept–reject)."""
    while True:
        q2 = Q2_MAX * uniform(state)
        if uniform(state) * D_MAX < density(q2):
            return q2


@jit
def sample_cos_theta(state):
    """cos θ of the neutrino about the νν̄ flight direction, density ∝ sin²θ."""
    while True:
        c = 2.0 * uniform(state) - 1.0
        if uniform(state) < 1.0 - c * c:
            return c


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → π+ ν ν̄ at (vx, vy, vz); rows π+, ν, ν̄ (both invisible)."""
    q2 = sample_q2(state)
    m_nn = math.sqrt(q2)
    ux, uy, uz, p, e_pi, e_nn = two_body_rest(state, M_K, M_PI, m_nn)
    # νν̄ along −u in the kaon frame; the neutrino direction w in the νν̄ frame
    dx, dy, dz = -ux, -uy, -uz
    c = sample_cos_theta(state)
    q = 0.5 * m_nn
    a, b = phase_space.pair_decay_lab(
        state, (px, py, pz, e), M_K, p, (dx, dy, dz), e_nn, m_nn, q, q, c
    )
    pi = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e_pi)
    n = pt.add(table, n, pi[0], pi[1], pi[2], pi[3], vx, vy, vz, pt.PI_PLUS, True)
    n = pt.add(table, n, a[0], a[1], a[2], a[3], vx, vy, vz, pt.NEUTRINO, False)
    return pt.add(table, n, b[0], b[1], b[2], b[3], vx, vy, vz, pt.NEUTRINO, False)
