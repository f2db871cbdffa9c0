"""Resonance-scan building blocks (windows, counts, background) and the kaon flux."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import scan
from analysis.normalisation import Acceptance, kaon_flux

# ----------------------------------------------------------------- robust σ


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (300.0, 2.5), (-1e-3, 3e-3)])
def test_robust_sigma_on_gaussian_samples(mu, sigma):
    n = 100_000
    x = np.random.default_rng(1).normal(mu, sigma, n)
    m, s = scan.robust_sigma(x)
    assert abs(m - mu) < 5 * 1.1 * sigma / math.sqrt(n)
    # the clipped-and-corrected width is unbiased; its error is a bit above σ/√(2n)
    assert abs(s / sigma - 1) < 5 * 1.3 / math.sqrt(2 * n)


def test_robust_sigma_ignores_a_wide_tail_and_outliers():
    g = np.random.default_rng(2)
    core = g.normal(0.0, 1.0, 90_000)
    tail = g.normal(0.0, 20.0, 5_000)
    far = g.uniform(50, 100, 5_000)
    m, s = scan.robust_sigma(np.concatenate([core, tail, far]))
    assert abs(m) < 0.03
    assert s == pytest.approx(1.0, rel=0.04)
    # the plain standard deviation is useless here
    assert np.concatenate([core, tail, far]).std() > 5


def test_robust_sigma_needs_three_entries():
    assert all(math.isnan(v) for v in scan.robust_sigma(np.array([1.0, 2.0])))
    m, s = scan.robust_sigma(np.array([1.0, 2.0, 3.0]))
    assert m == pytest.approx(2.0)


# ----------------------------------------------------------------- windows and counts


def _brute_force(values, weights, lo, hi):
    s = np.array([weights[(values >= a) & (values < b)].sum() for a, b in zip(lo, hi)])
    s2 = np.array([(weights[(values >= a) & (values < b)] ** 2).sum() for a, b in zip(lo, hi)])
    return s, s2


def test_window_sums_match_brute_force():
    g = np.random.default_rng(3)
    values = np.round(g.uniform(100, 500, 5000), 1)  # ties on purpose
    weights = g.choice([1.0, 20.0, 50.0], values.size) * g.uniform(0.5, 1.5, values.size)
    centre = np.arange(170.0, 449.0, 1.0)
    lo, hi = centre - 3.3, centre + 3.3
    # windows with edges exactly on data values: half-open [lo, hi)
    lo[:10], hi[:10] = values[:10], values[:10] + 5.0
    got = scan.window_sums(values, weights, lo, hi)
    want = _brute_force(values, weights, lo, hi)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-9)


def test_window_sums_empty_inputs():
    s, s2 = scan.window_sums(np.array([]), np.array([]), np.array([1.0]), np.array([2.0]))
    assert s.tolist() == [0.0] and s2.tolist() == [0.0]


def test_observed_in_windows_are_integers():
    g = np.random.default_rng(4)
    data = g.normal(300, 20, 3000)
    lo, hi = np.array([250.0, 290.0, 500.0]), np.array([260.0, 310.0, 510.0])
    n = scan.observed_in_windows(data, lo, hi)
    assert n.dtype == np.int64
    assert n.tolist() == [int(np.sum((data >= a) & (data < b))) for a, b in zip(lo, hi)]
    assert n[2] == 0


def test_windows_are_centred_on_mass_plus_shift():
    hyp = pd.DataFrame(
        {"mass_mev": [200.0, 300.0], "shift_mev": [0.5, -0.2], "sigma_mev": [2.0, 4.0]}
    )
    lo, hi = scan.windows(hyp, 1.5)
    np.testing.assert_allclose(lo, [197.5, 293.8])
    np.testing.assert_allclose(hi, [203.5, 305.8])


def test_background_in_windows_scaling_and_variance():
    lo, hi = np.array([0.0, 10.0, 100.0]), np.array([10.0, 20.0, 110.0])
    mc = {
        "kmu2": pd.DataFrame({"m_miss_mev": [1.0, 2.0, 15.0], "weight": [50.0, 50.0, 50.0]}),
        "ke3": pd.DataFrame({"m_miss_mev": [5.0, 12.0], "weight": [1.0, 20.0]}),
        "empty": pd.DataFrame({"m_miss_mev": np.array([], float), "weight": np.array([], float)}),
    }
    scale = {"kmu2": 1e-3, "ke3": 0.5, "empty": 7.0}
    per_channel, variance = scan.background_in_windows(mc, scale, lo, hi)
    np.testing.assert_allclose(per_channel["kmu2"], [0.1, 0.05, 0.0])
    np.testing.assert_allclose(per_channel["ke3"], [0.5, 10.0, 0.0])
    np.testing.assert_allclose(per_channel["empty"], 0.0)
    # Σ scale² Σw²; an empty window of a channel with events counts one typical event
    w_typ = {"kmu2": 50.0, "ke3": np.median([1.0, 20.0])}
    expected = np.array(
        [
            1e-6 * 2 * 2500 + 0.25 * 1,
            1e-6 * 2500 + 0.25 * 400,
            1e-6 * w_typ["kmu2"] ** 2 + 0.25 * w_typ["ke3"] ** 2,
        ]
    )
    np.testing.assert_allclose(variance, expected)
    # doubling the flux scale doubles the background and quadruples its variance
    doubled, var2 = scan.background_in_windows(mc, {k: 2 * v for k, v in scale.items()}, lo, hi)
    np.testing.assert_allclose(doubled["ke3"], 2 * per_channel["ke3"])
    np.testing.assert_allclose(var2, 4 * variance)


def test_histogram_errors():
    h, err = scan.histogram(
        np.array([0.5, 0.6, 1.5]), np.array([2.0, 3.0, 4.0]), np.array([0.0, 1.0, 2.0])
    )
    np.testing.assert_allclose(h, [5.0, 4.0])
    np.testing.assert_allclose(err, [math.sqrt(13.0), 4.0])


# ----------------------------------------------------------------- signal grid


def test_signal_grid_recovers_resolution_and_acceptance():
    g = np.random.default_rng(5)
    masses = np.array([200.0, 300.0, 400.0])
    sigmas = np.array([2.0, 3.0, 4.0])
    n_fid = np.array([100_000, 100_000, 50_000])
    n_sel = np.array([40_000, 30_000, 20_000])
    frames = [
        pd.DataFrame(
            {"m_miss_mev": g.normal(m + 0.3, s, k), "true_mass_n": m * 1e-3, "weight": 1.0}
        )
        for m, s, k in zip(masses, sigmas, n_sel)
    ]
    grid = scan.signal_grid(pd.concat(frames, ignore_index=True), masses, n_fid, k_sigma=1.5)
    np.testing.assert_allclose(grid["sigma_mev"], sigmas, rtol=0.03)
    np.testing.assert_allclose(grid["shift_mev"], 0.3, atol=0.1)
    inside = stats.norm.cdf(1.5) - stats.norm.cdf(-1.5)
    np.testing.assert_allclose(grid["acceptance"], inside * n_sel / n_fid, rtol=0.03)
    np.testing.assert_allclose(grid["acceptance_total"], n_sel / n_fid, rtol=1e-12)
    assert grid["n_selected"].tolist() == n_sel.tolist()
    # interpolation to the scan masses is linear between grid points
    hyp = scan.interpolate_grid(grid, np.array([250.0, 350.0]))
    np.testing.assert_allclose(
        hyp["sigma_mev"],
        0.5 * (grid["sigma_mev"][:-1].to_numpy() + grid["sigma_mev"][1:].to_numpy()),
    )


def test_interpolate_grid_needs_two_masses():
    grid = pd.DataFrame(
        {
            "mass_mev": [300.0],
            "sigma_mev": [3.0],
            "shift_mev": [0.0],
            "acceptance": [0.1],
            "acceptance_err": [0.001],
            "n_selected": [10],
        }
    )
    with pytest.raises(ValueError, match="fewer than two"):
        scan.interpolate_grid(grid, np.array([300.0]))


# ----------------------------------------------------------------- kaon flux


def test_kaon_flux_hand_numbers():
    """N_K = n_norm/(Σ B·A); relative errors add in quadrature."""
    acc = {
        "kmu2": Acceptance(
            selected=400.0, selected_w2=400.0 * 50.0, n_fiducial=1000
        ),  # A = 0.4 ± 0.1414
        "k2pi": Acceptance(selected=10.0, selected_w2=10.0, n_fiducial=1000),  # A = 0.01 ± 0.00316
    }
    brs = {"kmu2": 0.6356, "k2pi": 0.2067}
    n_norm, n_norm_w2 = 1.0e6, 1.0e6 * 50.0
    flux = kaon_flux(n_norm, n_norm_w2, acc, brs)
    per_kaon = 0.6356 * 0.4 + 0.2067 * 0.01
    per_kaon_err = math.sqrt(
        (0.6356 * math.sqrt(20000.0) / 1000) ** 2 + (0.2067 * math.sqrt(10.0) / 1000) ** 2
    )
    assert flux.expected_per_kaon == pytest.approx(per_kaon, rel=1e-14)
    assert flux.expected_per_kaon_err == pytest.approx(per_kaon_err, rel=1e-12)
    assert flux.n_kaon_decays == pytest.approx(n_norm / per_kaon, rel=1e-14)
    rel = math.sqrt(n_norm_w2 / n_norm**2 + (per_kaon_err / per_kaon) ** 2)
    assert flux.n_kaon_decays_err == pytest.approx(flux.n_kaon_decays * rel, rel=1e-12)
    assert flux.n_norm_err == pytest.approx(math.sqrt(5e7))
    assert flux.as_dict()["n_kaon_decays"] == flux.n_kaon_decays


def test_kaon_flux_single_channel_exact():
    flux = kaon_flux(2000.0, 2000.0, {"kmu2": Acceptance(500.0, 500.0, 1000)}, {"kmu2": 0.5})
    assert flux.n_kaon_decays == pytest.approx(8000.0)
    # relative error √(1/2000 + 1/500)
    assert flux.n_kaon_decays_err == pytest.approx(8000.0 * math.sqrt(1 / 2000 + 1 / 500))


def test_kaon_flux_refusals():
    with pytest.raises(ValueError, match="no normalisation candidates"):
        kaon_flux(0.0, 0.0, {"kmu2": Acceptance(1.0, 1.0, 10)}, {"kmu2": 0.6})
    with pytest.raises(ValueError, match="accepts no simulated decay"):
        kaon_flux(10.0, 10.0, {"kmu2": Acceptance(0.0, 0.0, 10)}, {"kmu2": 0.6})
    assert Acceptance(5.0, 5.0, 0).value == 0.0 and Acceptance(5.0, 5.0, 0).error == 0.0
