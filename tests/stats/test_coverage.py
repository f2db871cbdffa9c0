"""Coverage of the Rolke–López intervals (analysis.stats.coverage)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy import stats

from analysis.stats import coverage as cv
from analysis.stats import rolke


def _exact_known(signal, bkg, eff, cl=0.9):
    """Exact coverage for known background and efficiency: sum of Poisson weights of covering n."""
    n = np.arange(0, 400)
    lower, upper = rolke.interval(n, bkg, 0.0, eff, 0.0, cl)
    covers = (lower <= signal) & (signal <= upper)
    return stats.poisson.pmf(n, eff * signal + bkg)[covers].sum()


@pytest.mark.parametrize(("signal", "bkg"), [(2.0, 0.5), (0.5, 5.0), (5.0, 3.0), (0.0, 1.0)])
def test_toys_agree_with_exact_coverage(signal, bkg):
    exact = _exact_known(signal, bkg, 0.8)
    toys = cv.coverage(signal, bkg, 0.0, 0.8, 0.0, 0.9, n_toys=20000, seed=4)
    assert abs(toys - exact) < 4 * np.sqrt(exact * (1 - exact) / 20000)


def test_coverage_in_analysis_region():
    """s 0-20, b 2-50, bkg_sigma 10-30 % of b, eff_sigma 0-10 %: coverage >= 88 %.

    (within 3 standard deviations of the toy error)
    """
    s = np.array([0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0])[:, None, None, None]
    b = np.array([2.0, 5.0, 10.0, 20.0, 50.0])[None, :, None, None]
    rel = np.array([0.1, 0.3])[None, None, :, None]
    eff_sigma = np.array([0.0, 0.08])[None, None, None, :]
    n_toys = 6000
    cov = cv.coverage(s, b, rel * b, 0.8, eff_sigma, 0.9, n_toys=n_toys, seed=21)
    floor = 0.88 - 3 * np.sqrt(0.9 * 0.1 / n_toys)
    assert cov.min() >= floor, np.argwhere(cov < floor)
    # and it is not grossly conservative away from s = 0
    assert np.median(cov[1:]) < 0.93


def test_documented_under_coverage():
    """Small or known background: discreteness of n causes under-coverage (module docstring)."""
    assert _exact_known(2.0, 0.5, 0.8) == pytest.approx(0.815, abs=0.002)
    assert _exact_known(0.5, 5.0, 0.8) == pytest.approx(0.856, abs=0.002)
    # a 10 % background uncertainty at b = 5 restores coverage
    assert cv.coverage(0.5, 5.0, 0.5, 0.8, 0.0, 0.9, n_toys=10000, seed=2) > 0.9


def test_poisson_background_coverage():
    cov = cv.coverage_poisson_bkg(
        np.array([1.0, 3.0, 8.0]), 4.0, 2.0, 0.9, 0.05, 0.9, n_toys=6000, seed=8
    )
    assert np.all(cov >= 0.88 - 3 * np.sqrt(0.09 / 6000))


def test_thread_independent_and_validated():
    args = (np.array([1.0, 4.0]), 3.0, 0.6, 0.8, 0.05, 0.9, 500, 3)
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = cv.coverage(*args)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one, cv.coverage(*args))
    with pytest.raises(ValueError, match="n_toys"):
        cv.coverage(1.0, 1.0, 0.1, n_toys=0)
    with pytest.raises(ValueError, match="signal"):
        cv.coverage(-1.0, 1.0, 0.1)


def test_doctests():
    import doctest

    result = doctest.testmod(cv)
    assert result.failed == 0 and result.attempted > 0
