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
from analysis.kinematics import boost, isotropic_direction, two_body_rest
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
    """Probability that a particle of momentum p decays within ``length`` (metres)."""
    return 1.0 - math.exp(-length * mass / (p * ctau))


@jit
def propagate(state, table, n, z_end, z_magnet, kick):
    """Let every visible forward-going π± and μ± decay in flight before ``z_end``.

    Daughters are appended and followed in turn (π → μ → e chains).
    Returns the new particle count.
    """
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
        p = math.sqrt(px * px + py * py + pz * pz)
        flight = -math.log(uniform(state)) * p / mass * ctau
        z0 = table[i, pt.Z]
        zd = z0 + flight * pz / p
        if zd >= z_end:
            i += 1
            continue
        q = pt.charge(pid)
        xd, yd = position_at(table[i, pt.X], table[i, pt.Y], z0, px, py, pz, q, zd, z_magnet, kick)
        mx, my, mz = momentum_at(px, py, pz, q, z0, zd, z_magnet, kick)
        me = math.sqrt(mx * mx + my * my + mz * mz + mass * mass)
        bx, by, bz = mx / me, my / me, mz / me
        if apid == 211:
            if uniform(state) < BR_PI_ENU:
                m_d = M_E
                d_pid = pt.POSITRON if q > 0 else pt.ELECTRON
            else:
                m_d = M_MU
                d_pid = pt.MUON_PLUS if q > 0 else pt.MUON_MINUS
            ux, uy, uz, pstar, e1, _ = two_body_rest(state, M_PI, m_d, 0.0)
        else:
            e1 = 0.5 * M_MU * michel_x(state)
            e1 = max(e1, M_E)
            pstar = math.sqrt(e1 * e1 - M_E * M_E)
            ux, uy, uz = isotropic_direction(state)
            d_pid = pt.POSITRON if q > 0 else pt.ELECTRON
        d = boost(pstar * ux, pstar * uy, pstar * uz, e1, bx, by, bz)
        table[i, pt.DECAY_Z] = zd
        table[i, pt.CHILD] = n
        n = pt.add(table, n, d[0], d[1], d[2], d[3], xd, yd, zd, d_pid, True)
        i += 1
    return n
