"""Profile-likelihood kernels of the Rolke–López counting models.

The models are those of W. A. Rolke, A. M. López and J. Conrad, "Limits and
confidence intervals in the presence of nuisance parameters", Nucl. Instrum.
Meth. A551 (2005) 493 (arXiv:physics/0403059), Sect. 2: ``n ~ Poisson(e s + b)``
with

* ``KIND_GAUSS``  – background estimate ``b_m ~ Normal(b, sigma_b)``
  (parameters ``p1 = b_m``, ``p2 = sigma_b**2``), and
* ``KIND_POISSON`` – background control count ``y ~ Poisson(tau b)``
  (parameters ``p1 = y``, ``p2 = tau``),

and an efficiency estimate ``e_m ~ Normal(e, sigma_e)`` (``v = sigma_e**2``;
``v = 0`` means the efficiency is known).

Profiling
---------
For fixed ``s`` the stationarity conditions of the log-likelihood share the
quantity ``r = n / (e s + b) - 1``::

    d/db:  r = (b - b_m) / sigma_b**2        (Gaussian background)
           r = tau - y / b                   (Poisson background)
    d/de:  r = (e - e_m) / (s sigma_e**2)

so the nuisance parameters are explicit in ``r`` and ``r`` is the unique root
of a strictly decreasing function, ``n / (1 + r) = e_m s + s**2 v r + B(r)``
with ``B(r) = b_m + sigma_b**2 r`` or ``y / (tau - r)``.  The root is a
quadratic formula except for Poisson background with uncertain efficiency (a
cubic, solved by safeguarded Newton iteration).  The profile likelihood-ratio
statistic ``t(s) = -2 ln [L(s, nuisance_hat(s)) / L(s_hat, nuisance_hat)]`` is
then (the global maximum has ``e s + b = n`` and no constraint penalty)::

    t = 2 [ n (ln(1 + r) - r / (1 + r)) + C(r) + s**2 v r**2 / 2 ]

with ``C = sigma_b**2 r**2 / 2`` (Gaussian) or
``C = y (ln(1 - r / tau) + r / (tau - r))`` (Poisson), and by the envelope
theorem ``dt/ds = -2 e r``.  Newton iterations on ``t(s) = q_CL`` therefore
cost one closed-form evaluation per step.

The Gaussian background is not truncated at zero (the model of the paper);
a Poisson background with ``y = 0`` is kept non-negative.
"""

from __future__ import annotations

import math

from analysis._jit import jit

KIND_GAUSS = 0
KIND_POISSON = 1

_REL_TOL = 1e-11
_MAX_ITER = 200


@jit
def _root_linear_bkg(n, c, q):
    """Larger root ``r`` of ``n / (1 + r) = c + q r`` (``q >= 0``)."""
    if q == 0.0:
        if c <= 0.0:
            return math.inf
        return n / c - 1.0
    cq = c + q
    sq = math.sqrt((c - q) * (c - q) + 4.0 * q * n)
    if cq >= 0.0:
        return 2.0 * (n - c) / (cq + sq)
    return (sq - cq) / (2.0 * q)


@jit
def _root_poisson_bkg(n, y, tau, c, q):
    """Root ``r`` in ``(-1, tau)`` of ``n/(1+r) = c + q r + y/(tau - r)``, ``y > 0``.

    Returns ``(r, b)`` with the profiled background ``b = y / (tau - r)``.
    """
    # quadratic in b when the efficiency is known (q = 0); also the start value
    a = n + y - (1.0 + tau) * c
    sq = math.sqrt(a * a + 4.0 * (1.0 + tau) * y * c)
    if a >= 0.0:
        b = (a + sq) / (2.0 * (1.0 + tau))
    else:
        b = 2.0 * y * c / (sq - a)
    r = tau - y / b
    if q == 0.0:
        return r, b
    # cubic: H(r) = n (tau - r) - (1 + r)(tau - r)(c + q r) - y (1 + r)
    lo = -1.0
    hi = tau
    for _ in range(_MAX_ITER):
        w = (1.0 + r) * (tau - r)
        h = n * (tau - r) - w * (c + q * r) - y * (1.0 + r)
        if h > 0.0:
            lo = r
        else:
            hi = r
        dh = -n - (tau - 1.0 - 2.0 * r) * (c + q * r) - w * q - y
        rn = r - h / dh if dh != 0.0 else 0.5 * (lo + hi)
        if not (lo < rn < hi):
            rn = 0.5 * (lo + hi)
        if abs(rn - r) <= _REL_TOL * (1.0 + abs(r)):
            r = rn
            break
        r = rn
    return r, y / (tau - r)


