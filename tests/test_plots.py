"""Figures: every file written, valid images, clear errors on bad input."""

from __future__ import annotations

import os

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from analysis import plots

LABELS = {
    "experiment": "NA62 2015 minimum bias — simulation",
    "missing_mass": r"$m_{\mathrm{miss}}$ [MeV/$c^2$]",
    "br": r"Upper limit on $\mathcal{B}(K^+\to e^+N)$",
    "u2": r"Upper limit on $|U_{e4}|^2$",
    "components": {
        "data": "Pseudo-data",
        "ke3": r"$K^+\to\pi^0 e^+\nu$",
        "kmu2": r"$K^+\to\mu^+\nu$",
        "k2pi": r"$K^+\to\pi^+\pi^0$",
        "signal": r"$K^+\to e^+N$, $m_N = 300$ MeV/$c^2$",
    },
}


def make_scan(n_points: int = 279, with_u2: bool = True) -> pd.DataFrame:
    """A scan shaped like the na62_en one: 170-448 MeV in 1 MeV steps."""
    rng = np.random.default_rng(1)
    mass = np.linspace(170.0, 448.0, n_points)
    sigma = 1.2 + 2.0 * (mass - 170.0) / 278.0
    n_bkg = 40.0 * np.exp(-(mass - 170.0) / 90.0) + 0.3
    n_obs = rng.poisson(n_bkg).astype(float)
    acceptance = 0.35 * (1 - 0.4 * ((mass - 300.0) / 150.0) ** 2)
    # Rough stand-ins for the Rolke-Lopez limits and their expected quantiles.
    spread = np.sqrt(n_bkg + 1.0)
    med = 2.44 + 1.28 * spread
    n_ul = np.clip(n_obs - n_bkg + 1.28 * spread + 2.0, 2.3, None)
    n_ul[5] = 0.0  # a degenerate row must not break the expected bands
    n_k = 3.01e8 * 0.02
    br_ul = n_ul / (n_k * acceptance)
    table = {
        "mass_mev": mass,
        "n_obs": n_obs,
        "n_bkg": n_bkg,
        "n_bkg_err": 0.1 * n_bkg,
        "acceptance": acceptance,
        "n_ul": n_ul,
        "br_ul": br_ul,
        "local_significance": (n_obs - n_bkg) / spread,
        "sigma_mev": sigma,
        "window_lo_mev": mass - 1.5 * sigma,
        "window_hi_mev": mass + 1.5 * sigma,
        "n_ul_exp_m2": 0.55 * med,
        "n_ul_exp_m1": 0.75 * med,
        "n_ul_exp_med": med,
        "n_ul_exp_p1": 1.4 * med,
        "n_ul_exp_p2": 1.9 * med,
    }
    if with_u2:
        table["u2_ul"] = br_ul / (1.582e-5 * 1.0e5 * (1 + (mass - 170.0) / 300.0))
    # Shuffled rows: the figures must sort by mass themselves.
    return pd.DataFrame(table).sample(frac=1.0, random_state=3).reset_index(drop=True)


def make_spectrum(signal: bool = True) -> pd.DataFrame:
    """Missing-mass spectrum 0-450 MeV in 5 MeV bins, data over three MC sources."""
    rng = np.random.default_rng(2)
    edges = np.arange(0.0, 455.0, 5.0)
    centre = 0.5 * (edges[1:] + edges[:-1])
    sources = {
        "ke3": 3000.0 * np.exp(-0.5 * ((centre - 190.0) / 70.0) ** 2),
        "kmu2": 800.0 * np.exp(-centre / 60.0),
        "k2pi": 150.0 * np.exp(-0.5 * ((centre - 140.0) / 15.0) ** 2) + 1.0,
    }
    rows = []
    total = sum(sources.values())
    for name, expected in sources.items():
        for lo, value in zip(edges[:-1], expected):
            rows.append((lo, lo + 5.0, name, value, 0.05 * value))
    if signal:
        peak = 400.0 * np.exp(-0.5 * ((centre - 300.0) / 2.5) ** 2)
        total = total + peak
        for lo, value in zip(edges[:-1], peak):
            rows.append((lo, lo + 5.0, "signal", value, 0.0))
    observed = rng.poisson(total).astype(float)
    observed[-3:] = 0.0  # empty bins: not drawn on a log axis
    for lo, value in zip(edges[:-1], observed):
        rows.append((lo, lo + 5.0, "data", value, np.sqrt(value)))
    return pd.DataFrame(rows, columns=list(plots.SPECTRUM_COLUMNS))


@pytest.fixture
def scan():
    return make_scan()


@pytest.fixture
def spectrum():
    return make_spectrum()


