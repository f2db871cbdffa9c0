"""Local and global significance of an excess of counts.

Local significance
------------------
For an observed count ``n_obs`` and a background estimate ``bkg ± bkg_sigma``
the p-value is the probability of a count at least as large under the
background-only hypothesis.  Three definitions (R. D. Cousins, J. T. Linnemann
and J. Tucker, "Evaluation of three methods for calculating statistical
significance when incorporating a systematic uncertainty into a test of the
background-only hypothesis for a Poisson process", Nucl. Instrum. Meth. A595
(2008) 480, arXiv:physics/0702156):

``"integrated"`` (default; their Z_N, Sect. 4)
    ``p = ∫ P(N >= n_obs | b') g(b') db'`` with ``g`` the Gaussian of mean
    ``bkg`` and width ``bkg_sigma`` truncated to ``b' >= 0`` (prior-predictive
    p-value of Cousins and Highland).  ``bkg_sigma = 0`` gives the plain
    Poisson tail.
``"z_bi"`` (their Z_Bi, Sect. 3, Eq. (9))
    The estimate is mapped to a control measurement ``n_off = (bkg /
    bkg_sigma)**2`` with ``tau = bkg / bkg_sigma**2`` and the p-value is the
    conditional binomial one, ``p = I_{1/(1+tau)}(n_obs, n_off + 1)``
    (regularised incomplete beta).
``"profile"``
    The profile likelihood ratio of the Rolke–López model with a Gaussian
    background: ``Z = sqrt(t(0))`` for an excess (asymptotic, Wilks).

Significances are one-sided Gaussian equivalents ``Z = Phi^{-1}(1 - p)``,
clipped to ``Z >= 0``: deficits and counts with ``p >= 0.5`` give exactly 0.

Global significance
-------------------
The look-elsewhere effect of a scan over overlapping windows is evaluated with
background-only pseudo-experiments of the whole binned spectrum
(:func:`scan_toys`): every toy fluctuates each bin independently (Poisson), the
window counts are sums over their bins, so overlapping windows are correlated
exactly as in the data.  Where the background estimate is uncertain, each toy
first draws its true background from the estimate's Gaussian, with one deviate
common to all bins (a normalisation uncertainty, fully correlated along the
scan), as the ``"integrated"`` local p-value assumes; otherwise a scan dominated
by that uncertainty would give toys whose local ``Z`` never reaches the data's.
:func:`global_significance` converts the observed largest local ``Z`` into a
global one with the distribution of the toys' largest local ``Z``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import special

from analysis import rng as _rng
from analysis._jit import jit, pjit
from analysis.stats import _inputs, rolke

__all__ = ["global_significance", "local_significance", "p_value", "p_to_z", "scan_toys", "z_to_p"]

_METHODS = ("integrated", "z_bi", "profile")
_NODES = 512  # Simpson intervals of the background integral
_TOY_BLOCK = 256  # toys per random-stream block


#: Above this count the Poisson tail is the regularised incomplete gamma function
#: (O(√n) terms) instead of a direct sum (O(n) terms).
_DIRECT_SUM_MAX = 200


@jit
def _gamma_p(a, x):
    """Regularised lower incomplete gamma function P(a, x), a > 0 (series or Lentz fraction)."""
    if x <= 0.0:
        return 0.0
    log_prefactor = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = 1.0 / a
        total = term
        ap = a
        for _ in range(1_000_000):
            ap += 1.0
            term *= x / ap
            total += term
            if term < total * 1e-16:
                break
        return min(total * math.exp(log_prefactor), 1.0)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 1_000_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return max(1.0 - math.exp(log_prefactor) * h, 0.0)


@jit
def poisson_sf(n, mean):
    """``P(N >= n)`` for ``N ~ Poisson(mean)``.

    Direct summation of the smaller tail up to :data:`_DIRECT_SUM_MAX`, the
    regularised incomplete gamma function P(n, mean) above.
    """
    if n <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    if n > _DIRECT_SUM_MAX:
        return _gamma_p(float(n), mean)
    if n > mean:
        term = math.exp(n * math.log(mean) - mean - math.lgamma(n + 1.0))
        total = term
        k = n
        while term > 1e-17 * total:
            k += 1
            term *= mean / k
            total += term
        return min(total, 1.0)
    term = math.exp(-mean)
    lower = term
    for k in range(1, n):
        term *= mean / k
        lower += term
    return max(1.0 - lower, 0.0)


@jit
def p_integrated_kernel(n, b, sigma):
    """Poisson tail averaged over a Gaussian background truncated at zero."""
    if sigma <= 0.0:
        return poisson_sf(n, b)
    # the integrand peaks near the stationary point of n ln b' - b' - (b' - b)^2 / (2 sigma^2)
    s2 = sigma * sigma
    peak = 0.5 * ((b - s2) + math.sqrt((b - s2) * (b - s2) + 4.0 * n * s2))
    lo = max(0.0, min(b, peak) - 10.0 * sigma)
    hi = max(b, peak) + 10.0 * sigma
    h = (hi - lo) / _NODES
    total = 0.0
    for i in range(_NODES + 1):
        x = lo + i * h
        w = 1.0 if (i == 0 or i == _NODES) else (4.0 if i % 2 == 1 else 2.0)
        total += w * poisson_sf(n, x) * math.exp(-0.5 * (x - b) * (x - b) / s2)
    norm = 0.5 * math.erfc(-b / (sigma * math.sqrt(2.0))) * sigma * math.sqrt(2.0 * math.pi)
    return min(total * h / 3.0 / norm, 1.0)


@pjit
def _p_integrated_batch(n, b, sigma, out):
    for i in numba.prange(n.shape[0]):
        out[i] = p_integrated_kernel(n[i], b[i], sigma[i])


def p_to_z(p):
    """One-sided Gaussian significance ``Z = Phi^{-1}(1 - p)`` (not clipped).

    Examples
    --------
    >>> print(f"{p_to_z(2.866515718791939e-07):.3f}")
    5.000
    """
    p = _inputs.as_float("p", p, 0.0, 1.0)
    z = -special.ndtri(p)
    return float(z) if z.ndim == 0 else z


def z_to_p(z):
    """One-sided p-value ``1 - Phi(Z)``.

    Examples
    --------
    >>> print(f"{z_to_p(3.0):.5f}")
    0.00135
    """
    z = np.asarray(z, dtype=np.float64)
    if np.any(np.isnan(z)):
        raise ValueError("z must not be NaN")
    p = special.ndtr(-z)
    return float(p) if p.ndim == 0 else p


def p_value(n_obs, bkg, bkg_sigma=0.0, method="integrated"):
    """Background-only p-value ``P(n >= n_obs)`` of an observed count.

    Definitions of Cousins, Linnemann and Tucker, NIM A595 (2008) 480: Z_N
    (``"integrated"``, Sect. 4) or Z_Bi (``"z_bi"``, Eq. (9)); ``"profile"``
    is the asymptotic profile-likelihood p-value ``1 - Phi(sqrt(t(0)))``
    (Rolke et al., NIM A551 (2005) 493).  See the module docstring.

    Examples
    --------
    >>> print(f"{p_value(10, 3.0):.3e} {p_value(10, 3.0, 1.0):.3e}")
    1.102e-03 4.538e-03
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    scalar = _inputs.all_scalar(n_obs, bkg, bkg_sigma)
    n = _inputs.as_count("n_obs", n_obs)
    bkg = _inputs.as_float("bkg", bkg, 0.0)
    sigma = _inputs.as_float("bkg_sigma", bkg_sigma, 0.0)
    shape, (n, bkg, sigma) = _inputs.broadcast(n, bkg, sigma)
    if method == "integrated":
        out = np.empty(n.shape, np.float64)
        _p_integrated_batch(n, bkg, sigma, out)
    elif method == "z_bi":
        out = _p_z_bi(n, bkg, sigma)
    else:
        out = np.full(n.shape, 0.5)
        excess = (n >= 1) & (n > bkg)
        t0 = rolke.profile_statistic(0.0, n[excess], bkg[excess], sigma[excess])
        out[excess] = special.ndtr(-np.sqrt(t0))
    return float(out[0]) if scalar else out.reshape(shape)


