"""Figures of the mass × lifetime scan (NA48/2 K → πμμ): files, blind mode, bad input."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from test_plots import assert_figure_files

from analysis import plots
from analysis.plots.spectrum import _bin_table

LIFETIMES = (0.0, 1.0, 10.0, 100.0, 1000.0)
BLIND_BOX = (489.0, 499.0)
LABELS = {
    "experiment": "NA48/2 2003-2004 — simulation",
    "mass": r"$M(\pi\mu)$ [MeV/$c^2$]",
    "br": r"Upper limit on $\mathcal{B}(K^\pm\to\mu^\pm N)\,\mathcal{B}(N\to\pi^\mp\mu^\pm)$",
    "components": {"data": "Data", "k3pi": r"$K^\pm\to3\pi$", "kpimumu": r"$K^\pm\to\pi\mu\mu$"},
    "blind_regions": [BLIND_BOX],
}


def make_scan(n_mass: int = 40, lifetimes=LIFETIMES, blind: bool = False) -> pd.DataFrame:
    """40 masses × 5 lifetimes; the acceptance falls with the lifetime, and is 0 at the
    last mass for the longest lifetime."""
    rng = np.random.default_rng(7)
    mass = np.linspace(250.0, 375.0, n_mass)
    n_bkg = 5.0 * np.exp(-(mass - 250.0) / 40.0) + 0.2
    n_obs = rng.poisson(n_bkg).astype(float)
    spread = np.sqrt(n_bkg + 1.0)
    med = 2.44 + 1.28 * spread
    n_ul = np.clip(n_obs - n_bkg + 1.28 * spread + 2.0, 2.3, None)
    sigma = 0.8 + 0.01 * (mass - 250.0)
    tables = []
    for tau in lifetimes:
        acceptance = 0.2 * (1 - 0.5 * ((mass - 310.0) / 80.0) ** 2) * np.exp(-tau / 150.0)
        if tau == max(lifetimes):
            acceptance[-1] = 0.0
        sensitivity = 1.6e11 * acceptance
        with np.errstate(divide="ignore"):
            br_ul = n_ul / sensitivity
        tables.append(
            pd.DataFrame(
                {
                    "mass_mev": mass,
                    "lifetime_ps": tau,
                    "n_obs": n_obs,
                    "n_bkg": n_bkg,
                    "n_bkg_err": 0.1 * n_bkg,
                    "acceptance": acceptance,
                    "acceptance_err": 0.05 * acceptance + 1e-5,
                    "sensitivity": sensitivity,
                    "n_ul": n_ul,
                    "br_ul": br_ul,
                    "local_significance": (n_obs - n_bkg) / spread,
                    "sigma_mev": sigma,
                    "window_lo_mev": mass - 2 * sigma,
                    "window_hi_mev": mass + 2 * sigma,
                    "n_ul_exp_m2": 0.55 * med,
                    "n_ul_exp_m1": 0.75 * med,
                    "n_ul_exp_med": med,
                    "n_ul_exp_p1": 1.4 * med,
                    "n_ul_exp_p2": 1.9 * med,
                }
            )
        )
    scan = pd.concat(tables, ignore_index=True)
    if blind:
        scan[["n_obs", "n_ul", "br_ul", "local_significance"]] = np.nan
    return scan.sample(frac=1.0, random_state=3).reset_index(drop=True)


def make_spectrum(blind: bool = False, nan_rows: bool = False) -> pd.DataFrame:
    """M(πμμ) 470-520 MeV in 1 MeV bins: data over K→3π and K→πμμ."""
    rng = np.random.default_rng(5)
    edges = np.arange(470.0, 521.0, 1.0)
    centre = 0.5 * (edges[1:] + edges[:-1])
    sources = {
        "k3pi": 400.0 * np.exp(-(centre - 470.0) / 8.0) + 0.5,
        "kpimumu": 300.0 * np.exp(-0.5 * ((centre - 493.7) / 1.2) ** 2) + 0.2,
    }
    rows = [
        (lo, lo + 1.0, name, value, 0.05 * value)
        for name, counts in sources.items()
        for lo, value in zip(edges[:-1], counts)
    ]
    observed = rng.poisson(sum(sources.values())).astype(float)
    for lo, value in zip(edges[:-1], observed):
        inside = BLIND_BOX[0] <= lo < BLIND_BOX[1]
        if blind and inside and not nan_rows:
            continue  # a blinded bin: no data row at all
        value = np.nan if blind and inside else value
        rows.append((lo, lo + 1.0, "data", value, np.sqrt(value)))
    return pd.DataFrame(rows, columns=list(plots.SPECTRUM_COLUMNS))


def lines(figure):
    (axes,) = figure.axes
    return axes.get_lines()


@pytest.mark.parametrize("blind", [False, True])
def test_all_lifetime_figures(tmp_path, blind):
    outdir = tmp_path / "figures"
    paths = plots.plot_all_lifetime_scan_figures(
        make_scan(blind=blind), make_spectrum(blind=blind), outdir, LABELS
    )
    expected = sorted(f"{n}.{ext}" for n in plots.LIFETIME_FIGURE_NAMES for ext in ("png", "pdf"))
    assert sorted(p.name for p in paths) == expected
    assert_figure_files(paths)
    assert sorted(os.listdir(outdir)) == expected  # no temporary file left


def test_without_spectrum_and_labels(tmp_path):
    paths = plots.plot_all_lifetime_scan_figures(make_scan(), None, tmp_path)
    assert {p.stem for p in paths} == set(plots.LIFETIME_FIGURE_NAMES) - {"m_pimumu"}


def test_observed_lines_one_per_lifetime():
    figure = plots.limit_br_lifetimes_figure(make_scan(), title_label="NA48/2")
    solid = [line for line in lines(figure) if line.get_linestyle() == "-"]
    dashed = [line for line in lines(figure) if line.get_linestyle() == "--"]
    assert [line.get_label() for line in solid] == [plots.lifetime_label(t) for t in LIFETIMES]
    assert solid[0].get_label() == "τ = 0 ps (prompt)"
    assert len(dashed) == 1  # the expected median of the prompt lifetime
    (axes,) = figure.axes
    assert axes.get_yscale() == "log"
    assert axes.get_legend().get_title().get_text() == "Observed"


def test_blind_draws_no_observed_line():
    figure = plots.limit_br_lifetimes_figure(make_scan(blind=True))
    drawn = lines(figure)
    assert [line.get_linestyle() for line in drawn] == ["--"] * len(LIFETIMES)
    assert [line.get_label() for line in drawn] == [plots.lifetime_label(t) for t in LIFETIMES]
    assert all(np.any(np.isfinite(line.get_ydata())) for line in drawn)
    legend = figure.axes[0].get_legend()
    assert "expected (blind)" in legend.get_title().get_text().lower()


def test_blind_single_figures(tmp_path):
    scan = make_scan(blind=True)
    prompt = scan[scan.lifetime_ps == 0.0]
    assert_figure_files(plots.plot_limit_events(prompt, tmp_path / "events"), "events")
    assert_figure_files(plots.plot_limit_br_lifetimes(scan, tmp_path / "br"), "br")


@pytest.mark.parametrize("nan_rows", [False, True])
def test_blind_spectrum_has_no_data_in_the_box(tmp_path, nan_rows):
    spectrum = make_spectrum(blind=True, nan_rows=nan_rows)
    edges, counts, _ = _bin_table(spectrum)
    inside = (edges[:-1] >= BLIND_BOX[0]) & (edges[:-1] < BLIND_BOX[1])
    data = counts["data"].to_numpy()
    assert np.all(np.isnan(data[inside])) and np.all(np.isfinite(data[~inside]))
    for log in (True, False):
        paths = plots.plot_spectrum(spectrum, tmp_path / "m", log=log, blind_regions=[BLIND_BOX])
        assert_figure_files(paths, "m")


def test_zero_acceptance_is_skipped():
    scan = make_scan()
    longest = max(LIFETIMES)
    figure = plots.limit_br_lifetimes_figure(scan, lifetimes=[0.0, longest])
    for line in lines(figure):
        assert not np.any(np.isinf(line.get_ydata()))
    (last,) = [line for line in lines(figure) if line.get_label() == plots.lifetime_label(longest)]
    assert np.isnan(last.get_ydata()[-1]) and np.all(np.isfinite(last.get_ydata()[:-1]))
    for collection in figure.axes[0].collections:
        for path in collection.get_paths():
            assert np.all(np.isfinite(path.vertices))
    acceptance = plots.acceptance_lifetimes_figure(scan)
    assert acceptance.axes[0].get_yscale() == "log"  # 0.2 down to ~2e-4: > 2 decades
    for line in lines(acceptance):
        assert not np.any(np.isinf(line.get_ydata()))


def test_acceptance_linear_over_a_narrow_range():
    figure = plots.acceptance_lifetimes_figure(make_scan(), lifetimes=[0.0, 10.0, 100.0])
    assert figure.axes[0].get_yscale() == "linear"
    assert [line.get_label() for line in lines(figure)] == [
        "τ = 0 ps (prompt)",
        "τ = 10 ps",
        "τ = 100 ps",
    ]
    assert len(figure.axes[0].collections) == 3  # one error band per lifetime


def test_default_lifetimes():
    grid = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
    chosen = plots.default_lifetimes(grid[::-1])
    assert chosen == sorted(chosen) and len(chosen) == 6
    assert chosen[0] == 0 and {10, 100, 1000} <= set(chosen)
    assert plots.default_lifetimes([100, 0, 10]) == [0, 10, 100]
    many_decades = plots.default_lifetimes([0, *(10.0**k for k in range(10))])
    assert len(many_decades) == 6 and many_decades[:2] == [0, 1] and many_decades[-1] == 1e9
    figure = plots.limit_br_lifetimes_figure(make_scan(lifetimes=grid))
    labels = [line.get_label() for line in lines(figure) if line.get_linestyle() == "-"]
    assert labels == [plots.lifetime_label(t) for t in chosen]


def test_lifetime_label():
    assert plots.lifetime_label(0) == "τ = 0 ps (prompt)"
    assert plots.lifetime_label(2.5) == "τ = 2.5 ps"
    assert plots.lifetime_label(1e5) == "τ = $10^{5}$ ps"
    assert plots.lifetime_label(2e4) == r"τ = $2\times10^{4}$ ps"


def test_unknown_lifetime_refused():
    with pytest.raises(ValueError, match="lifetime 3 ps not in the scan"):
        plots.limit_br_lifetimes_figure(make_scan(), lifetimes=[0, 3])


@pytest.mark.parametrize(
    "column", ["lifetime_ps", "sensitivity", "acceptance_err", "n_ul_exp_med", "br_ul"]
)
def test_missing_column(tmp_path, column):
    scan = make_scan().drop(columns=column)
    with pytest.raises(ValueError, match=rf"lacks column\(s\) {column}"):
        plots.plot_all_lifetime_scan_figures(scan, make_spectrum(), tmp_path, LABELS)
    if column != "acceptance_err":
        with pytest.raises(ValueError, match=column):
            plots.plot_limit_br_lifetimes(scan, tmp_path / "x")
    if column in ("lifetime_ps", "acceptance_err"):
        with pytest.raises(ValueError, match=column):
            plots.plot_acceptance_lifetimes(scan, tmp_path / "x")
    assert not any(tmp_path.iterdir())


def test_duplicate_rows_refused(tmp_path):
    scan = make_scan()
    with pytest.raises(ValueError, match="duplicate"):
        plots.plot_acceptance_lifetimes(pd.concat([scan, scan.iloc[:1]]), tmp_path / "x")


def test_unknown_label_key(tmp_path):
    with pytest.raises(ValueError, match="missing_mass"):
        plots.plot_all_lifetime_scan_figures(make_scan(), None, tmp_path, {"missing_mass": "x"})
