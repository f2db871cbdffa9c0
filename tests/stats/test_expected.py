"""Expected-limit bands (analysis.stats.expected)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.stats import expected as ex
from analysis.stats import rolke


def test_bands_are_limits_at_poisson_quantiles():
    bands = ex.expected_limits(4.0, 0.8, 0.7, 0.03)
    for k in ex.BANDS:
        n_q = int(stats.poisson.ppf(stats.norm.cdf(k), 4.0))
        assert bands[k] == rolke.interval(n_q, 4.0, 0.8, 0.7, 0.03)[1]
    values = [bands[k] for k in ex.BANDS]
    assert values == sorted(values)


def test_exact_equals_toys():
    b = np.array([0.5, 3.0, 12.0, 40.0])
    exact = ex.expected_limits(b, 0.2 * b, cl=0.95)
    toys = ex.expected_limits(b, 0.2 * b, cl=0.95, n_toys=40000, seed=3)
    for k in ex.BANDS:
        np.testing.assert_allclose(toys[k], exact[k], rtol=1e-12)


def test_quantile_property():
    """P(U(n) <= band_k) >= Phi(k) > P(U(n) < band_k) for n ~ Poisson(b)."""
    b = 6.5
    n = np.arange(0, 100)
    upper = rolke.interval(n, b, 1.0)[1]
    pmf = stats.poisson.pmf(n, b)
    bands = ex.expected_limits(b, 1.0)
    for k in ex.BANDS:
        q = stats.norm.cdf(k)
        assert pmf[upper <= bands[k]].sum() >= q > pmf[upper < bands[k]].sum()


def test_poisson_background_and_shapes():
    bands = ex.expected_limits_poisson_bkg([[4], [10]], [1.0, 2.0, 4.0])
    assert bands[0].shape == (2, 3)
    assert (
        bands[0][1, 0] == rolke.interval_poisson_bkg(int(stats.poisson.ppf(0.5, 10.0)), 10, 1.0)[1]
    )
    scalar = ex.expected_limits(2.0)
    assert isinstance(scalar[0], float)
    with pytest.raises(ValueError, match="n_toys"):
        ex.expected_limits(2.0, n_toys=-3)


def test_doctests():
    import doctest

    result = doctest.testmod(ex)
    assert result.failed == 0 and result.attempted > 0
