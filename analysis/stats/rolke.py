"""Rolke–López profile-likelihood intervals for a Poisson signal.

Implements the method of W. A. Rolke, A. M. López and J. Conrad, "Limits and
confidence intervals in the presence of nuisance parameters", Nucl. Instrum.
Meth. A551 (2005) 493 (arXiv:physics/0403059), for the counting model
``n ~ Poisson(e s + b)`` with

* a Gaussian background estimate ``bkg ± bkg_sigma`` (their model 5/3/7) or a
  Poisson control count ``n_control ~ Poisson(tau b)`` (their model 4/2), and
* a known efficiency or a Gaussian efficiency estimate ``eff ± eff_sigma``.

The interval at confidence level ``cl`` is ``{s >= 0 : t(s) <= q}`` where
``t(s)`` is the profile likelihood-ratio statistic (paper, Eq. (1) and
Sect. 2) and ``q`` the ``cl`` quantile of the chi-square distribution with one
degree of freedom (``q = 2.706`` at 90 %; the interval is the two-sided
MINOS-like interval, not a one-sided limit).

Conventions (those of the authors' program, ROOT's ``TRolke`` in its default
mode, so that results agree with it; see the reference tests):

* *Unbounded likelihood*: the maximum of the likelihood is taken over all
  ``s`` including ``s < 0`` (``TRolke::SetBounding(false)``).  With the
  "bounded" maximum (``s >= 0``) the reference point below would give 2.767
  instead of the published 2.757.
* ``n_obs = 0``: the likelihood has no interior maximum, and the upper limit is
  the linear extrapolation ``2 U(1) - U(2)`` of the limits for one and two
  observed events (lower limit 0).
* When the interval is empty (a deficit so strong that even ``s = 0`` is
  rejected) the interval of the smallest larger count with a non-empty
  interval is reported.

Where ``TRolke`` deviates from these rules (its lower-limit search gives up
below ``e s = 0.01`` and jumps to the next count; the ``n_obs = 0``
extrapolation divides a known efficiency out twice) this module follows the
rules; the tests document both cases.

All functions broadcast their arguments; the work is done per element by the
Numba kernels in :mod:`analysis.stats._profile` (closed-form profiling of the
nuisance parameters and Newton root finding).
"""

from __future__ import annotations

import numba
import numpy as np
from scipy import special

from analysis._jit import pjit
from analysis.stats import _inputs
from analysis.stats._profile import KIND_GAUSS, KIND_POISSON, interval_kernel, statistic

__all__ = [
    "chi2_level",
    "interval",
    "interval_poisson_bkg",
    "profile_statistic",
    "profile_statistic_poisson_bkg",
]


def chi2_level(cl):
    """Threshold of the likelihood-ratio statistic for a two-sided interval.

    The ``cl`` quantile of the chi-square distribution with one degree of
    freedom (Wilks' theorem; Rolke et al., NIM A551 (2005) 493, Sect. 2).

    Examples
    --------
    >>> print(f"{chi2_level(0.9):.4f} {chi2_level(0.95):.4f}")
    2.7055 3.8415
    """
    cl = _inputs.as_cl(cl)
    level = special.ndtri(0.5 * (1.0 + cl)) ** 2
    return float(level) if level.ndim == 0 else level


@pjit
def _interval_batch(kind, n, p1, p2, em, v, level, lower, upper):
    for i in numba.prange(n.shape[0]):
        lower[i], upper[i] = interval_kernel(n[i], kind, p1[i], p2[i], em[i], v[i], level[i])


@pjit
def _statistic_batch(kind, s, n, p1, p2, em, v, out):
    for i in numba.prange(n.shape[0]):
        out[i] = statistic(s[i], float(n[i]), kind, p1[i], p2[i], em[i], v[i])[0]


def _run_interval(kind, n, p1, p2, eff, eff_sigma, cl, scalar):
    shape, (n, p1, p2, eff, eff_sigma, cl) = _inputs.broadcast(n, p1, p2, eff, eff_sigma, cl)
    level = special.ndtri(0.5 * (1.0 + cl)) ** 2
    lower = np.empty(n.shape, np.float64)
    upper = np.empty(n.shape, np.float64)
    _interval_batch(kind, n, p1, p2, eff, eff_sigma * eff_sigma, level, lower, upper)
    return _inputs.scalar_or_array(shape, scalar, lower, upper)


def _check_eff(eff, eff_sigma):
    eff = _inputs.as_float("eff", eff, 0.0, low_open=True)
    eff_sigma = _inputs.as_float("eff_sigma", eff_sigma, 0.0)
    return eff, eff_sigma


def interval(n_obs, bkg, bkg_sigma=0.0, eff=1.0, eff_sigma=0.0, cl=0.9):
    """Rolke–López interval with a Gaussian background estimate.

    Profile-likelihood interval (Rolke, López, Conrad, NIM A551 (2005) 493,
    Sect. 2, models "Gaussian background" with known or Gaussian efficiency)
    for the signal ``s`` in ``n_obs ~ Poisson(eff * s + b)`` with
    ``bkg ~ Normal(b, bkg_sigma)`` and ``eff_estimate ~ Normal(eff, eff_sigma)``.

    Parameters
    ----------
    n_obs : int or array_like of int
        Observed count, ``>= 0``.
    bkg : float or array_like
        Background estimate, ``>= 0``.
    bkg_sigma : float or array_like
        Its standard deviation, ``>= 0`` (0: background known).
    eff : float or array_like
        Efficiency estimate (any positive scale factor), ``> 0``.
    eff_sigma : float or array_like
        Its standard deviation, ``>= 0`` (0: efficiency known).
    cl : float or array_like
        Confidence level in ``(0, 1)``.

    Returns
    -------
    lower, upper : float or ndarray
        Interval ends with the broadcast shape of the inputs (floats when all
        inputs are scalars).

    Examples
    --------
    The reference point of the paper's program (90 % CL):

    >>> lo, hi = interval(1, 1.16, 0.87)
    >>> print(f"{lo:.3f} {hi:.3f}")
    0.000 2.757
    >>> lo, hi = interval([3, 10], 2.0, 0.5, eff=0.5, eff_sigma=0.05)
    >>> print(np.round(lo, 3), np.round(hi, 3))
    [0.    7.038] [ 9.902 29.164]
    """
    scalar = _inputs.all_scalar(n_obs, bkg, bkg_sigma, eff, eff_sigma, cl)
    n = _inputs.as_count("n_obs", n_obs)
    bkg = _inputs.as_float("bkg", bkg, 0.0)
    bkg_sigma = _inputs.as_float("bkg_sigma", bkg_sigma, 0.0)
    eff, eff_sigma = _check_eff(eff, eff_sigma)
    cl = _inputs.as_cl(cl)
    return _run_interval(KIND_GAUSS, n, bkg, bkg_sigma * bkg_sigma, eff, eff_sigma, cl, scalar)


