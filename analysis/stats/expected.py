"""Expected Rolke–López upper limits under the background-only hypothesis.

The median expected limit and its ±1σ / ±2σ bands are the quantiles
``q = Phi(k)``, ``k = -2, -1, 0, 1, 2`` (0.0228, 0.159, 0.5, 0.841, 0.977) of the
distribution of the upper limit ``U(n)`` when ``n ~ Poisson(bkg)`` (the nominal
background; the estimate ``bkg ± bkg_sigma`` and the efficiency enter the
limit calculation as in the analysis).

Exact evaluation: ``U(n)`` is non-decreasing in ``n`` (asserted by the tests of
:mod:`analysis.stats.rolke`), so for every ``q`` the ``q``-quantile of ``U(n)``
is ``U(n_q)`` with ``n_q`` the ``q``-quantile of the Poisson distribution
(smallest ``n`` with ``P(N <= n) >= q``).  This needs five limit evaluations per
hypothesis and has no Monte Carlo error; the same convention underlies
``TRolke::GetLimitsQuantile`` (W. Rolke, A. López, J. Conrad, NIM A551 (2005)
493, Sect. 5 on sensitivity).  A toy evaluation (``n_toys=...``) is provided
for cross-checks; it agrees with the exact one up to the discreteness of the
empirical quantile.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from analysis.stats import _inputs, rolke

__all__ = ["BANDS", "expected_limits", "expected_limits_poisson_bkg"]

#: Band labels (Gaussian sigmas) and their quantiles.
BANDS = (-2, -1, 0, 1, 2)
_QUANTILES = {k: float(special.ndtr(k)) for k in BANDS}


def _poisson_quantile(q, mean):
    n = stats.poisson.ppf(q, mean)
    return np.where(mean > 0, n, 0).astype(np.int64)


def _quantiles(limit, mean, n_toys, seed, shape):
    """Band quantiles of ``limit(n)`` for ``n ~ Poisson(mean)`` (flat arrays)."""
    if n_toys is None:
        return {k: limit(_poisson_quantile(q, mean)).reshape(shape) for k, q in _QUANTILES.items()}
    if int(n_toys) != n_toys or n_toys < 1:
        raise ValueError(f"n_toys must be a positive integer or None, got {n_toys!r}")
    rng = np.random.default_rng(seed)
    n = rng.poisson(mean, size=(int(n_toys), mean.size))
    upper = limit(n)
    return {
        k: np.quantile(upper, q, axis=0, method="inverted_cdf").reshape(shape)
        for k, q in _QUANTILES.items()
    }


def _finish(bands, scalar):
    if scalar:
        return {k: float(v) for k, v in bands.items()}
    return bands


def expected_limits(bkg, bkg_sigma=0.0, eff=1.0, eff_sigma=0.0, cl=0.9, n_toys=None, seed=None):
    """Median expected upper limit and ±1σ/±2σ bands (Gaussian background estimate).

    Quantiles of the Rolke–López upper limit (:func:`analysis.stats.rolke.interval`,
    NIM A551 (2005) 493) when ``n ~ Poisson(bkg)``; exact by default (see the
    module docstring), or from ``n_toys`` pseudo-experiments.

    Parameters
    ----------
    bkg, bkg_sigma, eff, eff_sigma, cl : float or array_like
        As in :func:`analysis.stats.rolke.interval`; broadcast over hypotheses.
    n_toys : int or None
        ``None``: exact evaluation; otherwise the number of toys per hypothesis.
    seed : int or None
        Seed of the toys.

    Returns
    -------
    dict
        ``{-2: ..., -1: ..., 0: ..., 1: ..., 2: ...}``: the limit quantiles
        (arrays with the broadcast shape, floats for scalar input).

    Examples
    --------
    >>> bands = expected_limits(3.0, 0.6)
    >>> print({k: round(v, 3) for k, v in bands.items()})
    {-2: 0.776, -1: 0.776, 0: 3.914, 1: 6.716, 2: 9.374}
    """
    scalar = _inputs.all_scalar(bkg, bkg_sigma, eff, eff_sigma, cl)
    bkg = _inputs.as_float("bkg", bkg, 0.0)
    bkg_sigma = _inputs.as_float("bkg_sigma", bkg_sigma, 0.0)
    eff = _inputs.as_float("eff", eff, 0.0, low_open=True)
    eff_sigma = _inputs.as_float("eff_sigma", eff_sigma, 0.0)
    cl = _inputs.as_cl(cl)
    shape, (bkg, bkg_sigma, eff, eff_sigma, cl) = _inputs.broadcast(
        bkg, bkg_sigma, eff, eff_sigma, cl
    )

    def limit(n):
        return rolke.interval(n, bkg, bkg_sigma, eff, eff_sigma, cl)[1]

    return _finish(_quantiles(limit, bkg, n_toys, seed, shape), scalar)


def expected_limits_poisson_bkg(
    n_control, tau, eff=1.0, eff_sigma=0.0, cl=0.9, n_toys=None, seed=None
):
    """Expected-limit bands for a background measured in a control sample.

    As :func:`expected_limits` for :func:`analysis.stats.rolke.interval_poisson_bkg`,
    with ``n ~ Poisson(n_control / tau)`` and the control count held at its
    observed value.

    Examples
    --------
    >>> bands = expected_limits_poisson_bkg(6, 2.0)
    >>> print(round(bands[0], 3))
    4.163
    """
    scalar = _inputs.all_scalar(n_control, tau, eff, eff_sigma, cl)
    y = _inputs.as_count("n_control", n_control)
    tau = _inputs.as_float("tau", tau, 0.0, low_open=True)
    eff = _inputs.as_float("eff", eff, 0.0, low_open=True)
    eff_sigma = _inputs.as_float("eff_sigma", eff_sigma, 0.0)
    cl = _inputs.as_cl(cl)
    shape, (y, tau, eff, eff_sigma, cl) = _inputs.broadcast(y, tau, eff, eff_sigma, cl)

    def limit(n):
        return rolke.interval_poisson_bkg(n, y, tau, eff, eff_sigma, cl)[1]

    return _finish(_quantiles(limit, y / tau, n_toys, seed, shape), scalar)
