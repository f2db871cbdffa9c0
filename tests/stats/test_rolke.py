"""Properties of the Rolke–López intervals (analysis.stats.rolke)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from analysis.stats import rolke
from analysis.stats._profile import KIND_GAUSS, KIND_POISSON, interval_kernel, statistic


def test_reference_point_scalar():
    lower, upper = rolke.interval(1, 1.16, 0.87)
    assert isinstance(lower, float) and isinstance(upper, float)
    assert lower == 0.0
    assert upper == pytest.approx(2.757, abs=5e-4)


def test_broadcast_shapes():
    n = np.arange(3).reshape(3, 1)
    lower, upper = rolke.interval(n, np.array([0.5, 1.0, 2.0, 4.0]), 0.3)
    assert lower.shape == upper.shape == (3, 4)
    single = rolke.interval(2, 1.0, 0.3)
    assert upper[2, 1] == single[1]
    lower, upper = rolke.interval_poisson_bkg([[1, 2]], [[3], [4], [5]], 2.0)
    assert upper.shape == (3, 2)
    lower, upper = rolke.interval(np.array(3), 1.0)
    assert isinstance(upper, float)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_obs": -1, "bkg": 1.0}, "n_obs"),
        ({"n_obs": 1.5, "bkg": 1.0}, "n_obs"),
        ({"n_obs": 1, "bkg": -0.1}, "bkg"),
        ({"n_obs": 1, "bkg": np.nan}, "bkg"),
        ({"n_obs": 1, "bkg": 1.0, "bkg_sigma": -1.0}, "bkg_sigma"),
        ({"n_obs": 1, "bkg": 1.0, "eff": 0.0}, "eff"),
        ({"n_obs": 1, "bkg": 1.0, "eff_sigma": -0.01}, "eff_sigma"),
        ({"n_obs": 1, "bkg": 1.0, "cl": 1.0}, "cl"),
    ],
)
def test_invalid_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        rolke.interval(**kwargs)


def test_invalid_poisson_arguments():
    with pytest.raises(ValueError, match="tau"):
        rolke.interval_poisson_bkg(1, 2, 0.0)
    with pytest.raises(ValueError, match="n_control"):
        rolke.interval_poisson_bkg(1, 2.5, 1.0)
    with pytest.raises(ValueError, match="broadcast"):
        rolke.interval([1, 2], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("n", range(0, 8))
def test_known_efficiency_scales_as_inverse(n):
    """With a known efficiency only e*s enters: limits scale exactly as 1/e (also n = 0)."""
    lo1, hi1 = rolke.interval(n, 2.3, 0.7)
    lo, hi = rolke.interval(n, 2.3, 0.7, eff=0.37)
    assert hi == pytest.approx(hi1 / 0.37, rel=1e-8)
    assert lo == pytest.approx(lo1 / 0.37, rel=1e-8, abs=1e-12)
    lo1, hi1 = rolke.interval_poisson_bkg(n, 5, 2.5)
    lo, hi = rolke.interval_poisson_bkg(n, 5, 2.5, eff=0.37)
    assert hi == pytest.approx(hi1 / 0.37, rel=1e-8)


def test_known_background_closed_form():
    """Known b and e: t(s) = 2 [s + b - n - n ln((s + b) / n)] (pure Poisson ratio)."""
    level = rolke.chi2_level(0.9)
    for n, b in [(1, 0.5), (4, 1.0), (10, 3.0), (25, 20.0)]:
        lo, hi = rolke.interval(n, b)

        def t(s, n=n, b=b):
            return 2.0 * (s + b - n - n * np.log((s + b) / n))

        assert t(hi) == pytest.approx(level, rel=1e-8)
        if lo > 0:
            assert t(lo) == pytest.approx(level, rel=1e-8)
        else:
            assert t(0.0) <= level


def test_statistic_at_limits_equals_threshold():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 40, 300)
    b, sb = rng.uniform(0, 30, 300), rng.uniform(0.05, 5, 300)
    e = rng.uniform(0.05, 1, 300)
    se = e * rng.uniform(0, 0.1, 300)
    lo, hi = rolke.interval(n, b, sb, e, se, 0.95)
    level = rolke.chi2_level(0.95)
    direct = (rolke.profile_statistic(0.0, n, b, sb, e, se) <= level) | (n - b > 0)
    np.testing.assert_allclose(
        rolke.profile_statistic(
            hi[direct], n[direct], b[direct], sb[direct], e[direct], se[direct]
        ),
        level,
        rtol=1e-7,
    )
    pos = direct & (lo > 0)
    assert pos.sum() > 30
    np.testing.assert_allclose(
        rolke.profile_statistic(lo[pos], n[pos], b[pos], sb[pos], e[pos], se[pos]), level, rtol=1e-7
    )


@pytest.mark.parametrize("bkg_sigma", [0.0, 0.3, 2.0])
def test_upper_limit_monotone_in_n(bkg_sigma):
    n = np.arange(0, 51)
    for b in (0.0, 0.5, 3.0, 12.0, 40.0):
        lo, hi = rolke.interval(n, b, bkg_sigma)
        assert np.all(np.diff(hi) >= -1e-9)
        assert np.all(np.diff(lo) >= -1e-9)
        assert np.all(hi > lo)


def test_limits_converge_to_known_background():
    for n in (0, 2, 7, 20):
        known = rolke.interval(n, 4.0)
        np.testing.assert_allclose(rolke.interval(n, 4.0, 1e-4), known, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            rolke.interval_poisson_bkg(n, 40000, 1e4), known, rtol=2e-3, atol=2e-3
        )
        np.testing.assert_allclose(
            rolke.interval(n, 4.0, 0.0, 0.5, 1e-7), rolke.interval(n, 4.0, 0.0, 0.5), rtol=1e-5
        )


def test_higher_cl_gives_wider_interval():
    lo90, hi90 = rolke.interval(np.arange(1, 30), 5.0, 1.0, cl=0.9)
    lo95, hi95 = rolke.interval(np.arange(1, 30), 5.0, 1.0, cl=0.95)
    assert np.all(hi95 > hi90)
    assert np.all(lo95 <= lo90)


def _brute_statistic(s, n, kind, p1, p2, eff, eff_sigma):
    """Numerical profile: maximise the full log-likelihood over (b, e) with scipy."""

    def nll(par):
        b, e = par[0], (par[1] if eff_sigma > 0 else eff)
        mean = e * s + b
        if mean <= 0 or (kind == KIND_POISSON and b < 0):
            return 1e300
        out = mean - n * np.log(mean)
        if kind == KIND_GAUSS:
            out += 0.5 * (b - p1) ** 2 / p2**2 if p2 > 0 else 0.0
        else:
            out += p2 * b - (p1 * np.log(p2 * b) if p1 > 0 else 0.0)
        if eff_sigma > 0:
            out += 0.5 * (e - eff) ** 2 / eff_sigma**2
        return out

    b0 = p1 if kind == KIND_GAUSS else p1 / p2
    best = min(
        optimize.minimize(
            nll,
            [start, eff],
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000},
        ).fun
        for start in (max(b0, 1e-3), max(n - eff * s, 1e-3), 1e-3)
    )
    mle = (n - b0) / eff
    b_hat = b0
    return 2.0 * (best - (n - n * np.log(eff * mle + b_hat) + 0.0)) - 2.0 * (
        0.0 if kind == KIND_GAUSS else p2 * b_hat - (p1 * np.log(p2 * b_hat) if p1 > 0 else 0.0)
    )


@pytest.mark.parametrize("seed", range(4))
def test_statistic_against_numerical_profile(seed):
    rng = np.random.default_rng(seed)
    for _ in range(8):
        n = int(rng.integers(1, 30))
        eff = rng.uniform(0.1, 1.0)
        eff_sigma = eff * rng.choice([0.0, 0.05, 0.1])
        s = rng.uniform(0.0, 2.0 * n / eff)
        if rng.random() < 0.5:
            b, sb = rng.uniform(0, 20), rng.uniform(0.1, 4)
            ours = rolke.profile_statistic(s, n, b, sb, eff, eff_sigma)
            ref = _brute_statistic(s, n, KIND_GAUSS, b, sb, eff, eff_sigma)
        else:
            y, tau = int(rng.integers(0, 30)), rng.uniform(0.5, 10)
            ours = rolke.profile_statistic_poisson_bkg(s, n, y, tau, eff, eff_sigma)
            ref = _brute_statistic(s, n, KIND_POISSON, float(y), tau, eff, eff_sigma)
        assert ours == pytest.approx(ref, rel=1e-5, abs=1e-6)


def test_kernel_compiled_equals_python():
    level = rolke.chi2_level(0.9)
    cases = [
        (0, KIND_GAUSS, 1.16, 0.87**2, 1.0, 0.0),
        (5, KIND_GAUSS, 2.0, 0.25, 0.5, 0.05**2),
        (1, KIND_GAUSS, 30.0, 1.0, 1.0, 0.0),
        (7, KIND_POISSON, 6.0, 2.0, 0.6, 0.05**2),
        (3, KIND_POISSON, 0.0, 1.5, 0.8, 0.0),
    ]
    for case in cases:
        compiled = interval_kernel(*case, level)
        python = interval_kernel.py_func(*case, level)
        np.testing.assert_allclose(compiled, python, rtol=1e-12, atol=1e-14)
    t_c = statistic(3.0, 5.0, KIND_POISSON, 6.0, 2.0, 0.6, 0.0025)
    t_p = statistic.py_func(3.0, 5.0, KIND_POISSON, 6.0, 2.0, 0.6, 0.0025)
    np.testing.assert_allclose(t_c, t_p, rtol=1e-12)


def test_doctests():
    import doctest

    result = doctest.testmod(rolke, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
