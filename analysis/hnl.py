"""Heavy-neutral-lepton production and decay rates.

Production in K+ → ℓ+ N (R. Shrock, Phys. Rev. D 24 (1981) 1232; PHYSICS.md §4):

    B(K+ → ℓ+ N) = B(K+ → ℓ+ ν) · ρ_ℓ(m_N) · |U_ℓ4|²,
    ρ_ℓ = (x + y − (x − y)²) · √λ(1, x, y) / (x (1 − x)²),
    x = (m_ℓ/m_K)², y = (m_N/m_K)², λ the Källén function.

Decay N → π∓ ℓ± (one charge channel; D. Gorbunov, M. Shaposhnikov, JHEP 10
(2007) 015; K. Bondarenko et al., JHEP 11 (2018) 032):

    Γ = |U|² G_F² |V_ud|² f_π² m_N³ / (16π) · [(1 − r_ℓ)² − (1 + r_ℓ) r_π]
        · √[(1 − (m_π − m_ℓ)²/m_N²)(1 − (m_π + m_ℓ)²/m_N²)],

r_ℓ = m_ℓ²/m_N², r_π = m_π²/m_N².  A Majorana N doubles every channel.
"""

from __future__ import annotations

import numpy as np

from analysis.constants import BR_KE2, BR_KMU2, F_PI, G_FERMI, M_E, M_K, M_MU, M_PI, V_UD

LEPTON_MASS = {"e": M_E, "mu": M_MU}
BR_SM_LEPTONIC = {"e": BR_KE2, "mu": BR_KMU2}


def _lepton(lepton: str) -> float:
    try:
        return LEPTON_MASS[lepton]
    except KeyError:
        raise ValueError(f"lepton must be 'e' or 'mu', got {lepton!r}") from None


def rho(mass_gev, lepton: str):
    """Kinematic enhancement factor ρ_ℓ(m_N) (0 outside 0 < m_N < m_K − m_ℓ).

    >>> round(float(rho(0.300, "e")), -1)
    137110.0
    >>> round(float(rho(0.300, "mu")), 4)
    3.8998
    """
    m_l = _lepton(lepton)
    m = np.asarray(mass_gev, dtype=float)
    x = (m_l / M_K) ** 2
    y = (m / M_K) ** 2
    lam = 1.0 + x * x + y * y - 2.0 * (x + y + x * y)
    inside = (m >= 0.0) & (m < M_K - m_l) & (lam > 0.0)
    value = (x + y - (x - y) ** 2) * np.sqrt(np.where(inside, lam, 0.0)) / (x * (1.0 - x) ** 2)
    return np.where(inside, value, 0.0)


def branching_ratio(mass_gev, u2, lepton: str):
    """B(K+ → ℓ+ N) for mixing |U_ℓ4|² = ``u2``."""
    return BR_SM_LEPTONIC[lepton] * rho(mass_gev, lepton) * np.asarray(u2, dtype=float)


def u2_from_branching_ratio(br, mass_gev, lepton: str):
    """|U_ℓ4|² corresponding to B(K+ → ℓ+ N) = ``br`` (inf where ρ = 0)."""
    r = rho(mass_gev, lepton)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0.0, np.asarray(br, dtype=float) / (BR_SM_LEPTONIC[lepton] * r), np.inf)


def width_pi_lepton(mass_gev, lepton: str, u2=1.0):
    """Γ(N → π∓ ℓ±) in GeV for one charge channel (module docstring).

    >>> f"{float(width_pi_lepton(0.300, 'mu')) * 1e3:.4e}"  # MeV
    '3.5226e-13'
    """
    m_l = _lepton(lepton)
    m = np.asarray(mass_gev, dtype=float)
    open_ = m > M_PI + m_l
    mm = np.where(open_, m, 1.0)
    r_l = m_l**2 / mm**2
    r_pi = M_PI**2 / mm**2
    phase = (1.0 - (M_PI - m_l) ** 2 / mm**2) * (1.0 - (M_PI + m_l) ** 2 / mm**2)
    gamma = (
        u2
        * G_FERMI**2
        * V_UD**2
        * F_PI**2
        * mm**3
        / (16.0 * np.pi)
        * ((1.0 - r_l) ** 2 - (1.0 + r_l) * r_pi)
        * np.sqrt(np.clip(phase, 0.0, None))
    )
    return np.where(open_, gamma, 0.0)
