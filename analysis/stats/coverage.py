"""Frequentist coverage of the Rolke–López intervals, measured with toys.

For a true signal ``s``, background ``b`` and efficiency ``e`` every toy draws

* the observed count ``n ~ Poisson(e s + b)``,
* the background estimate: ``b_m ~ Normal(b, bkg_sigma)`` (truncated at 0,
  as a background estimate is never negative) or, for a control sample,
  ``y ~ Poisson(tau b)``,
* the efficiency estimate ``e_m ~ Normal(e, eff_sigma)`` (kept positive),

computes the interval with :mod:`analysis.stats.rolke` from
``(n, b_m ± bkg_sigma, e_m ± eff_sigma)`` and counts how often it contains
``s`` (W. Rolke, A. López, J. Conrad, NIM A551 (2005) 493, Sect. 3, where the
same study is made).  The binomial standard error of a coverage estimate is
``sqrt(c (1 - c) / n_toys)``.

Measured behaviour (90 % CL, efficiency 0.8, ``n_toys = 10000`` per point;
``tests/stats/test_coverage.py``; ``python -m analysis.stats.coverage`` prints a
scan):

* ``b >= 2`` with ``bkg_sigma`` 10-30 % of ``b`` and a 0-10 % efficiency
  uncertainty, ``s`` 0-20: coverage >= 88.4 % at every grid point (nominal
  within 2 %).
* Over-coverage (93-99 %) at ``s = 0`` and ``s <~ 1`` (the "empty interval ->
  next count" rule and the ``n = 0`` extrapolation make those intervals
  conservative) and generally at small ``e s + b``.
* Under-coverage, the saw-tooth of a discrete observable, where the background
  is small or known: ``b = 1``: down to 87.7 %; ``b = 0.5``: down to 81.5 % at
  ``s = 2`` (exact value for known ``b`` and ``e``, also reached with 10 %
  background uncertainty); known background ``b = 5`` at ``s = 0.5``: 85.6 %.
  A background uncertainty of >= 10 % removes the under-coverage for
  ``b >= 2``.  Rolke et al. (Sect. 3 and their Fig. 2) show the same pattern.
"""

from __future__ import annotations

import numba
import numpy as np

from analysis import rng as _rng
from analysis._jit import pjit
from analysis.stats import _inputs
from analysis.stats._profile import KIND_GAUSS, KIND_POISSON, interval_kernel
from analysis.stats.rolke import chi2_level

__all__ = ["coverage", "coverage_poisson_bkg"]


@pjit
def _coverage_kernel(kind, s, b, p2, e, se, level, key, n_toys, covered):
    for p in numba.prange(s.shape[0]):
        state = np.empty(4, np.uint64)
        _rng.seed_block(state, key, p)
        count = 0
        for _ in range(n_toys):
            n = _rng.poisson(state, e[p] * s[p] + b[p])
            g_b, g_e = _rng.normal_pair(state)
            if kind == KIND_GAUSS:
                p1 = max(b[p] + p2[p] * g_b, 0.0)
                width = p2[p] * p2[p]
            else:
                p1 = float(_rng.poisson(state, p2[p] * b[p]))
                width = p2[p]
            em = max(e[p] + se[p] * g_e, 1e-3 * e[p])
            lo, hi = interval_kernel(n, kind, p1, width, em, se[p] * se[p], level[p])
            if lo <= s[p] <= hi:
                count += 1
        covered[p] = count


def _run(kind, name, signal, bkg, p2, eff, eff_sigma, cl, n_toys, seed, scalar):
    if int(n_toys) != n_toys or n_toys < 1:
        raise ValueError(f"n_toys must be a positive integer, got {n_toys!r}")
    shape, (s, b, p2, e, se, cl) = _inputs.broadcast(signal, bkg, p2, eff, eff_sigma, cl)
    level = np.ascontiguousarray(chi2_level(cl), dtype=np.float64).reshape(-1)
    key = _rng.sample_key(int(seed), f"analysis.stats.coverage.{name}")
    covered = np.empty(s.shape, np.int64)
    _coverage_kernel(kind, s, b, p2, e, se, level, key, int(n_toys), covered)
    frac = covered / float(n_toys)
    return float(frac[0]) if scalar else frac.reshape(shape)


def _common(signal, bkg, eff, eff_sigma, cl):
    return (
        _inputs.as_float("signal", signal, 0.0),
        _inputs.as_float("bkg", bkg, 0.0),
        _inputs.as_float("eff", eff, 0.0, low_open=True),
        _inputs.as_float("eff_sigma", eff_sigma, 0.0),
        _inputs.as_cl(cl),
    )


def coverage(signal, bkg, bkg_sigma, eff=1.0, eff_sigma=0.0, cl=0.9, n_toys=2000, seed=0):
    """Coverage of :func:`analysis.stats.rolke.interval` at true ``(signal, bkg, eff)``.

    Toy study of Rolke, López, Conrad, NIM A551 (2005) 493, Sect. 3: the
    count, the background estimate and the efficiency estimate are all
    fluctuated (module docstring).  Vectorised over the broadcast arguments;
    each grid point has its own random stream, so results do not depend on
    the number of threads.

    Returns
    -------
    float or ndarray
        Fraction of toys whose interval contains ``signal``.

    Examples
    --------
    >>> c = coverage([0.0, 5.0], 3.0, 0.6, n_toys=4000, seed=1)
    >>> print(np.round(c, 3))
    [0.955 0.892]
    """
    scalar = _inputs.all_scalar(signal, bkg, bkg_sigma, eff, eff_sigma, cl)
    signal, bkg, eff, eff_sigma, cl = _common(signal, bkg, eff, eff_sigma, cl)
    bkg_sigma = _inputs.as_float("bkg_sigma", bkg_sigma, 0.0)
    return _run(
        KIND_GAUSS, "gauss", signal, bkg, bkg_sigma, eff, eff_sigma, cl, n_toys, seed, scalar
    )


def coverage_poisson_bkg(signal, bkg, tau, eff=1.0, eff_sigma=0.0, cl=0.9, n_toys=2000, seed=0):
    """Coverage of :func:`analysis.stats.rolke.interval_poisson_bkg`.

    As :func:`coverage` with a control count ``y ~ Poisson(tau b)``.

    Examples
    --------
    >>> print(f"{coverage_poisson_bkg(2.0, 3.0, 2.0, n_toys=4000, seed=1):.3f}")
    0.889
    """
    scalar = _inputs.all_scalar(signal, bkg, tau, eff, eff_sigma, cl)
    signal, bkg, eff, eff_sigma, cl = _common(signal, bkg, eff, eff_sigma, cl)
    tau = _inputs.as_float("tau", tau, 0.0, low_open=True)
    return _run(KIND_POISSON, "poisson", signal, bkg, tau, eff, eff_sigma, cl, n_toys, seed, scalar)


def _scan():  # pragma: no cover - documentation helper
    s = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0])[:, None, None, None]
    b = np.array([0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0])[None, :, None, None]
    rel = np.array([0.0, 0.1, 0.3])[None, None, :, None]
    eff_sigma = np.array([0.0, 0.08])[None, None, None, :]
    cov = coverage(s, b, rel * b, 0.8, eff_sigma, 0.9, n_toys=10000, seed=3)
    for i, si in enumerate(s.ravel()):
        print(f"s={si:5.1f}  " + " ".join(f"{c:.3f}" for c in cov[i].reshape(-1)))
    print("minimum", cov.min(), "at", np.unravel_index(cov.argmin(), cov.shape))


if __name__ == "__main__":  # pragma: no cover
    _scan()
