"""Rolke–López intervals against ROOT's TRolke (tables made by tools/trolke_reference).

Tolerance: 0.5 % relative or 0.005 absolute, whichever is larger.

Every table row must agree with TRolke except for three documented TRolke
defects, which are reproduced here by explicit rules so that each deviating row
is accounted for:

(A) ``n_obs = 0`` with a known efficiency ``e``: TRolke's extrapolation from
    ``n_obs = 1, 2`` divides by ``e`` in the recursive calls and again
    afterwards, so it reports ``U / e``.  With a known efficiency the signal
    only enters as ``e s``, hence the limit must scale exactly as ``1 / e``
    (asserted in ``test_rolke.py``).
(B) TRolke's lower-limit search gives up as soon as an iterate falls below
    ``0.01`` (in units of ``e s`` for a known efficiency, of ``s`` otherwise)
    and then reports a zero upper limit, which makes it move on to the next
    count; the reported interval is that of ``n_obs + 1`` (or a wrong
    ``n_obs = 0`` extrapolation).  The correct interval has a small positive
    lower limit at which the profile statistic equals the threshold.
(C) For a Gaussian efficiency with ``eff_sigma / eff`` below ``2e-3`` the closed
    formulas of TRolke divide by ``eff_sigma**2`` and lose all precision; the
    correct result is continuous in ``eff_sigma`` and tends to the
    known-efficiency interval.
(D) Poisson background with ``n_control = 0`` and a Gaussian efficiency:
    TRolke fixes the profiled background to 0 instead of maximising over
    ``b >= 0``; its profile likelihood is therefore too small near ``s = 0``
    and its lower limit too high (upper limits agree).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from analysis.stats import rolke
from analysis.stats._profile import KIND_GAUSS, KIND_POISSON, raw_interval, statistic

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "stats"


def _load(name):
    return np.genfromtxt(DATA / f"trolke_{name}.csv", delimiter=",", names=True)


@pytest.fixture(scope="module")
def gauss():
    table = _load("gauss")
    lower, upper = rolke.interval(
        table["n_obs"].astype(np.int64),
        table["bkg"],
        table["bkg_sigma"],
        table["eff"],
        table["eff_sigma"],
        table["cl"],
    )
    return table, lower, upper


@pytest.fixture(scope="module")
def poisson():
    table = _load("poisson")
    lower, upper = rolke.interval_poisson_bkg(
        table["n_obs"].astype(np.int64),
        table["n_control"].astype(np.int64),
        table["tau"],
        table["eff"],
        table["eff_sigma"],
        table["cl"],
    )
    return table, lower, upper


def _close(mine, ref):
    return np.abs(mine - ref) <= np.maximum(0.005 * np.abs(ref), 0.005)


def _emulate_trolke(n, kind, p1, p2, eff, eff_sigma, cl, cut):
    """Our kernels with TRolke's defects (A) and (B) switched on."""
    level = rolke.chi2_level(cl)
    v = eff_sigma**2
    scale = eff if eff_sigma == 0.0 else 1.0  # TRolke's internal signal unit

    def raw(k):
        lo, hi = raw_interval(float(k), kind, p1, p2, eff, v, level)
        if 0.0 < lo * scale < cut:
            return 0.0, 0.0
        return lo, hi

    k = n
    while True:
        if k == 0:
            lo, hi = 0.0, max(2.0 * raw(1)[1] - raw(2)[1], 0.0)
            if eff_sigma == 0.0:
                hi /= eff
        else:
            lo, hi = raw(k)
        if hi > 0.0:
            return lo, hi
        k += 1


def _classify(table, lower, upper, kind):
    names = table.dtype.names
    ok = _close(lower, table["lower"]) & _close(upper, table["upper"])
    defects = {"A/B": [], "C": [], "D": [], "unexplained": []}
    for i in np.flatnonzero(~ok):
        n = int(table["n_obs"][i])
        p1, p2 = float(table[names[1]][i]), float(table[names[2]][i])
        if kind == KIND_GAUSS:
            p2 = p2 * p2
        eff, eff_sigma, cl = (
            float(table["eff"][i]),
            float(table["eff_sigma"][i]),
            float(table["cl"][i]),
        )
        if 0.0 < eff_sigma < 2e-3 * eff:
            defects["C"].append(i)
            continue
        if kind == KIND_POISSON and p1 == 0.0 and eff_sigma > 0.0:
            defects["D"].append(i)
            continue
        emulated = [
            _emulate_trolke(n, kind, p1, p2, eff, eff_sigma, cl, cut) for cut in (0.01, 0.02, 0.05)
        ]
        if any(
            _close(lo, table["lower"][i]) and _close(hi, table["upper"][i]) for lo, hi in emulated
        ):
            defects["A/B"].append(i)
        else:
            defects["unexplained"].append(i)
    return ok, defects


def test_reference_point_matches_trolke(gauss):
    table, lower, upper = gauss
    assert table["upper"][0] == pytest.approx(2.757, abs=5e-4)
    assert upper[0] == pytest.approx(table["upper"][0], rel=1e-5)
    assert lower[0] == 0.0


@pytest.mark.parametrize("which", ["gauss", "poisson"])
def test_agreement_with_trolke(which, gauss, poisson):
    table, lower, upper = gauss if which == "gauss" else poisson
    kind = KIND_GAUSS if which == "gauss" else KIND_POISSON
    ok, defects = _classify(table, lower, upper, kind)
    assert defects["unexplained"] == [], [table[i] for i in defects["unexplained"]]
    # the defects are rare: more than 97 % of the grid agrees directly
    assert ok.mean() > 0.97
    good = ok
    rel = np.abs(upper[good] - table["upper"][good]) / np.maximum(table["upper"][good], 1.0)
    assert rel.max() < 5e-3


def test_defect_c_small_eff_sigma_is_continuous(gauss, poisson):
    for table, lower, upper, fn, col in (
        (*gauss, rolke.interval, "bkg"),
        (*poisson, rolke.interval_poisson_bkg, "n_control"),
    ):
        names = table.dtype.names
        sel = (table["eff_sigma"] > 0) & (table["eff_sigma"] < 2e-3 * table["eff"])
        assert sel.any()
        args = [table[names[1]][sel], table[names[2]][sel]]
        if col == "n_control":
            args[0] = args[0].astype(np.int64)
        lo0, hi0 = fn(
            table["n_obs"][sel].astype(np.int64), *args, table["eff"][sel], 0.0, table["cl"][sel]
        )
        np.testing.assert_allclose(lower[sel], lo0, rtol=5e-3, atol=5e-3)
        np.testing.assert_allclose(upper[sel], hi0, rtol=5e-3, atol=5e-3)


def test_defect_d_zero_control_count(poisson):
    table, lower, upper = poisson
    sel = (table["n_control"] == 0) & (table["eff_sigma"] > 0)
    assert sel.sum() > 10
    np.testing.assert_allclose(upper[sel], table["upper"][sel], rtol=5e-3, atol=5e-3)
    # TRolke's restricted profile can only reject more: its lower limits are higher
    assert np.all(table["lower"][sel] >= lower[sel] - 5e-3)
    # ours are where the (correctly maximised) profile statistic crosses the threshold
    for i in np.flatnonzero(sel & (lower > 0)):
        t, _ = statistic(
            lower[i],
            float(table["n_obs"][i]),
            KIND_POISSON,
            0.0,
            table["tau"][i],
            table["eff"][i],
            table["eff_sigma"][i] ** 2,
        )
        assert t == pytest.approx(rolke.chi2_level(table["cl"][i]), rel=1e-6)
