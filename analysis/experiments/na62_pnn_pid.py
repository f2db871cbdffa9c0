"""Particle identification of the NA62 2016 run: MUV3, calorimeters and the RICH.

The π/μ/e identification of the single track of :mod:`analysis.experiments.na62_pnn`
as probabilities (the Monte Carlo's weights, the pseudo-data's decisions), the
bound of the PNN stream's pass probability that lets the pseudo-data skip most
decays before generating them, and the RICH Cherenkov angle with its
importance sampling.  Every kernel takes the run's geometry record ``g``.
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.experiments.na62_response import _position, alive_at
from analysis.rng import normal, uniform


@jit
def in_pid_acceptance(table, i, g):
    """Whether track i's chain reaches the LKr and the MUV3 inside their active areas."""
    j = alive_at(table, i, g.lkr_z)
    if j < 0 or table[j, pt.PZ] <= 0.0:
        return False
    x, y = _position(table, j, g.lkr_z, g)
    r2 = x * x + y * y
    if r2 < g.lkr_r_inner**2 or r2 > g.lkr_r_outer**2:
        return False
    j = alive_at(table, i, g.muv3_z)
    if j < 0 or table[j, pt.PZ] <= 0.0:
        return False
    x, y = _position(table, j, g.muv3_z, g)
    return (
        abs(x) <= g.muv3_half_size
        and abs(y) <= g.muv3_half_size
        and x * x + y * y >= g.muv3_r_hole**2
    )


@jit
def pion_identified_probability(g):
    """P(no MUV3 signal and a pion-like calorimetric response) for a pion reaching the MUV3.

    The largest value :func:`pion_id_probability` takes.
    """
    return (1.0 - g.muv3_pion_punch_through) * g.pid_calo_pion_efficiency


@jit
def pion_id_probability(table, i, g):
    """P(no MUV3 signal and a pion-like calorimetric response) for track i.

    The species reaching the MUV3 decides: a muon above ``muv3.p_min`` fires it
    with ``muv3.muon_efficiency``, a pion punches through with
    ``muv3.pion_punch_through``; the calorimeters then call the particle a pion
    with ``pid.calo_*`` (pion efficiency, μ and e mis-identification).
    """
    j = alive_at(table, i, g.muv3_z)
    apid = abs(int(table[j, pt.PID]))
    if apid == 13:
        fire = g.muv3_muon_efficiency if pt.momentum(table, j) > g.muv3_p_min else 0.0
        return (1.0 - fire) * g.pid_calo_muon_misid
    if apid == 211:
        return pion_identified_probability(g)
    return g.pid_calo_electron_misid


@jit
def lepton_pid_max(g):
    """Largest :func:`pion_id_probability` of a track that reaches the MUV3 as a μ or e.

    Only a track that is a pion there can pass the identification with a larger
    probability.
    """
    return max(g.pid_calo_muon_misid, g.pid_calo_electron_misid)


@jit
def pnn_pass_bound(g):
    """Upper bound of the probability that an event of the PNN stream is written.

    The stream keeps an event when its deviate u lies below w_pid × w_veto, the
    product of :func:`pion_id_probability` (at most that of a pion), the photon
    and multiplicity silence probabilities (≤ 1), the random-veto survival and
    the trigger efficiency; the bound takes the factors in the kernel's order,
    so that rounding cannot push a product above it.  The pseudo-data draws u
    before the beam spot: an event with u at or above the bound is counted but
    not generated (49% of them with the 2016 numbers).
    """
    pid_max = max(pion_identified_probability(g), g.pid_calo_muon_misid, g.pid_calo_electron_misid)
    return (1.0 - g.pid_random_veto) * g.pnn_trigger_efficiency * pid_max


@jit
def cherenkov_angle(p, mass, n_minus_1):
    """Cherenkov angle (rad) of a particle of momentum p and mass m; NaN below threshold."""
    beta = p / math.sqrt(p * p + mass * mass)
    x = 1.0 / ((1.0 + n_minus_1) * beta)
    if x >= 1.0:
        return np.nan
    return math.acos(x)


@jit
def _theta_of_mass(m, p, n_minus_1):
    """Cherenkov angle at which a track of momentum p shows the RICH mass m (0 if none)."""
    c = math.sqrt(1.0 + (m / p) ** 2) / (1.0 + n_minus_1)
    return math.acos(c) if c < 1.0 else 0.0


@jit
def rich_importance(state, theta, p, g):
    """Measured Cherenkov angle drawn by defensive importance sampling, and its weight.

    With probability ½ the natural Gaussian smearing, else uniform over the angles
    whose RICH mass lies in the pion window [importance.rich_m_lo, rich_m_hi]; the
    weight is the ratio of the natural density to the mixture.  Muons thus reach
    the pion window ~50 times more often (the μ rejection of the RICH is ~1e-2)
    while every average stays unbiased.
    """
    sigma = g.rich_sigma_theta
    lo = _theta_of_mass(g.importance_rich_m_hi, p, g.rich_n_minus_1)
    hi = _theta_of_mass(g.importance_rich_m_lo, p, g.rich_n_minus_1)
    if uniform(state) < 0.5 or hi <= lo:
        measured = theta + sigma * normal(state)
    else:
        measured = lo + (hi - lo) * uniform(state)
    if hi <= lo:
        return measured, 1.0
    z = (measured - theta) / sigma
    natural = math.exp(-0.5 * z * z) / (sigma * math.sqrt(2.0 * math.pi))
    window = 1.0 / (hi - lo) if lo <= measured <= hi else 0.0
    return measured, natural / (0.5 * natural + 0.5 * window)
