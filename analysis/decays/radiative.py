"""Inner bremsstrahlung of K+ → μ+ν and K+ → π+π0: the radiative decays K_μ2γ and K2πγ.

The charged daughter of a two-body decay radiates; to first order in α the rate
with a photon of energy E*_γ > E_min in the kaon rest frame is a fraction
P(E_min) of the inclusive rate (which the PDG branching ratio measures), and the
decay without a hard photon keeps 1 − P.  Both are written on the Dalitz plot of
K → a b γ (a the charged daughter, b its neutral partner), with the invariants

    p_K·k = (m_K² − m²_ab)/2,   p_a·k = (m²_aγ − m_a²)/2,   p_K·p_a = (m_K² + m_a² − m²_bγ)/2.

* K+ → π+π0γ: the K → ππ amplitude is a constant, so the inner bremsstrahlung
  of scalar QED is exact (F. E. Low, Phys. Rev. 110 (1958) 974):

      dΓ/(dm²_ab dm²_bγ) = Γ0 · α/(8π m_K p0) · [2 p_K·p_a/((p_K·k)(p_a·k))
                                               − m_K²/(p_K·k)² − m_a²/(p_a·k)²],

  Γ0 the non-radiative width and p0 its two-body momentum.
* K+ → μ+νγ: the inner-bremsstrahlung density of J. Bijnens, G. Ecker and
  J. Gasser, Nucl. Phys. B 396 (1993) 81, with x = 2E*_γ/m_K, y = 2E*_μ/m_K,
  r = m_μ²/m_K²:

      dΓ/(dx dy) = Γ0 · α/(2π) · (1 − r)⁻² · (1 − y + r)/(x²(x + y − 1 − r))
                   · [x² + 2(1 − x)(1 − r) − 2xr(1 − r)/(x + y − 1 − r)]

  Structure-dependent emission, measured at well below 1% of both rates, is left out.

Both tend to the soft-photon law dP = (α/π)[(1/β) ln((1 + β)/(1 − β)) − 2] dE/E
(β the charged daughter's velocity), which the tests check.  Events are
sampled in ln E*_γ (the soft divergence is flat there) and, at fixed E*_γ,
uniformly in m²_bγ, then accepted against the density.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import ALPHA_EM, IB_E_GAMMA_MIN, M_K, M_MU, M_PI, M_PI0
from analysis.decays import phase_space, pi0
from analysis.kinematics import to_lab, two_body_momentum
from analysis.rng import uniform

#: channel index of :func:`density` and :func:`sample_dalitz`
KMU2G, K2PIG = 0, 1
_MASSES = ((M_MU, 0.0), (M_PI, M_PI0))


@jit
def density(channel, m2_ab, m2_bg):
    """dΓ/(Γ0 dm²_ab dm²_bγ) of the module docstring (GeV⁻⁴); ``channel`` KMU2G or K2PIG."""
    s = M_K * M_K
    if channel == KMU2G:
        r = M_MU * M_MU / s
        x = 1.0 - m2_ab / s
        y = (s + M_MU * M_MU - m2_bg) / s
        d = x + y - 1.0 - r
        if x <= 0.0 or d <= 0.0:
            return 0.0
        rho = (1.0 - y + r) / (x * x * d) * (x * x + 2.0 * (1.0 - x) * (1.0 - r)
                                             - 2.0 * x * r * (1.0 - r) / d)  # fmt: skip
        return ALPHA_EM / (2.0 * math.pi) / (1.0 - r) ** 2 * rho / (s * s)
    ma, mb = M_PI, M_PI0
    pk_k = 0.5 * (s - m2_ab)
    m2_ag = s + ma * ma + mb * mb - m2_ab - m2_bg
    pa_k = 0.5 * (m2_ag - ma * ma)
    if pk_k <= 0.0 or pa_k <= 0.0:
        return 0.0
    pk_pa = 0.5 * (s + ma * ma - m2_bg)
    f = 2.0 * pk_pa / (pk_k * pa_k) - s / (pk_k * pk_k) - ma * ma / (pa_k * pa_k)
    p0 = two_body_momentum(M_K, ma, mb)
    return ALPHA_EM * f / (8.0 * math.pi * M_K * p0)


@jit
def _bg_range(channel, m2_ab):
    ma = M_MU if channel == KMU2G else M_PI
    mb = 0.0 if channel == KMU2G else M_PI0
    return phase_space.m2_bc_limits(M_K, ma, mb, 0.0, m2_ab)


@jit
def _weight(channel, log_e, u):
    """Density × Jacobian at (ln E*_γ, u), u ∈ [0, 1) along the m²_bγ range: per unit ln E and u."""
    e_g = math.exp(log_e)
    m2_ab = M_K * M_K - 2.0 * M_K * e_g
    lo, hi = _bg_range(channel, m2_ab)
    return density(channel, m2_ab, lo + u * (hi - lo)) * 2.0 * M_K * e_g * (hi - lo), m2_ab, lo, hi


def e_gamma_max(channel: int) -> float:
    """End point of E*_γ: (m_K² − (m_a + m_b)²)/(2 m_K)."""
    ma, mb = _MASSES[channel]
    return (M_K**2 - (ma + mb) ** 2) / (2.0 * M_K)


@functools.cache
def _grid(channel: int, e_min: float, n: int):
    """Gauss–Legendre nodes in (ln E*_γ, u) and the weights of the integral over them."""
    x, w = np.polynomial.legendre.leggauss(n)
    lo, hi = math.log(e_min), math.log(e_gamma_max(channel))
    log_e = lo + 0.5 * (hi - lo) * (x + 1.0)
    u = 0.5 * (x + 1.0)
    values = np.array([[_weight.py_func(channel, le, uu)[0] for uu in u] for le in log_e])
    return values, 0.25 * (hi - lo) * np.outer(w, w)


def emission_probability(channel: int, e_min: float = IB_E_GAMMA_MIN, n: int = 96) -> float:
    """Γ(E*_γ > e_min)/Γ0: the fraction of decays given to the radiative channel."""
    values, weights = _grid(channel, e_min, n)
    return float((values * weights).sum())


def _max_weight(channel: int, e_min: float = IB_E_GAMMA_MIN) -> float:
    """Upper bound of :func:`_weight` for the accept–reject (grid maximum, 20% margin)."""
    values, _ = _grid(channel, e_min, 96)
    edge = max(_weight.py_func(channel, math.log(e_min), u)[0] for u in np.linspace(0, 1, 2001))
    return 1.2 * max(float(values.max()), edge)


_LOG_E_MIN = math.log(IB_E_GAMMA_MIN)
_LOG_E_MAX = (math.log(e_gamma_max(KMU2G)), math.log(e_gamma_max(K2PIG)))
_W_MAX = (_max_weight(KMU2G), _max_weight(K2PIG))


@jit
def sample_dalitz(state, channel):
    """(m²_ab, m²_bγ) of a radiative decay with E*_γ > IB_E_GAMMA_MIN."""
    log_hi = _LOG_E_MAX[0] if channel == KMU2G else _LOG_E_MAX[1]
    w_max = _W_MAX[0] if channel == KMU2G else _W_MAX[1]
    while True:
        log_e = _LOG_E_MIN + (log_hi - _LOG_E_MIN) * uniform(state)
        u = uniform(state)
        w, m2_ab, lo, hi = _weight(channel, log_e, u)
        if uniform(state) * w_max < w:
            return m2_ab, lo + u * (hi - lo)


@jit
def generate_kmu2g(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → μ+νγ (inner bremsstrahlung, E*_γ > IB_E_GAMMA_MIN) at (vx, vy, vz)."""
    m2_ab, m2_bg = sample_dalitz(state, KMU2G)
    mom = phase_space.rest_frame_momenta(state, M_K, M_MU, 0.0, 0.0, m2_ab, m2_bg)
    mu = to_lab(px, py, pz, e, M_K, mom[0], mom[1], mom[2], mom[3])
    nu = to_lab(px, py, pz, e, M_K, mom[4], mom[5], mom[6], mom[7])
    ga = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    n = pt.add(table, n, mu[0], mu[1], mu[2], mu[3], vx, vy, vz, pt.MUON_PLUS, True)
    n = pt.add(table, n, nu[0], nu[1], nu[2], nu[3], vx, vy, vz, pt.NEUTRINO, False)
    return pt.add(table, n, ga[0], ga[1], ga[2], ga[3], vx, vy, vz, pt.PHOTON, True)


@jit
def generate_k2pig(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → π+π0γ (inner bremsstrahlung, E*_γ > IB_E_GAMMA_MIN) at (vx, vy, vz)."""
    m2_ab, m2_bg = sample_dalitz(state, K2PIG)
    mom = phase_space.rest_frame_momenta(state, M_K, M_PI, M_PI0, 0.0, m2_ab, m2_bg)
    pip = to_lab(px, py, pz, e, M_K, mom[0], mom[1], mom[2], mom[3])
    piz = to_lab(px, py, pz, e, M_K, mom[4], mom[5], mom[6], mom[7])
    ga = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    n = pt.add(table, n, pip[0], pip[1], pip[2], pip[3], vx, vy, vz, pt.PI_PLUS, True)
    n = pt.add(table, n, ga[0], ga[1], ga[2], ga[3], vx, vy, vz, pt.PHOTON, True)
    return pi0.generate(state, table, n, piz[0], piz[1], piz[2], piz[3], vx, vy, vz)
