"""Feldman–Cousins intervals against Tables IV and V of PRD 57 (1998) 3873.

Note on the value ``n = 5, b = 1`` (90 % CL): the construction gives
``[1.25, 8.99]`` (as does ROOT's TFeldmanCousins); the upper limits of a row of
Table IV drop by exactly 0.5 per 0.5 of background for large enough ``n``
(9.99 at ``b = 0``, 9.49 at ``b = 0.5``), so a value of 9.59 at ``b = 1`` is not
a Table IV entry.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.stats import feldman_cousins as fc

# Table IV (90 % CL) and Table V (95 % CL), b = 0, n = 0..10
TABLE_IV_B0 = [
    (0.00, 2.44),
    (0.11, 4.36),
    (0.53, 5.91),
    (1.10, 7.42),
    (1.47, 8.60),
    (1.84, 9.99),
    (2.21, 11.47),
    (3.56, 12.53),
    (3.96, 13.99),
    (4.36, 15.30),
    (5.50, 16.50),
]
TABLE_V_B0 = [
    (0.00, 3.09),
    (0.05, 5.14),
    (0.36, 6.72),
    (0.82, 8.25),
    (1.37, 9.76),
    (1.84, 11.26),
    (2.21, 12.75),
    (2.58, 13.81),
    (2.94, 15.29),
    (4.36, 16.77),
    (4.75, 17.82),
]
# Table IV, n = 0, upper limits for b = 0, 0.5, ..., 2.0, 2.5, 3.0, 3.5, 4.0, 5.0 (monotone in b)
TABLE_IV_N0_B = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]
TABLE_IV_N0_UL = [2.44, 1.94, 1.61, 1.33, 1.26, 1.18, 1.08, 1.06, 1.01, 0.98]


@pytest.mark.parametrize(("cl", "table"), [(0.9, TABLE_IV_B0), (0.95, TABLE_V_B0)])
def test_zero_background_rows(cl, table):
    lower, upper = fc.interval(np.arange(11), 0.0, cl)
    ref = np.array(table)
    np.testing.assert_allclose(lower, ref[:, 0], atol=0.0051)
    np.testing.assert_allclose(upper, ref[:, 1], atol=0.0051)


def test_background_shifts_rows():
    """For large enough n a row of Table IV moves down by the background: 9.99 -> 8.99 at b = 1."""
    lower, upper = fc.interval(5, 1.0)
    assert (round(lower, 2), round(upper, 2)) == (1.25, 8.99)
    lower, upper = fc.interval(10, [0.5, 1.0, 3.0])
    np.testing.assert_allclose(upper, [16.00, 15.50, 13.50], atol=0.0051)


def test_n0_row_with_table_convention():
    upper = np.array([fc.interval(0, b, monotone_bkg=True)[1] for b in TABLE_IV_N0_B])
    np.testing.assert_allclose(upper, TABLE_IV_N0_UL, atol=0.0051)
    # the plain construction is not monotone in b (Poisson discreteness)
    plain = fc.interval(0, np.array(TABLE_IV_N0_B))[1]
    assert plain[6] == pytest.approx(0.95, abs=0.006) and plain[7] > plain[6]
    assert np.all(upper >= plain - 1e-9)


@pytest.mark.parametrize("b", [0.0, 0.7, 3.0, 8.0])
def test_exact_coverage(b):
    """Coverage sum_n P(n | mu + b) [lo(n) <= mu <= hi(n)] >= CL for a mu scan."""
    n = np.arange(0, 80)
    lower, upper = fc.interval(n, b)
    for mu in np.linspace(0.0, 15.0, 61):
        covered = (lower <= mu + 1e-9) & (mu <= upper + 1e-9)
        coverage = stats.poisson.pmf(n, mu + b)[covered].sum()
        assert coverage >= 0.9 - 1e-6, (mu, coverage)


def test_acceptance_contains_cl():
    for mu, b in [(0.0, 0.0), (0.5, 3.0), (4.0, 1.0), (20.0, 10.0)]:
        n1, n2 = fc.acceptance(mu, b)
        prob = stats.poisson.cdf(n2, mu + b) - stats.poisson.cdf(n1 - 1, mu + b)
        assert prob >= 0.9
        # minimality: dropping either end falls below CL
        assert (
            prob - stats.poisson.pmf(n1, mu + b) < 0.9 or prob - stats.poisson.pmf(n2, mu + b) < 0.9
        )


def test_kernel_python_equals_compiled():
    for args in [(0.5, 3.0, 0.9), (7.3, 1.2, 0.95)]:
        assert fc.acceptance_kernel(*args) == fc.acceptance_kernel.py_func(*args)


def test_validation():
    with pytest.raises(ValueError, match="bkg"):
        fc.interval(1, -1.0)
    with pytest.raises(ValueError, match="n_obs"):
        fc.interval(-1, 1.0)


def test_doctests():
    import doctest

    result = doctest.testmod(fc)
    assert result.failed == 0 and result.attempted > 0
