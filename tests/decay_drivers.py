"""Compiled drivers of the decay tests: many decays of one channel at a fixed vertex."""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.constants import M_K
from analysis.decays import dispatch

#: decay vertex of every test decay (m)
VX, VY, VZ = 0.01, -0.02, 120.0


@jit(allocates=True)
def new_state(key):
    """The random state of block 0 of the stream ``key``."""
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    return state


@jit(allocates=True)
def decays(key, code, n, rows, px, py, pz, m_hnl, lifetime_ps):
    """n K+ decays through dispatch.generate: the first ``rows`` rows of each table, counts."""
    state = new_state(key)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    out = np.zeros((n, rows, pt.N_COLUMNS))
    counts = np.empty(n, np.int64)
    e = math.sqrt(px * px + py * py + pz * pz + M_K * M_K)
    for i in range(n):
        table[:] = 0.0
        counts[i] = dispatch.generate(
            code, state, table, px, py, pz, e, VX, VY, VZ, m_hnl, lifetime_ps
        )
        out[i] = table[:rows]
    return out, counts
