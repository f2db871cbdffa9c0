"""Draw many values from a compiled sampler ``f(state, *args)`` with a fresh block stream.

The statistical tests of the samplers (random numbers, decays, kinematics) all need
the same loop; it is written once here.  ``f`` is a Numba-compiled function; scalar
results fill a 1-d array, tuples a 2-d array with one column per element.
"""

from __future__ import annotations

import numba
import numpy as np

from analysis import rng


@numba.njit
def _state(key, block):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, block)
    return state


@numba.njit
def _scalars(f, key, block, n, args):
    state = _state(key, block)
    out = np.empty(n)
    for i in range(n):
        out[i] = f(state, *args)
    return out


@numba.njit
def _tuples(f, key, block, n, width, args):
    state = _state(key, block)
    out = np.empty((n, width))
    for i in range(n):
        out[i] = np.asarray(f(state, *args))
    return out


def draw(f, key, n, *args, width=None, block=0):
    """``n`` results of ``f(state, *args)``; ``width`` = tuple length (None for scalars)."""
    if width is None:
        return _scalars(f, key, block, n, args)
    return _tuples(f, key, block, n, width, args)