def assert_figure_files(paths, stem=None):
    for path in paths:
        assert path.is_file(), path
        assert path.stat().st_size > 1000, path
        if path.suffix == ".png":
            image = matplotlib.image.imread(path)
            assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 300
            # Not a blank canvas.
            assert float(np.std(image[..., :3])) > 0.01
        else:
            assert path.suffix == ".pdf"
            assert path.read_bytes().startswith(b"%PDF")
    if stem is not None:
        assert sorted(p.name for p in paths) == [f"{stem}.pdf", f"{stem}.png"]


def test_all_scan_figures(tmp_path, scan, spectrum):
    paths = plots.plot_all_scan_figures(scan, spectrum, tmp_path / "figures", LABELS)
    names = sorted(p.name for p in paths)
    expected = sorted(f"{n}.{ext}" for n in plots.FIGURE_NAMES for ext in ("png", "pdf"))
    assert names == expected
    assert_figure_files(paths)
    # Nothing else left behind (temporary files renamed away).
    assert sorted(os.listdir(tmp_path / "figures")) == expected


def test_without_u2_and_spectrum(tmp_path):
    paths = plots.plot_all_scan_figures(make_scan(with_u2=False), None, tmp_path)
    stems = {p.stem for p in paths}
    assert stems == set(plots.FIGURE_NAMES) - {"limit_u2", "missing_mass"}
    assert_figure_files(paths)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (plots.plot_limit_events, ()),
        (plots.plot_limit_br, (r"$\mathcal{B}$",)),
        (plots.plot_limit_u2, (r"$|U_{e4}|^2$",)),
        (plots.plot_acceptance, ()),
        (plots.plot_resolution, ()),
    ],
)
def test_single_scan_figure(tmp_path, scan, function, args):
    paths = function(scan, tmp_path / "figure", *args, title_label="NA62 — simulation")
    assert_figure_files(paths, "figure")


@pytest.mark.parametrize("log", [True, False])
def test_spectrum_figure(tmp_path, spectrum, log):
    paths = plots.plot_spectrum(
        spectrum,
        tmp_path / "missing_mass",
        r"$m_{\mathrm{miss}}$ [MeV/$c^2$]",
        "NA62",
        log=log,
        blind_regions=[(280.0, 320.0)],
    )
    assert_figure_files(paths, "missing_mass")


def test_spectrum_with_gap_and_data_only(tmp_path):
    spectrum = make_spectrum(signal=False)
    # A region left out of the table (e.g. blinded) and no MC at all.
    spectrum = spectrum[(spectrum.component == "data") & ~spectrum.bin_lo.between(100.0, 150.0)]
    paths = plots.plot_spectrum(spectrum, tmp_path / "data_only", title_label="NA62")
    assert_figure_files(paths, "data_only")


def test_limit_with_nothing_positive_falls_back_to_linear(tmp_path, scan):
    zero = scan.assign(n_ul=0.0, br_ul=0.0)
    paths = plots.plot_limit_br(zero, tmp_path / "zero")
    assert_figure_files(paths, "zero")


def test_overwrites_existing_figure(tmp_path, scan):
    (tmp_path / "acceptance.png").write_bytes(b"stale")
    plots.plot_acceptance(scan, tmp_path / "acceptance")
    assert matplotlib.image.imread(tmp_path / "acceptance.png").ndim == 3


@pytest.mark.parametrize("column", ["n_ul_exp_p2", "mass_mev", "br_ul"])
def test_missing_scan_column(tmp_path, scan, column):
    with pytest.raises(ValueError, match=rf"lacks column\(s\) {column}"):
        plots.plot_limit_br(scan.drop(columns=column), tmp_path / "x")
    with pytest.raises(ValueError, match=column):
        plots.plot_all_scan_figures(scan.drop(columns=column), None, tmp_path)
    assert not any(tmp_path.iterdir())


def test_missing_u2_column_when_asked(tmp_path):
    with pytest.raises(ValueError, match="u2_ul"):
        plots.plot_limit_u2(make_scan(with_u2=False), tmp_path / "x")


def test_missing_spectrum_column(tmp_path, spectrum):
    with pytest.raises(ValueError, match="plot_spectrum.*count_err"):
        plots.plot_spectrum(spectrum.drop(columns="count_err"), tmp_path / "x")


def test_empty_table(tmp_path, scan):
    with pytest.raises(ValueError, match="empty"):
        plots.plot_acceptance(scan.iloc[:0], tmp_path / "x")


def test_unknown_label_key(tmp_path, scan):
    with pytest.raises(ValueError, match="experimnet"):
        plots.plot_all_scan_figures(scan, None, tmp_path, {"experimnet": "NA62"})


def test_not_a_dataframe(tmp_path):
    with pytest.raises(TypeError, match="DataFrame"):
        plots.plot_acceptance({"mass_mev": [1.0]}, tmp_path / "x")


def test_overlapping_bins_refused(tmp_path, spectrum):
    bad = spectrum.copy()
    bad.loc[bad.bin_lo == 5.0, "bin_lo"] = 2.0
    with pytest.raises(ValueError, match="overlap"):
        plots.plot_spectrum(bad, tmp_path / "x")
