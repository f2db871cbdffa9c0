"""Local and global significances (analysis.stats.significance)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy import integrate, stats

from analysis.stats import significance as sg


@pytest.mark.parametrize(
    ("n", "b", "sigma"), [(10, 3.0, 1.0), (3, 0.5, 0.4), (40, 20.0, 5.0), (25, 3.0, 1.0)]
)
def test_integrated_p_value_against_quadrature(n, b, sigma):
    def integrand(x):
        return stats.poisson.sf(n - 1, x) * stats.norm.pdf(x, b, sigma)

    ref = integrate.quad(
        integrand, 0.0, b + 40 * sigma, points=[b], epsabs=0, epsrel=1e-10, limit=200
    )[0]
    ref /= stats.norm.sf(0.0, b, sigma)
    assert sg.p_value(n, b, sigma) == pytest.approx(ref, rel=1e-6)


@pytest.mark.parametrize("method", ["integrated", "z_bi"])
def test_known_background_is_poisson_tail(method):
    n = np.arange(0, 40)
    np.testing.assert_allclose(
        sg.p_value(n, 7.5, 0.0, method), stats.poisson.sf(n - 1, 7.5), rtol=1e-9
    )


def test_z_bi_is_binomial_tail():
    """b = 4 +- 2 maps to n_off = 4, tau = 1: p = P(X >= n_on | n_on + 4 trials, rho = 1/2)."""
    for n in (2, 6, 12):
        ref = stats.binom.sf(n - 1, n + 4, 0.5)
        assert sg.p_value(n, 4.0, 2.0, "z_bi") == pytest.approx(ref, rel=1e-10)


def test_significance_conventions():
    z = sg.local_significance([0, 1, 3, 30], 3.0, 1.0)
    assert z[0] == 0.0 and z[1] == 0.0 and z[2] == 0.0 and z[3] > 5
    assert sg.p_to_z(sg.z_to_p(2.5)) == pytest.approx(2.5)
    # larger background uncertainty -> smaller significance
    assert np.all(np.diff(sg.local_significance(20, 5.0, [0.0, 0.5, 1.0, 2.0])) < 0)
    # the asymptotic profile-likelihood Z approaches Z_N for large counts
    zn = sg.local_significance(1300, 1000.0, 10.0)
    zp = sg.local_significance(1300, 1000.0, 10.0, "profile")
    assert zp == pytest.approx(zn, rel=0.03)
    with pytest.raises(ValueError, match="method"):
        sg.p_value(1, 1.0, method="bayes")


def test_kernels_python_equals_compiled():
    for args in [(5, 2.3), (0, 1.0), (30, 4.0), (3, 10.0)]:
        assert sg.poisson_sf(*args) == pytest.approx(sg.poisson_sf.py_func(*args), rel=1e-14)
    assert sg.p_integrated_kernel(8, 2.0, 0.7) == pytest.approx(
        sg.p_integrated_kernel.py_func(8, 2.0, 0.7), rel=1e-13
    )


def test_single_window_toys_reproduce_local_p_value():
    spectrum = np.array([1.0, 2.0, 1.5])
    zmax = sg.scan_toys(spectrum, [0], [3], 4.5, 0.0, 40000, seed=5)
    for n in (7, 9, 11):
        z_local = sg.local_significance(n, 4.5)
        frac = np.mean(zmax >= z_local - 1e-12)
        p = stats.poisson.sf(n - 1, 4.5)
        assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / zmax.size) + 1e-4


def test_toys_with_background_uncertainty_reproduce_integrated_p_value():
    # the toys' true background is drawn from the estimate's (truncated) Gaussian, so
    # one window's toys follow the prior-predictive p-value of the local significance
    spectrum = np.array([20.0, 30.0])
    b, sigma = 50.0, 10.0
    zmax = sg.scan_toys(spectrum, [0], [2], b, sigma, 40000, seed=8, bin_rel_sigma=sigma / b)
    for n in (60, 70, 85):
        z_local = sg.local_significance(n, b, sigma)
        frac = np.mean(zmax >= z_local - 1e-12)
        p = sg.p_value(n, b, sigma)
        assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / zmax.size) + 1e-4
    # with the expectation held fixed the toys under-cover: 70 counts exceed far less often
    fixed = sg.scan_toys(spectrum, [0], [2], b, sigma, 40000, seed=8)
    z70 = sg.local_significance(70, b, sigma)
    assert np.mean(fixed >= z70 - 1e-12) < 0.5 * sg.p_value(70, b, sigma)


def test_overlapping_windows_are_correlated():
    spectrum = np.full(60, 0.5)
    lo = np.arange(0, 55)
    hi = lo + 6
    zmax = sg.scan_toys(spectrum, lo, hi, 3.0, 0.0, 20000, seed=2)
    z_local = sg.local_significance(9, 3.0)
    p_local = sg.z_to_p(z_local)
    p_global = sg.z_to_p(sg.global_significance(z_local, zmax))
    # a trials factor above 1 but below the number of (overlapping) windows
    assert 3 * p_local < p_global < lo.size * p_local
    # same probability from an independent NumPy simulation of the window sums
    rng = np.random.default_rng(99)
    bins = rng.poisson(0.5, (20000, 60)).cumsum(axis=1)
    bins = np.concatenate([np.zeros((20000, 1), bins.dtype), bins], axis=1)
    frac = np.mean((bins[:, hi] - bins[:, lo]).max(axis=1) >= 9)
    assert abs(np.mean(zmax >= z_local - 1e-12) - frac) < 4 * np.sqrt(2 * frac * (1 - frac) / 20000)
    # independent windows of the same size would give ~ 1 - (1 - p)^10 for 10 disjoint windows
    disjoint = sg.scan_toys(
        spectrum, np.arange(0, 60, 6), np.arange(6, 61, 6), 3.0, 0.0, 20000, seed=3
    )
    p_disjoint = np.mean(disjoint >= z_local - 1e-12)
    assert p_disjoint == pytest.approx(1 - (1 - p_local) ** 10, rel=0.1)


def test_toys_reproducible_and_thread_independent():
    spectrum = np.linspace(2.0, 0.2, 40)
    args = (spectrum, np.arange(0, 35), np.arange(5, 40), 3.0, 0.5, 3000)
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sg.scan_toys(*args, seed=11)
        numba.set_num_threads(previous)
        many = sg.scan_toys(*args, seed=11)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one, many)
    assert not np.array_equal(one, sg.scan_toys(*args, seed=12))


def test_global_significance_calibration():
    rng = np.random.default_rng(0)
    toys = rng.normal(size=9999)
    # an observation at the 99th percentile of the toys has p_global ~ 0.01
    z = sg.global_significance(np.quantile(toys, 0.99), toys)
    assert sg.z_to_p(z) == pytest.approx(0.01, rel=0.02)
    assert sg.global_significance(100.0, toys) == pytest.approx(sg.p_to_z(1 / 10000))
    assert sg.global_significance(-5.0, toys) == 0.0


def test_scan_validation():
    with pytest.raises(ValueError, match="windows"):
        sg.scan_toys(np.ones(5), [0, 3], [2, 6], 1.0, 0.0, 10, 1)
    with pytest.raises(ValueError, match="n_toys"):
        sg.scan_toys(np.ones(5), [0], [2], 1.0, 0.0, 0, 1)


def test_doctests():
    import doctest

    result = doctest.testmod(sg)
    assert result.failed == 0 and result.attempted > 0
