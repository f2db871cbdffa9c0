"""The per-event particle table shared by generators and detector models.

An event is a small float64 array ``P[MAX_PARTICLES, N_COLUMNS]``: one row per
particle, filled by the decay generators and read by the detector response.
Rows carry the momentum at production, the production point, the PDG code,
whether the particle reaches the detector as itself (``VISIBLE``), the z where
it decays in flight (``DECAY_Z``, +inf if it does not) and the row of its
charged daughter (``CHILD``, −1 if none), so that a π → μ ν decay inside the
spectrometer can be followed plane by plane.
"""

from __future__ import annotations

import math

import numpy as np

from analysis._jit import jit
from analysis.constants import M_E, M_MU, M_PI

PX, PY, PZ, E, X, Y, Z, PID, VISIBLE, DECAY_Z, CHILD = range(11)
N_COLUMNS = 11
MAX_PARTICLES = 16

# PDG Monte Carlo particle codes (the K+ final states use the charge-signed codes).
ELECTRON = 11
POSITRON = -11
MUON_MINUS = 13
MUON_PLUS = -13
NEUTRINO = 12
PHOTON = 22
PI0 = 111
PI_PLUS = 211
PI_MINUS = -211
HNL = 9900012


def new_table() -> np.ndarray:
    """An empty particle table for one event."""
    return np.zeros((MAX_PARTICLES, N_COLUMNS))


@jit
def charge(pid):
    """Electric charge (units of e) of a PDG code used in this package."""
    if pid == POSITRON or pid == MUON_PLUS or pid == PI_PLUS:
        return 1
    if pid == ELECTRON or pid == MUON_MINUS or pid == PI_MINUS:
        return -1
    return 0


@jit
def mass(pid):
    """Mass (GeV) of a charged lepton or pion PDG code (0 for photons and neutrinos)."""
    a = abs(pid)
    if a == 211:
        return M_PI
    if a == 13:
        return M_MU
    if a == 11:
        return M_E
    return 0.0


@jit
def momentum(table, i):
    """Momentum magnitude |p| of row i."""
    return math.sqrt(table[i, PX] ** 2 + table[i, PY] ** 2 + table[i, PZ] ** 2)


@jit
def add(table, n, px, py, pz, e, x, y, z, pid, visible):
    """Append a particle at row ``n``; returns the new row count."""
    table[n, PX] = px
    table[n, PY] = py
    table[n, PZ] = pz
    table[n, E] = e
    table[n, X] = x
    table[n, Y] = y
    table[n, Z] = z
    table[n, PID] = pid
    table[n, VISIBLE] = 1.0 if visible else 0.0
    table[n, DECAY_Z] = np.inf
    table[n, CHILD] = -1.0
    return n + 1