def interval_poisson_bkg(n_obs, n_control, tau, eff=1.0, eff_sigma=0.0, cl=0.9):
    """Rolke–López interval with a background measured in a control sample.

    Profile-likelihood interval (Rolke, López, Conrad, NIM A551 (2005) 493,
    Sect. 2, models "Poisson background" with known or Gaussian efficiency)
    for ``s`` in ``n_obs ~ Poisson(eff * s + b)``,
    ``n_control ~ Poisson(tau * b)``, ``eff_estimate ~ Normal(eff, eff_sigma)``.

    Parameters
    ----------
    n_obs, n_control : int or array_like of int
        Counts in the signal and control regions, ``>= 0``.
    tau : float or array_like
        Ratio of the control-region to the signal-region background, ``> 0``.
    eff, eff_sigma, cl
        As in :func:`interval`.

    Returns
    -------
    lower, upper : float or ndarray

    Examples
    --------
    >>> lo, hi = interval_poisson_bkg(5, 6, 2.0)
    >>> print(f"{lo:.3f} {hi:.3f}")
    0.000 6.937
    """
    scalar = _inputs.all_scalar(n_obs, n_control, tau, eff, eff_sigma, cl)
    n = _inputs.as_count("n_obs", n_obs)
    y = _inputs.as_count("n_control", n_control).astype(np.float64)
    tau = _inputs.as_float("tau", tau, 0.0, low_open=True)
    eff, eff_sigma = _check_eff(eff, eff_sigma)
    cl = _inputs.as_cl(cl)
    return _run_interval(KIND_POISSON, n, y, tau, eff, eff_sigma, cl, scalar)


def _run_statistic(kind, signal, n, p1, p2, eff, eff_sigma, scalar):
    shape, (s, n, p1, p2, eff, eff_sigma) = _inputs.broadcast(signal, n, p1, p2, eff, eff_sigma)
    if np.any(n < 1):
        raise ValueError(
            "n_obs must be >= 1 for the profile statistic (the n_obs = 0 likelihood has no maximum)"
        )
    out = np.empty(n.shape, np.float64)
    _statistic_batch(kind, s, n, p1, p2, eff, eff_sigma * eff_sigma, out)
    return float(out[0]) if scalar else out.reshape(shape)


def profile_statistic(signal, n_obs, bkg, bkg_sigma=0.0, eff=1.0, eff_sigma=0.0):
    """Profile likelihood-ratio statistic ``t(s) = -2 ln lambda(s)``.

    Rolke, López, Conrad, NIM A551 (2005) 493, Sect. 2 (Gaussian background),
    with the unconstrained maximum in the denominator; ``signal >= 0``,
    ``n_obs >= 1``.  The interval of :func:`interval` is
    ``{s : t(s) <= chi2_level(cl)}``.

    Examples
    --------
    >>> print(f"{profile_statistic(2.757232, 1, 1.16, 0.87):.4f}")
    2.7055
    """
    scalar = _inputs.all_scalar(signal, n_obs, bkg, bkg_sigma, eff, eff_sigma)
    signal = _inputs.as_float("signal", signal, 0.0)
    n = _inputs.as_count("n_obs", n_obs)
    bkg = _inputs.as_float("bkg", bkg, 0.0)
    bkg_sigma = _inputs.as_float("bkg_sigma", bkg_sigma, 0.0)
    eff, eff_sigma = _check_eff(eff, eff_sigma)
    return _run_statistic(KIND_GAUSS, signal, n, bkg, bkg_sigma * bkg_sigma, eff, eff_sigma, scalar)


def profile_statistic_poisson_bkg(signal, n_obs, n_control, tau, eff=1.0, eff_sigma=0.0):
    """Profile likelihood-ratio statistic for the Poisson-background model.

    As :func:`profile_statistic` for the model of
    :func:`interval_poisson_bkg` (Rolke et al., NIM A551 (2005) 493, Sect. 2).

    Examples
    --------
    >>> print(f"{profile_statistic_poisson_bkg(0.0, 5, 6, 2.0):.4f}")
    0.6935
    """
    scalar = _inputs.all_scalar(signal, n_obs, n_control, tau, eff, eff_sigma)
    signal = _inputs.as_float("signal", signal, 0.0)
    n = _inputs.as_count("n_obs", n_obs)
    y = _inputs.as_count("n_control", n_control).astype(np.float64)
    tau = _inputs.as_float("tau", tau, 0.0, low_open=True)
    eff, eff_sigma = _check_eff(eff, eff_sigma)
    return _run_statistic(KIND_POISSON, signal, n, y, tau, eff, eff_sigma, scalar)
