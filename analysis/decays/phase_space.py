"""Three-body phase space in Dalitz variables, shared by every 3-body channel,
and four-body phase space factorised into two pairs.

A point of the Dalitz plot of M → a b c is (m²_ab, m²_bc), uniformly
distributed in the kinematically allowed region for pure phase space (PDG
Review, "Kinematics", eq. 49.22).  Matrix elements are applied by the channel
modules with accept–reject on top of these points.

Four-body decays M → (ab)(cd) use the recursion of n-body phase space (PDG
Review, "Kinematics", section on multibody phase space; the Raubold–Lynch
construction of GENBOD / TGenPhaseSpace):

    dΦ4(M; a, b, c, d) ∝ dΦ2(M; ab, cd) dΦ2(ab; a, b) dΦ2(cd; c, d) dm²_ab dm²_cd,
    dΦ2(M; 1, 2) ∝ (p*/M) dΩ*,

with p* the two-body momentum.  With dm² = 2m dm the masses m_ab and m_cd are
distributed as

    w(m_ab, m_cd) dm_ab dm_cd,  w = p*(M → ab cd) · p*(ab → a b) · p*(cd → c d),

on m_ab ≥ m_a + m_b, m_cd ≥ m_c + m_d, m_ab + m_cd ≤ M, and the three two-body
decays are isotropic in their own rest frames.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._jit import jit
from analysis.kinematics import (
    isotropic_frame,
    orthonormal_basis,
    to_lab,
    two_body_momentum,
    two_body_rest,
)
from analysis.rng import uniform, unit_circle


@jit
def m2_bc_limits(m_parent, ma, mb, mc, m2_ab):
    """Allowed range of m²_bc at fixed m²_ab (PDG eq. 49.23)."""
    m_ab = math.sqrt(m2_ab)
    eb = (m2_ab - ma * ma + mb * mb) / (2.0 * m_ab)
    ec = (m_parent * m_parent - m2_ab - mc * mc) / (2.0 * m_ab)
    pb = math.sqrt(max(0.0, eb * eb - mb * mb))
    pc = math.sqrt(max(0.0, ec * ec - mc * mc))
    return (eb + ec) ** 2 - (pb + pc) ** 2, (eb + ec) ** 2 - (pb - pc) ** 2


@jit
def kibble(x, y, z, u, v, w):
    """The basic four-particle Gram determinant G(x, y, z, u, v, w).

    E. Byckling and K. Kajantie, *Particle Kinematics* (Wiley, 1973), eq. (IV.5.23).
    """
    return (
        x * x * y + x * y * y + z * z * u + z * u * u + v * v * w + v * w * w
        + x * z * w + x * u * v + y * z * v + y * u * w
        - x * y * (z + u + v + w) - z * u * (x + y + v + w) - v * w * (x + y + z + u)
    )  # fmt: skip


@jit
def inside(m_parent, ma, mb, mc, m2_ab, m2_bc):
    """True if (m²_ab, m²_bc) lies inside the Dalitz plot.

    Inside the rectangle of the two ranges the Dalitz region is
    G(m²_ab, m²_bc, m²_a, m²_c, M², m²_b) ≤ 0 (Byckling–Kajantie, ch. V.3):
    a polynomial test, without the square roots and divisions of
    :func:`m2_bc_limits` (this test is the inner loop of every 3-body generator).
    """
    if m2_ab < (ma + mb) ** 2 or m2_ab > (m_parent - mc) ** 2:
        return False
    if m2_bc < (mb + mc) ** 2 or m2_bc > (m_parent - ma) ** 2:
        return False
    return kibble(m2_ab, m2_bc, ma * ma, mc * mc, m_parent * m_parent, mb * mb) <= 0.0


@jit
def sample_point(state, m_parent, ma, mb, mc):
    """A Dalitz point uniform in the allowed region (rectangle rejection)."""
    ab_lo = (ma + mb) ** 2
    ab_hi = (m_parent - mc) ** 2
    bc_lo = (mb + mc) ** 2
    bc_hi = (m_parent - ma) ** 2
    while True:
        m2_ab = ab_lo + (ab_hi - ab_lo) * uniform(state)
        m2_bc = bc_lo + (bc_hi - bc_lo) * uniform(state)
        if inside(m_parent, ma, mb, mc, m2_ab, m2_bc):
            return m2_ab, m2_bc


@jit
def rest_frame_energies(m_parent, ma, mb, mc, m2_ab, m2_bc):
    """Energies of a, b, c in the parent rest frame at a Dalitz point."""
    s = m_parent * m_parent
    ea = (s + ma * ma - m2_bc) / (2.0 * m_parent)
    ec = (s + mc * mc - m2_ab) / (2.0 * m_parent)
    return ea, m_parent - ea - ec, ec


@jit
def rest_frame_momenta(state, m_parent, ma, mb, mc, m2_ab, m2_bc):
    """Momentum vectors of a, b, c at rest, with a random orientation of the decay plane.

    Returns ``(ax, ay, az, ea, bx, by, bz, eb, cx, cy, cz, ec)``.
    """
    ea, eb, ec = rest_frame_energies(m_parent, ma, mb, mc, m2_ab, m2_bc)
    pa = math.sqrt(max(0.0, ea * ea - ma * ma))
    pc = math.sqrt(max(0.0, ec * ec - mc * mc))
    # angle between a and c from momentum balance: pb² = pa² + pc² + 2 pa pc cos(ac)
    if pa > 0.0 and pc > 0.0:
        cos_ac = (eb * eb - mb * mb - pa * pa - pc * pc) / (2.0 * pa * pc)
        cos_ac = min(1.0, max(-1.0, cos_ac))
    else:
        cos_ac = 1.0
    sin_ac = math.sqrt(1.0 - cos_ac * cos_ac)
    ux, uy, uz, e1x, e1y, e1z, e2x, e2y, e2z = isotropic_frame(state)
    cp, sp = unit_circle(state)
    wx = cos_ac * ux + sin_ac * (cp * e1x + sp * e2x)
    wy = cos_ac * uy + sin_ac * (cp * e1y + sp * e2y)
    wz = cos_ac * uz + sin_ac * (cp * e1z + sp * e2z)
    cx, cy, cz = pc * ux, pc * uy, pc * uz
    ax, ay, az = pa * wx, pa * wy, pa * wz
    return ax, ay, az, ea, -ax - cx, -ay - cy, -az - cz, eb, cx, cy, cz, ec


# ----------------------------------------------------------------- four-body: M → (ab)(cd)


@jit
def pair_weight(m_parent, ma, mb, mc, md, m_ab, m_cd):
    """Four-body phase-space density w(m_ab, m_cd) of the module docstring; 0 outside."""
    if m_ab <= ma + mb or m_cd <= mc + md or m_ab + m_cd >= m_parent:
        return 0.0
    return (
        two_body_momentum(m_parent, m_ab, m_cd)
        * two_body_momentum(m_ab, ma, mb)
        * two_body_momentum(m_cd, mc, md)
    )


def max_pair_weight(m_parent, ma, mb, mc, md, n=101):
    """Maximum of :func:`pair_weight` (grid scan refined around the best node, 2% margin)."""
    lo_ab, hi_ab = ma + mb, m_parent - mc - md
    lo_cd, hi_cd = mc + md, m_parent - ma - mb
    best = 0.0
    for _ in range(3):  # a coarse grid, then two finer ones around the best node
        step_ab, step_cd = (hi_ab - lo_ab) / (n - 1), (hi_cd - lo_cd) / (n - 1)
        best_ab, best_cd = lo_ab, lo_cd
        for m_ab in np.linspace(lo_ab, hi_ab, n):
            m_cd = np.linspace(lo_cd, hi_cd, n)
            w = _pair_weight_row(m_parent, ma, mb, mc, md, m_ab, m_cd)
            j = int(np.argmax(w))  # the first node of the row's maximum
            if w[j] > best:
                best, best_ab, best_cd = float(w[j]), m_ab, float(m_cd[j])
        lo_ab, hi_ab = best_ab - step_ab, best_ab + step_ab
        lo_cd, hi_cd = best_cd - step_cd, best_cd + step_cd
    return 1.02 * best


def _p_star(m_parent, m1, m2):
    """:func:`analysis.kinematics.two_body_momentum` on arrays, 0 where it is 0 or NaN."""
    s = m_parent * m_parent
    lam = (s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)
    return np.sqrt(np.maximum(lam, 0.0)) / (2.0 * m_parent)


def _pair_weight_row(m_parent, ma, mb, mc, md, m_ab, m_cd):
    """:func:`pair_weight` at one m_ab for an array of m_cd (0 outside the phase space)."""
    inside = (m_ab > ma + mb) & (m_cd > mc + md) & (m_ab + m_cd < m_parent)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = _p_star(m_parent, m_ab, m_cd) * _p_star(m_ab, ma, mb) * _p_star(m_cd, mc, md)
    return np.where(inside, w, 0.0)


@jit
def sample_pair_masses(state, m_parent, ma, mb, mc, md, w_max):
    """(m_ab, m_cd) distributed as :func:`pair_weight` (uniform rectangle, accept–reject)."""
    lo_ab, hi_ab = ma + mb, m_parent - mc - md
    lo_cd, hi_cd = mc + md, m_parent - ma - mb
    while True:
        m_ab = lo_ab + (hi_ab - lo_ab) * uniform(state)
        m_cd = lo_cd + (hi_cd - lo_cd) * uniform(state)
        if m_ab + m_cd < m_parent and uniform(state) * w_max < pair_weight(
            m_parent, ma, mb, mc, md, m_ab, m_cd
        ):
            return m_ab, m_cd


@jit
def four_body_momenta(state, m_parent, ma, mb, mc, md, m_ab, m_cd):
    """Four-momenta of a, b, c, d in the parent rest frame for pair masses (m_ab, m_cd).

    M → (ab)(cd), ab → a b and cd → c d are isotropic in their rest frames.
    Returns ``(ax, ay, az, ea, bx, by, bz, eb, cx, cy, cz, ec, dx, dy, dz, ed)``.
    """
    ux, uy, uz, p, e_ab, e_cd = two_body_rest(state, m_parent, m_ab, m_cd)
    vx, vy, vz, q, ea, eb = two_body_rest(state, m_ab, ma, mb)
    a = to_lab(p * ux, p * uy, p * uz, e_ab, m_ab, q * vx, q * vy, q * vz, ea)
    b = to_lab(p * ux, p * uy, p * uz, e_ab, m_ab, -q * vx, -q * vy, -q * vz, eb)
    wx, wy, wz, r, ec, ed = two_body_rest(state, m_cd, mc, md)
    c = to_lab(-p * ux, -p * uy, -p * uz, e_cd, m_cd, r * wx, r * wy, r * wz, ec)
    d = to_lab(-p * ux, -p * uy, -p * uz, e_cd, m_cd, -r * wx, -r * wy, -r * wz, ed)
    return (
        a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3],
        c[0], c[1], c[2], c[3], d[0], d[1], d[2], d[3],
    )  # fmt: skip


@jit
def pair_decay_lab(state, parent, m_parent, p, d, e_pair, m_pair, q, e_d, c):
    """Lab four-momenta of the two equal-mass daughters of a pair (a virtual γ*, a νν̄).

    ``parent`` = (px, py, pz, E) of the decaying parent (mass ``m_parent``) in the lab;
    the pair flies with momentum ``p`` along the unit vector ``d`` in the parent frame,
    with energy ``e_pair`` and mass ``m_pair``.  In the pair frame the first daughter
    (momentum ``q``, energy ``e_d``) goes at cos θ = ``c`` to ``d`` with a uniform
    azimuth, the second opposite.  Returns (first, second), each (px, py, pz, E).
    """
    dx, dy, dz = d
    s = math.sqrt(max(0.0, 1.0 - c * c))
    e1x, e1y, e1z, e2x, e2y, e2z = orthonormal_basis(dx, dy, dz)
    cp, sp = unit_circle(state)
    wx = c * dx + s * (cp * e1x + sp * e2x)
    wy = c * dy + s * (cp * e1y + sp * e2y)
    wz = c * dz + s * (cp * e1z + sp * e2z)
    gx, gy, gz = p * dx, p * dy, p * dz
    a = to_lab(gx, gy, gz, e_pair, m_pair, q * wx, q * wy, q * wz, e_d)
    b = to_lab(gx, gy, gz, e_pair, m_pair, -q * wx, -q * wy, -q * wz, e_d)
    px, py, pz, e = parent
    first = to_lab(px, py, pz, e, m_parent, a[0], a[1], a[2], a[3])
    second = to_lab(px, py, pz, e, m_parent, b[0], b[1], b[2], b[3])
    return first, second