def _p_z_bi(n, bkg, sigma):
    out = np.ones(n.shape, np.float64)
    known = sigma == 0.0
    pos = n >= 1
    sel = known & pos
    out[sel] = special.gammainc(n[sel], bkg[sel])  # P(N >= n) = P(n, b)
    sel = ~known & pos
    tau = bkg[sel] / sigma[sel] ** 2
    n_off = bkg[sel] * tau
    out[sel] = special.betainc(n[sel], n_off + 1.0, 1.0 / (1.0 + tau))
    return out


def local_significance(n_obs, bkg, bkg_sigma=0.0, method="integrated"):
    """Local significance ``Z = max(Phi^{-1}(1 - p), 0)`` of an observed count.

    ``p`` is :func:`p_value` (Cousins, Linnemann, Tucker, NIM A595 (2008)
    480); deficits give ``Z = 0``.

    Examples
    --------
    >>> z = local_significance([2, 10, 25], 3.0, 1.0)
    >>> print(np.round(z, 3))
    [0.    2.609 6.463]
    """
    p = p_value(n_obs, bkg, bkg_sigma, method)
    z = np.maximum(-special.ndtri(np.asarray(p)), 0.0)
    return float(z) if np.ndim(z) == 0 else z


@pjit
def _scan_toys_kernel(bin_expectation, bin_rel_sigma, lo, hi, z_table, first, key, n_toys, out):
    n_blocks = (n_toys + _TOY_BLOCK - 1) // _TOY_BLOCK
    n_bins = bin_expectation.shape[0]
    cap = z_table.shape[1] - 1
    r_max = 0.0
    for j in range(n_bins):
        r_max = max(r_max, bin_rel_sigma[j])
    for block in numba.prange(n_blocks):
        state = np.empty(4, np.uint64)
        _rng.seed_block(state, key, block)
        cumsum = np.zeros(n_bins + 1, np.int64)
        for toy in range(block * _TOY_BLOCK, min((block + 1) * _TOY_BLOCK, n_toys)):
            # the toy's true background: one Gaussian deviate for all bins, redrawn
            # until no bin is negative (the truncated Gaussian of the local p-value)
            g = 0.0
            if r_max > 0.0:
                g = _rng.normal(state)
                while 1.0 + g * r_max < 0.0:
                    g = _rng.normal(state)
            for j in range(n_bins):
                mean = bin_expectation[j] * (1.0 + g * bin_rel_sigma[j])
                cumsum[j + 1] = cumsum[j] + _rng.poisson(state, mean)
            best = 0.0
            for w in range(lo.shape[0]):
                # z_table[w, k] is Z of the count first[w] + k; fewer is a deficit (Z = 0)
                k = cumsum[hi[w]] - cumsum[lo[w]] - first[w]
                z = z_table[w, min(k, cap)] if k >= 0 else 0.0
                if z > best:
                    best = z
            out[toy] = best


