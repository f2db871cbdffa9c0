"""Resonant K+ → μ+ N, N → π μ: a heavy neutral lepton decaying in the NA48/2 volume.

The production is the two-body K+ → μ+ N of :mod:`analysis.decays.kl2`
(isotropic: the kaon has spin 0).  N lives for a proper time t and decays at

    x_decay = x_K + (p_N/m_N) · c · t,

i.e. after the lab flight length βγcτ on average.  N → π∓ μ± is a two-body decay,
isotropic in the N rest frame (unpolarised N; PHYSICS.md §4 gives its width).
The lepton-number-violating chain (LNV) is N → π− μ+, so K+ → π− μ+ μ+; the
lepton-number-conserving one (LNC) is N → π+ μ−, so K+ → π+ μ+ μ− (NA48/2,
Phys. Lett. B 769 (2017) 67 [assumed: recalled reference], searches for both,
PHYSICS.md §3.1).

The lifetime is a free parameter of the model-independent limits, so
Monte Carlo samples are generated once with a broad proper-time law
(``lifetime_ps < 0``: a fraction HNL_PROMPT_FRACTION at t = 0, the rest
log-uniform in [HNL_T_MIN_PS, HNL_T_MAX_PS]; conventions in
:mod:`analysis.constants`) and reweighted to any lifetime with :func:`reweight`.
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import (
    C_LIGHT,
    HNL_PROMPT_FRACTION,
    HNL_T_MAX_PS,
    HNL_T_MIN_PS,
    M_K,
    M_MU,
    M_PI,
)
from analysis.kinematics import to_lab, two_body_rest
from analysis.rng import exponential, uniform

PICOSECOND = 1e-12  # s
LOG_T_RANGE = math.log(HNL_T_MAX_PS / HNL_T_MIN_PS)


@jit
def sample_proper_time(state, lifetime_ps):
    """Proper decay time of N in ps.

    ``lifetime_ps`` > 0: exponential with that mean; 0: prompt (t = 0); < 0: the
    Monte Carlo law for reweighting (prompt with probability HNL_PROMPT_FRACTION,
    otherwise log-uniform in [HNL_T_MIN_PS, HNL_T_MAX_PS]).
    """
    if lifetime_ps > 0.0:
        return lifetime_ps * exponential(state)
    if lifetime_ps == 0.0:
        return 0.0
    if uniform(state) < HNL_PROMPT_FRACTION:
        return 0.0
    return HNL_T_MIN_PS * math.exp(LOG_T_RANGE * uniform(state))


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz, m_n, lnv, lifetime_ps):
    """K+ → μ+ N at (vx, vy, vz), N (mass m_n > m_π + m_μ) → π μ after its proper time.

    Rows: μ+ (visible); N (invisible, DECAY_Z = z of its decay, CHILD = the pion's
    row); π− μ+ (``lnv``) or π+ μ− (not ``lnv``), both produced at the N decay
    vertex.  The proper time is drawn first (:func:`sample_proper_time`).
    Returns the new row count.
    """
    t = sample_proper_time(state, lifetime_ps)
    ux, uy, uz, p, e_mu, e_n = two_body_rest(state, M_K, M_MU, m_n)
    mu = to_lab(px, py, pz, e, M_K, p * ux, p * uy, p * uz, e_mu)
    nn = to_lab(px, py, pz, e, M_K, -p * ux, -p * uy, -p * uz, e_n)
    f = C_LIGHT * t * PICOSECOND / m_n  # flight = (p/m) c t
    xd, yd, zd = vx + f * nn[0], vy + f * nn[1], vz + f * nn[2]
    wx, wy, wz, q, e_pi, e_mu2 = two_body_rest(state, m_n, M_PI, M_MU)
    pi = to_lab(nn[0], nn[1], nn[2], nn[3], m_n, q * wx, q * wy, q * wz, e_pi)
    mu2 = to_lab(nn[0], nn[1], nn[2], nn[3], m_n, -q * wx, -q * wy, -q * wz, e_mu2)
    pi_pid = pt.PI_MINUS if lnv else pt.PI_PLUS
    mu_pid = pt.MUON_PLUS if lnv else pt.MUON_MINUS
    n = pt.add(table, n, mu[0], mu[1], mu[2], mu[3], vx, vy, vz, pt.MUON_PLUS, True)
    row_n = n
    n = pt.add(table, n, nn[0], nn[1], nn[2], nn[3], vx, vy, vz, pt.HNL, False)
    table[row_n, pt.DECAY_Z] = zd
    table[row_n, pt.CHILD] = n
    n = pt.add(table, n, pi[0], pi[1], pi[2], pi[3], xd, yd, zd, pi_pid, True)
    return pt.add(table, n, mu2[0], mu2[1], mu2[2], mu2[3], xd, yd, zd, mu_pid, True)


@jit
def proper_time_ps(table, row):
    """Proper decay time (ps) of the N in ``row``: t = (z_decay − z)·m_N/(p_z c).

    m_N is recomputed from the row's E and momentum; 0 for a prompt decay.
    """
    dz = table[row, pt.DECAY_Z] - table[row, pt.Z]
    if dz == 0.0:
        return 0.0
    m2 = table[row, pt.E] ** 2 - (table[row, pt.PX] ** 2 + table[row, pt.PY] ** 2)
    m = math.sqrt(max(0.0, m2 - table[row, pt.PZ] ** 2))
    return dz * m / (table[row, pt.PZ] * C_LIGHT) / PICOSECOND


def reweight(t_ps, lifetime_ps: float) -> np.ndarray:
    """Weights that turn the Monte Carlo proper-time law (``lifetime_ps < 0``) into lifetime τ.

    The Monte Carlo density is g(t) = P δ(t) + (1 − P)/(t ln(T_max/T_min)) on
    [T_min, T_max] (P = HNL_PROMPT_FRACTION).  For τ > 0 the weight is
    f_τ(t)/g(t) = t ln(T_max/T_min) e^{−t/τ} / ((1 − P) τ) on [T_min, T_max]
    and 0 for the prompt events; for τ = 0 (prompt) it is 1/P for t = 0 and 0
    otherwise.  Then, for any function h of the event, Σ_i w_i h_i / N
    estimates the expectation of h under lifetime τ, up to the tails
    t < T_min and t > T_max that the sample does not cover: Σ w / N →
    e^{−T_min/τ} − e^{−T_max/τ} (1 − 1e-3 for τ = 1 ps, T_min = 1 fs).
    """
    if not lifetime_ps >= 0.0 or not math.isfinite(lifetime_ps):
        raise ValueError(f"lifetime must be finite and non-negative (ps), got {lifetime_ps!r}")
    t = np.asarray(t_ps, dtype=np.float64)
    if lifetime_ps == 0.0:
        return np.where(t == 0.0, 1.0 / HNL_PROMPT_FRACTION, 0.0)
    # t recomputed from a particle table carries ~1e-10 relative rounding: a small slack at the ends
    inside = (t >= HNL_T_MIN_PS * (1 - 1e-9)) & (t <= HNL_T_MAX_PS * (1 + 1e-9))
    tau = lifetime_ps
    w = t * LOG_T_RANGE * np.exp(-t / tau) / ((1.0 - HNL_PROMPT_FRACTION) * tau)
    return np.where(inside, w, 0.0)
