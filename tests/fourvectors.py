"""Four-vector arithmetic of the decay tests, written independently of the package.

Arrays have a last axis of length 4 ordered (px, py, pz, E).
"""

from __future__ import annotations

import numpy as np


def m2(p):
    """E² − |p|²."""
    return p[..., 3] ** 2 - (p[..., :3] ** 2).sum(axis=-1)


def to_rest(p, frame):
    """Four-vectors p seen in the rest frame of ``frame`` (broadcast over leading axes)."""
    m = np.sqrt(m2(frame))[..., None]
    pq = (p[..., :3] * frame[..., :3]).sum(axis=-1, keepdims=True)
    f = pq / (m * (frame[..., 3:] + m)) - p[..., 3:] / m
    return np.concatenate(
        [p[..., :3] + f * frame[..., :3], (frame[..., 3:] * p[..., 3:] - pq) / m], -1
    )