#: Largest number of counts per window at which Z is evaluated exactly; wider
#: tables (large backgrounds) interpolate Z(n), which is smooth there, linearly.
_Z_TABLE_NODES = 512


def _z_table(first, width, bkg, sigma, method):
    """Z of the counts ``first[w] + k``, k < ``width``, for every window w."""
    if width <= _Z_TABLE_NODES:
        counts = first[:, None] + np.arange(width)[None, :]
        return np.ascontiguousarray(
            local_significance(counts, bkg[:, None], sigma[:, None], method)
        )
    nodes = np.unique(np.rint(np.linspace(0, width - 1, _Z_TABLE_NODES)).astype(np.int64))
    z_nodes = local_significance(
        first[:, None] + nodes[None, :], bkg[:, None], sigma[:, None], method
    )
    k = np.arange(width)
    return np.ascontiguousarray([np.interp(k, nodes, z) for z in z_nodes])


def scan_toys(
    bin_expectation,
    windows_lo_idx,
    windows_hi_idx,
    bkg,
    bkg_sigma,
    n_toys,
    seed,
    method="integrated",
    bin_rel_sigma=0.0,
):
    """Largest local significance of each background-only pseudo-experiment of a scan.

    Every toy draws each bin of the background spectrum ``bin_expectation``
    from a Poisson distribution; the count of window ``w`` is the sum of bins
    ``windows_lo_idx[w] <= j < windows_hi_idx[w]`` (half-open, so overlapping
    windows share bins and are correlated as in the data).  The local
    significance of window ``w`` is evaluated as in the analysis, with the
    nominal estimate ``bkg[w] ± bkg_sigma[w]`` (:func:`local_significance`,
    looked up in a per-window table of ``Z(n)``).

    Parameters
    ----------
    bin_expectation : array_like, shape (n_bins,)
        Background expectation per bin, ``>= 0``.
    windows_lo_idx, windows_hi_idx : array_like of int, shape (n_windows,)
        Bin ranges of the windows, ``0 <= lo < hi <= n_bins``.
    bkg, bkg_sigma : array_like, shape (n_windows,) or scalars
        Background estimate per window used for the local significance.
    n_toys : int
        Number of pseudo-experiments.
    seed : int
        Seed; results do not depend on the number of threads.
    method : str
        Local p-value definition (:func:`p_value`).
    bin_rel_sigma : array_like, shape (n_bins,) or scalar
        Relative uncertainty of the background expectation per bin, fully
        correlated: each toy scales bin ``j`` by ``1 + g * bin_rel_sigma[j]``
        with one standard-normal ``g`` (redrawn while a bin would be negative)
        before the Poisson draws.  0 (default) keeps the expectation fixed.
        Give it as ``bkg_sigma / bkg`` of the windows when the local
        significance uses the ``"integrated"`` p-value, so that toys and data
        follow the same background-only model.

    Returns
    -------
    ndarray, shape (n_toys,)
        Largest local ``Z`` of every toy.

    Examples
    --------
    >>> spectrum = np.full(20, 0.5)
    >>> lo = np.arange(0, 17); hi = lo + 4
    >>> zmax = scan_toys(spectrum, lo, hi, 2.0, 0.0, 2000, seed=1)
    >>> print(f"{np.median(zmax):.2f}")
    1.07
    """
    expectation = _inputs.as_float("bin_expectation", bin_expectation, 0.0)
    if expectation.ndim != 1 or expectation.size == 0:
        raise ValueError("bin_expectation must be a non-empty 1-d array")
    lo = _inputs.as_count("windows_lo_idx", windows_lo_idx).ravel()
    hi = _inputs.as_count("windows_hi_idx", windows_hi_idx).ravel()
    if lo.shape != hi.shape or np.any(lo >= hi) or np.any(hi > expectation.size):
        raise ValueError(
            "windows must satisfy 0 <= windows_lo_idx < windows_hi_idx <= "
            f"{expectation.size} (same length)"
        )
    bkg = np.broadcast_to(_inputs.as_float("bkg", bkg, 0.0), lo.shape)
    sigma = np.broadcast_to(_inputs.as_float("bkg_sigma", bkg_sigma, 0.0), lo.shape)
    rel = np.ascontiguousarray(
        np.broadcast_to(_inputs.as_float("bin_rel_sigma", bin_rel_sigma, 0.0), expectation.shape)
    )
    if int(n_toys) != n_toys or n_toys < 1:
        raise ValueError(f"n_toys must be a positive integer, got {n_toys!r}")
    # table of Z(n) per window over the counts toys practically reach (mean ± 12σ
    # of the Poisson and 8σ of the background uncertainty, + 30); counts below
    # that range are deficits (Z = 0), above it take the last entry
    cumulative = np.concatenate([[0.0], np.cumsum(expectation)])
    window_mean = cumulative[hi] - cumulative[lo]
    spread = np.concatenate([[0.0], np.cumsum(expectation * rel)])
    reach = 12.0 * np.sqrt(window_mean) + 8.0 * (spread[hi] - spread[lo]) + 30.0
    first = np.maximum(np.floor(np.minimum(window_mean, bkg) - reach), 0).astype(np.int64)
    width = int(np.max(np.ceil(np.maximum(window_mean, bkg) + reach) - first)) + 1
    z_table = _z_table(first, width, bkg, sigma, method)
    key = _rng.sample_key(int(seed), "analysis.stats.significance.scan_toys")
    out = np.empty(int(n_toys), np.float64)
    _scan_toys_kernel(
        np.ascontiguousarray(expectation), rel, lo, hi, z_table, first, key, int(n_toys), out
    )
    return out


