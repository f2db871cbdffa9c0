"""Missing mass of single-track kaon decays: m²_miss = (P_K − P_ℓ)² (PHYSICS.md §4).

P_K is a four-momentum of the kaon (nominal or measured) and P_ℓ the track's
momentum under a mass hypothesis.  Everything is float64: near thresholds
m²_miss is a small difference of large numbers (E_K ~ 75 GeV).
"""

from __future__ import annotations

import numpy as np

from analysis.constants import M_K


def missing_mass_squared(kaon_p, px, py, pz, m_track):
    """m²_miss in GeV² for kaon momentum ``kaon_p`` = (px, py, pz) and track momenta arrays.

    ``kaon_p`` may be a 3-vector (nominal kaon) or three arrays (per-event kaon).
    """
    kx, ky, kz = (np.asarray(c, dtype=np.float64) for c in kaon_p)
    px, py, pz = (np.asarray(c, dtype=np.float64) for c in (px, py, pz))
    e_k = np.sqrt(kx * kx + ky * ky + kz * kz + M_K * M_K)
    e_t = np.sqrt(px * px + py * py + pz * pz + m_track * m_track)
    return (e_k - e_t) ** 2 - ((kx - px) ** 2 + (ky - py) ** 2 + (kz - pz) ** 2)


def signed_mass_mev(m2_gev2):
    """sign(m²)·√|m²| in MeV: keeps resolution tails below zero visible."""
    m2 = np.asarray(m2_gev2, dtype=np.float64)
    return np.sign(m2) * np.sqrt(np.abs(m2)) * 1e3
