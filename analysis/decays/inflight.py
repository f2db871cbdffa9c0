"""Decays in flight of charged pions and muons: π± → μ±ν, π± → e±ν and μ± → e±νν̄.

A charged π or μ of momentum p decays after a flight length drawn from the
exponential law with mean βγcτ = (p/m)·cτ.  If the decay happens upstream of
``z_end`` (the last detector plane that matters), the mother is marked with its
decay z and its charged daughter is appended to the particle table (neutrinos
are not stored).  Pion decays are isotropic two-body decays; the muon decay
uses the Michel spectrum 2x²(3 − 2x), x = 2E_e/m_μ (V−A, massless electron,
muon polarisation neglected — a simplification that only moves the positron
angular distribution in the muon frame).
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import BR_PI_ENU, CTAU_MU, CTAU_PI, M_E, M_MU, M_PI
from analysis.detectors.transport import momentum_at, position_at
from analysis.kinematics import decay_length, isotropic_direction, to_lab, two_body_rest
from analysis.rng import uniform


@jit
def michel_x(state):
    """x = 2E_e/m_μ from the Michel spectrum 2x²(3 − 2x) (proposal 3x², accept (3 − 2x)/3)."""
    while True:
        x = uniform(state) ** (1.0 / 3.0)
        if 3.0 * uniform(state) < 3.0 - 2.0 * x:
            return x


@jit
def decay_probability(p, mass, ctau, length):
    """Probability 1 − exp(−L/βγcτ) that a particle of momentum p decays within ``length``.

    With ``p`` = p_z and ``length`` a distance along z, the same holds along z.
    """
    return -math.expm1(-length / decay_length(p, mass, ctau))


@jit
def _first_deviate(state, deviates, i):
    """The deviate deciding whether row i decays: drawn in advance, or drawn now."""
    if deviates is None:
        return uniform(state)
    if i < deviates.shape[0]:
        return deviates[i]
    return uniform(state)


@jit
def propagate(state, table, n, z_end, z_magnet, kick, forced, forced_pion=0.0, deviates=None):
    """Let every visible forward-going π± and μ± decay in flight before ``z_end``.

    Daughters are appended and followed in turn (π → μ → e chains).  Returns the
    new particle count and the event weight.

    ``forced`` (0 ≤ forced < 1) switches on importance sampling for Monte Carlo
    samples: a muon decays before ``z_end`` with probability ``forced`` instead of
    its natural P (≈1e-3), with weight P/forced (and (1 − P)/(1 − forced) if it
    survives); a pion decay chooses π → eν with probability ``forced`` instead of
    its branching ratio, with the matching weights.  Expected weighted counts
    are unchanged, while the rare μ → e and π → e backgrounds get ~1/P more
    Monte Carlo events.  ``forced = 0`` is the natural simulation (pseudo-data).

    ``deviates`` (optional) holds uniform deviates drawn in advance for the first
    rows: row i < len(deviates) takes ``deviates[i]`` as its first draw (whether
    it decays) instead of drawing it here, so that a caller can decide from the
    deviates alone, before the decay is generated, that no particle can decay.
    """
    weight = 1.0
    i = 0
    while i < n:
        pid = int(table[i, pt.PID])
        apid = abs(pid)
        if table[i, pt.VISIBLE] == 0.0 or table[i, pt.PZ] <= 0.0 or (apid != 211 and apid != 13):
            i += 1
            continue
        if n + 1 >= pt.MAX_PARTICLES:
            break
        mass = M_PI if apid == 211 else M_MU
        ctau = CTAU_PI if apid == 211 else CTAU_MU
        px, py, pz = table[i, pt.PX], table[i, pt.PY], table[i, pt.PZ]
        z0 = table[i, pt.Z]
        if z0 >= z_end:
            i += 1
            continue
        lam_z = decay_length(pz, mass, ctau)  # projected on z
        f = forced if apid == 13 else forced_pion
        if f > 0.0:
            p_decay = decay_probability(pz, mass, ctau, z_end - z0)
            if _first_deviate(state, deviates, i) >= f:
                weight *= (1.0 - p_decay) / (1.0 - f)
                i += 1
                continue
            weight *= p_decay / f
            # z of the decay from the exponential law truncated to [z0, z_end)
            zd = z0 - lam_z * math.log1p(-uniform(state) * p_decay)
        else:
            # natural decay: flight L = −λ ln(1 − u); P(L < z_end − z0) ≤ (z_end − z0)/λ,
            # so u above that bound needs no division or transcendental call (the common case)
            u = _first_deviate(state, deviates, i)
            if u * lam_z >= z_end - z0 or u >= decay_probability(pz, mass, ctau, z_end - z0):
                i += 1
                continue
            zd = z0 - lam_z * math.log1p(-u)
        q = pt.charge(pid)
        xd, yd = position_at(table[i, pt.X], table[i, pt.Y], z0, px, py, pz, q, zd, z_magnet, kick)
        mx, my, mz = momentum_at(px, py, pz, q, z0, zd, z_magnet, kick)
        me = math.sqrt(mx * mx + my * my + mz * mz + mass * mass)
        if apid == 211:
            p_e = forced if forced > 0.0 else BR_PI_ENU
            if uniform(state) < p_e:
                weight *= BR_PI_ENU / p_e
                m_d = M_E
                d_pid = pt.POSITRON if q > 0 else pt.ELECTRON
            else:
                weight *= (1.0 - BR_PI_ENU) / (1.0 - p_e)
                m_d = M_MU
                d_pid = pt.MUON_PLUS if q > 0 else pt.MUON_MINUS
            ux, uy, uz, pstar, e1, _ = two_body_rest(state, M_PI, m_d, 0.0)
        else:
            e1 = 0.5 * M_MU * michel_x(state)
            e1 = max(e1, M_E)
            pstar = math.sqrt(e1 * e1 - M_E * M_E)
            ux, uy, uz = isotropic_direction(state)
            d_pid = pt.POSITRON if q > 0 else pt.ELECTRON
        d = to_lab(mx, my, mz, me, mass, pstar * ux, pstar * uy, pstar * uz, e1)
        table[i, pt.DECAY_Z] = zd
        table[i, pt.CHILD] = n
        n = pt.add(table, n, d[0], d[1], d[2], d[3], xd, yd, zd, d_pid, True)
        i += 1
    return n, weight