def global_significance(local_z_max_observed, toy_local_z_max):
    """Global significance of the largest observed local significance of a scan.

    ``p_global = (k + 1) / (N + 1)`` where ``k`` of the ``N`` background-only
    toys (:func:`scan_toys`) have a largest local ``Z`` at least as large as
    the observed one (the Monte Carlo p-value that never returns 0; B. V.
    North, D. Curtis and P. C. Sham, Am. J. Hum. Genet. 71 (2002) 439), and
    ``Z_global = max(Phi^{-1}(1 - p_global), 0)``.  With ``N`` toys the
    largest reachable ``Z_global`` is ``Phi^{-1}(1 - 1/(N + 1))``.

    Examples
    --------
    >>> toys = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 0.2])
    >>> print(f"{global_significance(3.2, toys):.3f}")  # p = (2 + 1) / (9 + 1)
    0.524
    """
    observed = _inputs.as_float("local_z_max_observed", local_z_max_observed)
    toys = np.sort(_inputs.as_float("toy_local_z_max", toy_local_z_max).ravel())
    if toys.size == 0:
        raise ValueError("toy_local_z_max must not be empty")
    exceed = toys.size - np.searchsorted(toys, observed, side="left")
    p = (exceed + 1.0) / (toys.size + 1.0)
    z = np.maximum(-special.ndtri(p), 0.0)
    return float(z) if z.ndim == 0 else z