@jit
def statistic(s, n, kind, p1, p2, em, v):
    """Profile likelihood-ratio statistic ``t(s)`` and its derivative ``dt/ds``.

    ``n >= 1``; for ``n = 0`` see :func:`interval_kernel`.
    """
    c = em * s
    q = s * s * v
    if kind == KIND_GAUSS:
        r = _root_linear_bkg(n, c + p1, q + p2)
        if math.isinf(r):
            return math.inf, -math.inf
        extra = 0.5 * p2 * r * r
    else:
        y = p1
        tau = p2
        if y > 0.0:
            r, b = _root_poisson_bkg(n, y, tau, c, q)
            extra = y * (math.log1p(-r / tau) + r / (tau - r))
        else:
            r = _root_linear_bkg(n, c, q)
            b = 0.0
            if r > tau:
                r = tau
                b = n / (1.0 + tau) - c - q * tau
            if math.isinf(r):
                return math.inf, -math.inf
            extra = tau * b
    t = 2.0 * (n * (math.log1p(r) - r / (1.0 + r)) + extra + 0.5 * q * r * r)
    e = em + s * v * r
    return t, -2.0 * e * r


@jit
def mle(n, kind, p1, p2, em):
    """Unconstrained maximum-likelihood signal ``s_hat`` (may be negative)."""
    if kind == KIND_GAUSS:
        return (n - p1) / em
    return (n - p1 / p2) / em


@jit
def _width(n, kind, p1, p2, em, v, s):
    """Rough Gaussian standard deviation of ``s_hat`` (starting values only)."""
    var_b = p2 if kind == KIND_GAUSS else p1 / (p2 * p2)
    return math.sqrt(n + var_b + s * s * v + 1.0) / em


@jit
def _solve(a, b, s, f, g, n, kind, p1, p2, em, v, level, increasing):
    """Safeguarded Newton for ``t(s) = level`` inside the bracket ``[a, b]``.

    ``f, g`` are ``t(s) - level`` and ``t'(s)`` at the start point ``s``.
    """
    for _ in range(_MAX_ITER):
        if (f > 0.0) == increasing:
            b = s
        else:
            a = s
        sn = s - f / g if g != 0.0 else 0.5 * (a + b)
        if not (a < sn < b) or math.isnan(sn):
            sn = 0.5 * (a + b)
        if abs(sn - s) <= _REL_TOL * (1.0 + abs(sn)) or b - a <= _REL_TOL * (1.0 + abs(b)):
            return sn
        s = sn
        t, g = statistic(s, n, kind, p1, p2, em, v)
        f = t - level
        if f == 0.0:
            return s
    return s


@jit
def raw_interval(n, kind, p1, p2, em, v, level):
    """Likelihood-ratio interval ``{s >= 0 : t(s) <= level}`` for ``n >= 1``.

    Returns ``(0, 0)`` when the set is empty (``s_hat < 0`` and ``t(0) > level``).
    """
    s0 = mle(n, kind, p1, p2, em)
    t0, g0 = statistic(0.0, n, kind, p1, p2, em, v)
    width = _width(n, kind, p1, p2, em, v, max(s0, 0.0))
    lower = 0.0
    if t0 > level:
        if s0 <= 0.0:
            return 0.0, 0.0
        s = s0 - math.sqrt(level) * width
        if not (0.0 < s < s0):
            s = 0.5 * s0
        t, g = statistic(s, n, kind, p1, p2, em, v)
        lower = _solve(0.0, s0, s, t - level, g, n, kind, p1, p2, em, v, level, False)
    # upper limit: find a point above the root, then Newton from the right
    a = max(s0, 0.0)
    step = math.sqrt(level) * width + 0.5 * level / em
    s = a + step
    t, g = statistic(s, n, kind, p1, p2, em, v)
    for _ in range(_MAX_ITER):
        if t > level:
            break
        a = s
        sn = s - (t - level) / g if g > 0.0 else s + step
        step *= 2.0
        s = min(max(sn, s + 0.01 * step), s + step)
        t, g = statistic(s, n, kind, p1, p2, em, v)
    upper = _solve(a, s, s, t - level, g, n, kind, p1, p2, em, v, level, True)
    return lower, upper


@jit
def interval_kernel(n, kind, p1, p2, em, v, level):
    """Rolke–López interval with the conventions of the reference program.

    * ``n = 0``: the upper limit is the linear extrapolation
      ``2 U(1) - U(2)`` of the ``n = 1, 2`` limits (floored at 0) and the
      lower limit is 0 (the likelihood has no interior maximum at ``n = 0``).
    * An empty interval (strong deficit, ``s_hat < 0`` and ``t(0) > level``)
      is replaced by the interval of the smallest larger count whose interval
      is non-empty ("unbounded likelihood" treatment of the paper).
    """
    k = n
    while True:
        if k == 0:
            _, u1 = raw_interval(1.0, kind, p1, p2, em, v, level)
            _, u2 = raw_interval(2.0, kind, p1, p2, em, v, level)
            lower = 0.0
            upper = max(2.0 * u1 - u2, 0.0)
        else:
            lower, upper = raw_interval(float(k), kind, p1, p2, em, v, level)
        if upper > 0.0:
            return lower, upper
        k += 1
