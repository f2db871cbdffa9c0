"""Accept–reject on the Dalitz plot under a piecewise-constant envelope.

A three-body matrix element is applied by accept–reject on Dalitz points
(:mod:`analysis.decays.phase_space`).  With one bound over the whole rectangle
m²_ab × m²_bc, a K+ → π0e+ν point takes about ten points of the rectangle (62%
of it is inside the Dalitz region, and the density averages 0.39 of its
maximum there), each a random branch the processor mispredicts.  Here the
rectangle is cut into ``n × n`` cells, each with its own bound:

1. a cell is chosen with probability ∝ its bound (the cells have equal areas)
   by Walker's alias method (A. J. Walker, ACM Trans. Math. Softw. 3 (1977)
   253; one uniform deviate gives the cell and the coin);
2. the point is uniform in the cell;
3. it is kept with probability density/bound, and never outside the Dalitz
   region (tested only in the cells the region's boundary crosses).

The points follow the density exactly wherever every cell's bound is at least
the density in the cell.  The bound of a cell inside the region is ``margin``
times the largest density on a grid of ``sub × sub`` points of the cell
(corners included); a cell that the boundary crosses, whose part of the region
may fall between the grid points, takes ``margin`` times the largest density
of its own and its eight neighbours' grids.  ``tests/test_decays.py`` checks the bounds
against the density on a much finer sample.  For K_e3 (K_μ3) 82% (70%) of the
proposed points are kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from analysis._jit import jit
from analysis.decays.phase_space import kibble
from analysis.rng import uniform

#: Columns of the cell table: alias threshold, alias cell, bound, boundary flag, and the
#: cell's indices along m²_ab and m²_bc (stored: an integer division costs more than
#: the rest of a proposal).
_PROB, _ALIAS, _BOUND, _EDGE, _I_AB, _I_BC = range(6)


def inside_region(m_parent, ma, mb, mc, m2_ab, m2_bc):
    """Vectorised :func:`analysis.decays.phase_space.inside` (NumPy arrays)."""
    in_ab = ((ma + mb) ** 2 <= m2_ab) & (m2_ab <= (m_parent - mc) ** 2)
    in_bc = ((mb + mc) ** 2 <= m2_bc) & (m2_bc <= (m_parent - ma) ** 2)
    g = kibble.py_func(m2_ab, m2_bc, ma * ma, mc * mc, m_parent * m_parent, mb * mb)
    return in_ab & in_bc & (g <= 0.0)


def _alias_table(weights):
    """Walker's alias table (Vose's construction) for ``weights`` ≥ 0: (threshold, alias)."""
    k = weights.size
    scaled = weights * (k / weights.sum())
    prob = np.ones(k)
    alias = np.arange(k)
    small = [i for i in range(k) if scaled[i] < 1.0]
    large = [i for i in range(k) if scaled[i] >= 1.0]
    while small and large:
        s, big = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = big
        scaled[big] -= 1.0 - scaled[s]
        (small if scaled[big] < 1.0 else large).append(big)
    return prob, alias


def build(
    density: Callable[[np.ndarray, np.ndarray], np.ndarray],
    m_parent: float,
    ma: float,
    mb: float,
    mc: float,
    n: int = 32,
    sub: int = 9,
    margin: float = 1.05,
) -> tuple[np.ndarray, np.ndarray]:
    """The envelope of ``density`` (NumPy arrays of m²_ab, m²_bc → density ≥ 0).

    Returns ``(grid, cells)``: ``grid`` = (m²_ab low edge, m²_bc low edge, cell
    widths in m²_ab and m²_bc, n) and ``cells`` one row per cell (index
    i_ab·n + i_bc) with the columns of the alias table, the bound, whether
    the region's boundary crosses the cell, i_ab and i_bc, for :func:`propose`.
    """
    ab_lo, ab_hi = (ma + mb) ** 2, (m_parent - mc) ** 2
    bc_lo, bc_hi = (mb + mc) ** 2, (m_parent - ma) ** 2
    da, db = (ab_hi - ab_lo) / n, (bc_hi - bc_lo) / n
    t = np.linspace(0.0, 1.0, sub)
    ia, ib, sa, sb = np.meshgrid(np.arange(n), np.arange(n), t, t, indexing="ij")
    a = (ab_lo + (ia + sa) * da).ravel()
    b = (bc_lo + (ib + sb) * db).ravel()
    ok = inside_region(m_parent, ma, mb, mc, a, b)
    rho = np.zeros(a.size)
    rho[ok] = density(a[ok], b[ok])
    if np.any(rho < 0.0):
        raise ValueError("the density is negative inside the Dalitz region")
    rho = rho.reshape(n, n, sub * sub)
    own = rho.max(axis=2)
    full = ok.reshape(n, n, sub * sub).all(axis=2)  # convex region: corners inside ⇒ cell inside
    padded = np.pad(own, 1)
    around = np.max(
        [padded[1 + i : n + 1 + i, 1 + j : n + 1 + j] for i in (-1, 0, 1) for j in (-1, 0, 1)],
        axis=0,
    )
    bound = margin * np.where(full, own, around)
    prob, alias = _alias_table(bound.ravel())
    i_ab, i_bc = np.divmod(np.arange(n * n), n)
    cells = np.column_stack([prob, alias, bound.ravel(), ~full.ravel(), i_ab, i_bc])
    cells = cells.astype(np.float64)
    grid = np.array([ab_lo, bc_lo, da, db, float(n)])
    return grid, cells


@jit
def propose(state, grid, cells):
    """A point under the envelope: (m²_ab, m²_bc, bound of its cell, whether its cell
    needs the test of the Dalitz region); keep it with probability density/bound."""
    k = cells.shape[0]
    u = uniform(state) * k
    i = int(u)
    alias = int(cells[i, _ALIAS])
    i = alias if u - i >= cells[i, _PROB] else i  # a select, not a branch
    m2_ab = grid[0] + (cells[i, _I_AB] + uniform(state)) * grid[2]
    m2_bc = grid[1] + (cells[i, _I_BC] + uniform(state)) * grid[3]
    return m2_ab, m2_bc, cells[i, _BOUND], cells[i, _EDGE] > 0.0
