"""Three-body phase space in Dalitz variables, shared by every 3-body channel.

A point of the Dalitz plot of M → a b c is (m²_ab, m²_bc), uniformly
distributed in the kinematically allowed region for pure phase space (PDG
Review, "Kinematics", eq. 49.22).  Matrix elements are applied by the channel
modules with accept–reject on top of these points.
"""

from __future__ import annotations

import math

from analysis._jit import jit
from analysis.kinematics import isotropic_direction, orthonormal_basis
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
def inside(m_parent, ma, mb, mc, m2_ab, m2_bc):
    """True if (m²_ab, m²_bc) lies inside the Dalitz plot."""
    if m2_ab < (ma + mb) ** 2 or m2_ab > (m_parent - mc) ** 2:
        return False
    lo, hi = m2_bc_limits(m_parent, ma, mb, mc, m2_ab)
    return lo <= m2_bc <= hi


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
    pb = math.sqrt(max(0.0, eb * eb - mb * mb))
    pc = math.sqrt(max(0.0, ec * ec - mc * mc))
    # angle between a and c from momentum balance: pb² = pa² + pc² + 2 pa pc cos(ac)
    if pa > 0.0 and pc > 0.0:
        cos_ac = (pb * pb - pa * pa - pc * pc) / (2.0 * pa * pc)
        cos_ac = min(1.0, max(-1.0, cos_ac))
    else:
        cos_ac = 1.0
    sin_ac = math.sqrt(1.0 - cos_ac * cos_ac)
    ux, uy, uz = isotropic_direction(state)
    e1x, e1y, e1z, e2x, e2y, e2z = orthonormal_basis(ux, uy, uz)
    cp, sp = unit_circle(state)
    wx = cos_ac * ux + sin_ac * (cp * e1x + sp * e2x)
    wy = cos_ac * uy + sin_ac * (cp * e1y + sp * e2y)
    wz = cos_ac * uz + sin_ac * (cp * e1z + sp * e2z)
    cx, cy, cz = pc * ux, pc * uy, pc * uz
    ax, ay, az = pa * wx, pa * wy, pa * wz
    return ax, ay, az, ea, -ax - cx, -ay - cy, -az - cz, eb, cx, cy, cz, ec
