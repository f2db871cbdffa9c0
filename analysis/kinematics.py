"""Relativistic kinematics, written once and used by every decay channel.

Four-vectors are passed as scalars ``(px, py, pz, E)`` in GeV; all functions
are Numba kernels (see :mod:`analysis._jit`).  Formulas: PDG Review,
"Kinematics" (section 49 in the 2024 edition).
"""

from __future__ import annotations

import math

import numpy as np

from analysis._jit import jit
from analysis.rng import uniform, unit_circle


@jit
def kallen(a, b, c):
    """Källén triangle function λ(a, b, c) = a² + b² + c² − 2(ab + bc + ca)."""
    return a * a + b * b + c * c - 2.0 * (a * b + b * c + c * a)


@jit
def two_body_momentum(m_parent, m1, m2):
    """Daughter momentum p* in the rest frame of ``m_parent`` → m1 m2.

    p* = √[(M² − (m1+m2)²)(M² − (m1−m2)²)] / (2M); 0 at threshold, NaN below.
    """
    s = m_parent * m_parent
    lam = (s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)
    if lam < 0.0:
        if lam > -1e-15 * s * s:
            return 0.0
        return np.nan
    return math.sqrt(lam) / (2.0 * m_parent)


@jit
def mass_squared(px, py, pz, e):
    """Invariant mass squared E² − |p|²."""
    return e * e - (px * px + py * py + pz * pz)


@jit(inline="always")
def energy(px, py, pz, m):
    """Energy of a particle of mass ``m`` and momentum ``p``."""
    return math.sqrt(px * px + py * py + pz * pz + m * m)


@jit
def boost(px, py, pz, e, bx, by, bz):
    """Lorentz-boost a four-vector by velocity β = (bx, by, bz) (|β| < 1).

    A vector at rest in the frame moving with β ends up with velocity β.
    """
    b2 = bx * bx + by * by + bz * bz
    if b2 <= 0.0:
        return px, py, pz, e
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    g2 = (gamma - 1.0) / b2
    f = g2 * bp + gamma * e
    return px + f * bx, py + f * by, pz + f * bz, gamma * (e + bp)


@jit(inline="always")
def decay_length(p, mass, ctau):
    """Mean flight length βγcτ = (p/m)·cτ of a particle of momentum ``p`` (units of cτ).

    With ``p`` a momentum component (e.g. p_z) it is the decay length projected on
    that axis.
    """
    return p / mass * ctau


@jit(inline="always")
def daughter_pz_min(px, py, pz, p_star, e_star, m_parent):
    """A lower bound of p_z of a daughter of rest-frame momentum p* and energy E*.

    The parent (px, py, pz), of mass ``m_parent``, flies forward.  Whatever the
    decay direction, p_z = p*_⊥·ẑ + γ(p*_∥ + βE*) n_z (n the parent direction),
    hence p_z ≥ n_z γ(βE* − p*) − p* sin θ = p_z (E* − p* E/p)/m − p* sin θ.
    With E/p ≤ 1 + m²/(2p_z²) and sin θ ≤ (|p_x| + |p_y|)/p_z it needs a single
    division; it falls with p*, so a channel with a range of p* takes its largest.
    """
    return pz * (e_star - p_star) / m_parent - p_star * (0.5 * m_parent + abs(px) + abs(py)) / pz


@jit
def to_lab(px, py, pz, e, m, qx, qy, qz, qe):
    """Four-vector q given in the rest frame of a parent (px, py, pz, e; mass m), in the lab.

    E = (e·q_e + P·q)/m,  p = q + P·[P·q/(m(e + m)) + q_e/m] — the boost written
    with the parent's four-momentum, without square roots.
    """
    pq = px * qx + py * qy + pz * qz
    f = pq / (m * (e + m)) + qe / m
    return qx + f * px, qy + f * py, qz + f * pz, (e * qe + pq) / m


@jit
def isotropic_direction(state):
    """A unit vector uniformly distributed on the sphere."""
    cos_t = 2.0 * uniform(state) - 1.0
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    c, s = unit_circle(state)
    return sin_t * c, sin_t * s, cos_t


@jit
def isotropic_frame(state):
    """A unit vector u uniform on the sphere and two unit vectors completing it to a basis.

    With u = (sin θ cos φ, sin θ sin φ, cos θ) the spherical unit vectors
    e_θ = (cos θ cos φ, cos θ sin φ, −sin θ) and e_φ = (−sin φ, cos φ, 0) are
    orthogonal to u and to each other; unlike :func:`orthonormal_basis` they
    need no normalisation.  Returns (ux, uy, uz, e1x, e1y, e1z, e2x, e2y, e2z).
    """
    cos_t = 2.0 * uniform(state) - 1.0
    sin_t = math.sqrt(max(0.0, 1.0 - cos_t * cos_t))
    c, s = unit_circle(state)
    return sin_t * c, sin_t * s, cos_t, cos_t * c, cos_t * s, -sin_t, -s, c, 0.0


@jit
def orthonormal_basis(ux, uy, uz):
    """Two unit vectors that complete the unit vector u to a right-handed basis."""
    if abs(uz) < 0.9:
        # e1 = normalised (u × z)
        ax, ay, az = uy, -ux, 0.0
    else:
        # e1 = normalised (u × x)
        ax, ay, az = 0.0, uz, -uy
    n = math.sqrt(ax * ax + ay * ay + az * az)
    ax, ay, az = ax / n, ay / n, az / n
    bx = uy * az - uz * ay
    by = uz * ax - ux * az
    bz = ux * ay - uy * ax
    return ax, ay, az, bx, by, bz


@jit
def two_body_rest(state, m_parent, m1, m2):
    """Isotropic two-body decay at rest: returns (ux, uy, uz, p*, E1, E2).

    Daughter 1 moves along +u with momentum p*, daughter 2 along −u.
    """
    p = two_body_momentum(m_parent, m1, m2)
    ux, uy, uz = isotropic_direction(state)
    return ux, uy, uz, p, math.sqrt(p * p + m1 * m1), math.sqrt(p * p + m2 * m2)


@jit
def velocity(px, py, pz, e):
    """Velocity β = p/E of a four-vector."""
    return px / e, py / e, pz / e
