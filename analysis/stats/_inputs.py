"""Validation and broadcasting of the array arguments of the statistics wrappers."""

from __future__ import annotations

import numpy as np


def as_float(name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a float64 array, checked to be finite and inside a range.

    Raises :class:`ValueError` naming ``name`` and the allowed range.
    """
    arr = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if np.any(bad):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        rng = f"{left}{lo}, {hi}{right}"
        first = arr[bad].ravel()[0] if arr.ndim else arr
        raise ValueError(f"{name} must be finite and in {rng}, got {first!r}")
    return arr


def as_count(name, value):
    """``value`` as an int64 array of non-negative integers (integral floats accepted)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iub":
        as_float(name, arr, low=0.0)
        if np.any(arr != np.floor(arr)):
            raise ValueError(f"{name} must be a non-negative integer count, got {arr!r}")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be a non-negative integer count, got a negative value")
    return arr


def as_cl(value):
    """Confidence level(s) in the open interval (0, 1)."""
    return as_float("cl", value, 0.0, 1.0, low_open=True, high_open=True)


def broadcast(*arrays):
    """Broadcast and flatten; return ``(shape, flat_contiguous_arrays)``."""
    try:
        full = np.broadcast_arrays(*arrays)
    except ValueError as err:
        raise ValueError(f"arguments cannot be broadcast together: {err}") from None
    shape = full[0].shape
    # copies: broadcast views are read-only (and warn when a kernel types them)
    return shape, [np.array(a).ravel() for a in full]


def scalar_or_array(shape, scalar, *flat):
    """Reshape kernel outputs; plain floats when every input was a scalar."""
    if scalar:
        return tuple(float(a[0]) for a in flat)
    return tuple(a.reshape(shape) for a in flat)


def all_scalar(*values):
    """True when every argument is a Python or NumPy scalar (0-d)."""
    return all(np.ndim(v) == 0 for v in values)
