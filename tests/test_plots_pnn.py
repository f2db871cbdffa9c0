"""Figures of the K+ → π+νν̄ blind analysis: files, blind masks, bad input, budget table."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from test_plots import assert_figure_files

from analysis.decays import CHANNELS
from analysis.plots import pnn

REGIONS = {
    "region_1": (0.0, 0.010),
    "region_2": (0.026, 0.068),
    "control_1": (0.010, 0.015),
    "k2pi": (0.015, 0.021),
    "control_2": (0.021, 0.026),
    "k3pi": (0.068, 0.2),
    "kmu2": (-0.2, 0.0),
}
P_RANGE = (15.0, 35.0)
SIGNALS = [REGIONS["region_1"], REGIONS["region_2"]]


def in_boxes(m2, p=None):
    inside = np.zeros(np.shape(m2), dtype=bool)
    for lo, hi in SIGNALS:
        inside |= (m2 >= lo) & (m2 < hi)
    if p is not None:
        inside &= (p >= P_RANGE[0]) & (p < P_RANGE[1])
    return inside


def m2_sample(rng, n):
    """K→μν (negative), K→ππ peak, K→3π threshold and a flat part, in GeV²/c⁴."""
    return np.concatenate(
        [
            rng.normal(-0.03, 0.01, n // 4),
            rng.normal(0.018, 0.002, n // 4),
            0.068 + rng.exponential(0.01, n // 4),
            rng.uniform(-0.05, 0.1, n - 3 * (n // 4)),
        ]
    )


def make_data(blind: bool, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    m2 = m2_sample(rng, n)
    p = rng.uniform(12.0, 40.0, n)
    rich = m2 + rng.normal(0.0, 0.004, n)
    rich[::17] = np.nan  # no RICH ring
    data = pd.DataFrame({"m2_miss": m2, "p_pi": p, "m2_miss_rich": rich})
    data.loc[5, "p_pi"] = np.nan
    return data[~in_boxes(m2, p)].reset_index(drop=True) if blind else data


def make_signal(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    m2 = rng.triangular(-0.01, 0.03, 0.1, n)
    return pd.DataFrame({"m2_miss": m2, "p_pi": rng.uniform(15.0, 35.0, n), "weight": 1e-3})


def make_mc(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    m2 = m2_sample(rng, n)
    rich = m2 + rng.normal(0.0, 0.004, n)
    rich[::11] = np.nan
    sources = np.array(["kmu2", "k2pi", "k3pi", "pinunu"])[np.arange(n) % 4]
    return pd.DataFrame({"m2_miss": m2, "m2_miss_rich": rich, "weight": 0.5, "source": sources})


def make_spectrum(blind: bool) -> pd.DataFrame:
    edges = np.round(np.arange(-0.05, 0.1001, 0.002), 6)
    lo, hi = edges[:-1], edges[1:]
    centre = 0.5 * (lo + hi)
    shapes = {
        "kmu2": 1e3 * np.exp(-0.5 * ((centre + 0.03) / 0.01) ** 2) + 1e-3,
        "k2pi": 5e3 * np.exp(-0.5 * ((centre - 0.018) / 0.002) ** 2) + 1e-3,
        "k3pi": np.where(centre > 0.068, 2e3 * np.exp(-(centre - 0.068) / 0.01), 1e-4),
        "upstream": np.full(centre.size, 0.01),
        "pinunu": np.where((centre > -0.01) & (centre < 0.1), 0.05, 0.0),
    }
    tables = [
        pd.DataFrame({"bin_lo": lo, "bin_hi": hi, "source": name, "expected": v, "error": 0.1 * v})
        for name, v in shapes.items()
    ]
    backgrounds = sum(v for k, v in shapes.items() if k != "pinunu")
    observed = np.random.default_rng(4).poisson(backgrounds).astype(float)
    if blind:
        observed[in_boxes(lo)] = np.nan
    tables.append(
        pd.DataFrame(
            {"bin_lo": lo, "bin_hi": hi, "source": "data", "expected": observed, "error": np.nan}
        )
    )
    return pd.concat(tables, ignore_index=True)


def make_budget(sm=None) -> pd.DataFrame:
    budget = pd.DataFrame(
        {
            "method": ["control region", "control region", "control region", "MC"],
            "n_control": [2.0e7, 1.3e5, 4.1e4, np.nan],
            "f_kin": [3.0e-5, 2.1e-4, 1.0e-5, np.nan],
            "f_kin_err": [1.0e-5, 0.4e-4, 0.3e-5, np.nan],
            "n_bkg": [0.064, 0.024, 0.002, 0.15],
            "n_bkg_err": [0.01, 0.004, 0.001, 0.09],
            "n_mc_truth": [0.07, np.nan, 0.003, 0.15],
            "n_mc_truth_err": [0.02, np.nan, 0.002, 0.09],
        },
        index=["kmu2", "k2pi", "k3pi", "upstream"],
    )
    if sm is not None:
        budget.attrs["n_sm_expected"] = sm
    return budget


def figures(blind: bool, data=None):
    data = make_data(blind) if data is None else data
    return {
        "m2_vs_momentum": pnn.m2_vs_momentum_figure(
            data, make_signal(), REGIONS, P_RANGE, blind, title_label="NA62 — simulation"
        ),
        "m2_straw_vs_rich": pnn.m2_straw_vs_rich_figure(data, make_mc(), REGIONS, blind),
        "m2_miss": pnn.m2_spectra_figure(make_spectrum(blind), REGIONS, 100.0, blind),
    }


def blind_masks(figure):
    return [
        patch
        for axes in figure.axes
        for patch in axes.patches
        if patch.get_hatch() and patch.get_gid() == "blind"
    ]


def data_line(figure):
    (line,) = [line for line in figure.axes[0].get_lines() if line.get_label() == "Data"]
    return line


@pytest.mark.parametrize("blind", [False, True])
def test_all_figures(tmp_path, blind):
    outdir = tmp_path / "figures"
    paths = pnn.plot_all_pnn_figures(
        make_data(blind),
        make_signal(),
        make_mc(),
        make_spectrum(blind),
        make_budget(sm=(0.27, 0.04)),
        REGIONS,
        P_RANGE,
        blind,
        100.0,
        outdir,
        title_label="NA62 2016 — simulation",
    )
    expected = sorted(f"{n}.{ext}" for n in pnn.PNN_FIGURES for ext in ("png", "pdf"))
    assert sorted(p.name for p in paths) == expected
    assert_figure_files(paths)
    assert sorted(os.listdir(outdir)) == expected  # no temporary file left


@pytest.mark.parametrize("blind", [False, True])
def test_blind_masks(blind):
    for name, figure in figures(blind).items():
        masks = blind_masks(figure)
        assert len(masks) == (2 if blind else 0), name
        labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
        assert ("blind" in labels) == blind, name
        assert ("Signal regions" in labels) == (name != "m2_miss" or not blind), name


def test_boxes_drawn_over_the_signal_regions():
    figure = figures(blind=True)["m2_vs_momentum"]
    boxes = sorted(
        (p.get_x(), p.get_y(), p.get_width(), p.get_height()) for p in blind_masks(figure)
    )
    for (x, y, w, h), (lo, hi) in zip(boxes, SIGNALS):
        assert (x, x + w) == P_RANGE and y == pytest.approx(lo) and y + h == pytest.approx(hi)
    square = sorted(blind_masks(figures(blind=True)["m2_straw_vs_rich"]), key=lambda p: p.get_x())
    assert [(p.get_x(), p.get_y()) for p in square] == [(lo, lo) for lo, _ in SIGNALS]


def test_nan_rows_skipped():
    data = make_data(blind=False)
    shown = figures(blind=False, data=data)
    n_rich = int((data["m2_miss_rich"].notna() & data["m2_miss"].notna()).sum())
    assert len(data_line(shown["m2_straw_vs_rich"]).get_xdata()) == n_rich < len(data)
    assert len(data_line(shown["m2_vs_momentum"]).get_xdata()) == len(data) - 1


def test_empty_tables(tmp_path):
    empty = make_data(blind=False).iloc[:0]
    no_mc = make_mc().iloc[:0]
    paths = pnn.plot_m2_vs_momentum(
        empty, make_signal().iloc[:0], REGIONS, P_RANGE, True, tmp_path / "a"
    )
    paths += pnn.plot_m2_straw_vs_rich(empty, no_mc, REGIONS, False, tmp_path / "b")
    assert_figure_files(paths)
    assert len(data_line(pnn.m2_straw_vs_rich_figure(empty, no_mc, REGIONS, True)).get_xdata()) == 0


def test_spectrum_legend_and_data():
    figure = pnn.m2_spectra_figure(make_spectrum(blind=True), REGIONS, 100.0, True)
    (axes,) = figure.axes
    assert axes.get_yscale() == "log"
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    for name in ("kmu2", "k2pi", "k3pi"):
        assert CHANNELS[name].label in labels
    assert "upstream" in labels  # not a channel: the raw name
    assert any(label.startswith(pnn.SIGNAL_LABEL) and label.endswith("100") for label in labels)
    points = [c for c in axes.containers if c.get_label() == "Data"]
    x = points[0].lines[0].get_xdata()
    assert len(x) > 0 and not np.any(in_boxes(np.asarray(x)))  # blinded bins left out


def test_poisson_interval():
    lower, upper = pnn.poisson_interval(np.array([0.0, 1.0, 10.0]))
    assert lower == pytest.approx([0.0, 0.1727, 6.8913], abs=1e-3)
    assert upper == pytest.approx([1.8410, 3.2994, 14.2670], abs=1e-3)


@pytest.mark.parametrize("sm", [None, 0.27, (0.27, 0.04)])
def test_budget_total_is_the_sum(sm):
    budget = make_budget(sm)
    table = pnn.background_budget_table(budget)
    total = table.loc["total"]
    assert total["n_bkg"] == pytest.approx(budget["n_bkg"].sum())
    assert total["n_bkg_err"] == pytest.approx(math.sqrt((budget["n_bkg_err"] ** 2).sum()))
    assert np.isnan(total["n_mc_truth"])  # not known for K→ππ: no total
    budget.loc["k2pi", ["n_mc_truth", "n_mc_truth_err"]] = 0.03, 0.01
    total = pnn.background_budget_table(budget).loc["total"]
    assert total["n_mc_truth"] == pytest.approx(budget["n_mc_truth"].sum())
    assert total["n_mc_truth_err"] == pytest.approx(
        math.sqrt(0.02**2 + 0.01**2 + 0.002**2 + 0.09**2)
    )
    assert list(table["kind"]) == ["background"] * 4 + ["total"] + (
        [] if sm is None else ["signal"]
    )
    assert table.loc["kmu2", "label"] == CHANNELS["kmu2"].label
    if sm is not None:
        assert table.loc["sm_signal", "n_bkg"] == pytest.approx(0.27)
    texts = [t.get_text() for t in pnn.background_budget_figure(budget).axes[0].texts]
    assert r"$0.24 \pm 0.09$" in texts  # the total, 0.240 ± 0.092
    assert ("SM" in " ".join(texts)) == (sm is not None)


def test_format_value():
    assert pnn.format_value(0.024, 0.004) == r"$0.024 \pm 0.004$"
    assert pnn.format_value(0.0241, 0.0123) == r"$0.024 \pm 0.012$"
    assert pnn.format_value(3.1e-4, 0.5e-4) == r"$(3.1 \pm 0.5)\times10^{-4}$"
    assert pnn.format_value(2.0e7) == r"$2\times10^{7}$"
    assert pnn.format_value(1520.0) == "$1520$"
    assert pnn.format_value(np.nan, 0.1) == "—"


@pytest.mark.parametrize(
    ("function", "table", "column"),
    [
        ("m2_vs_momentum", "data", "p_pi"),
        ("m2_vs_momentum", "signal", "weight"),
        ("m2_straw_vs_rich", "data", "m2_miss_rich"),
        ("m2_straw_vs_rich", "mc", "source"),
        ("m2_spectra", "spectrum", "expected"),
        ("background_budget", "budget", "f_kin_err"),
    ],
)
def test_missing_column(tmp_path, function, table, column):
    tables = {
        "data": make_data(False),
        "signal": make_signal(),
        "mc": make_mc(),
        "spectrum": make_spectrum(False),
        "budget": make_budget(),
    }
    tables[table] = tables[table].drop(columns=column)
    for empty in (False, True):
        if empty and table in ("data", "signal", "mc"):
            tables[table] = tables[table].iloc[:0]  # checked also without rows
        with pytest.raises(ValueError, match=rf"plot_{function}.*lacks column\(s\) {column}"):
            pnn.plot_all_pnn_figures(*tables.values(), REGIONS, P_RANGE, False, 100.0, tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written


def test_bad_regions():
    with pytest.raises(ValueError, match="no signal region"):
        pnn.m2_spectra_figure(make_spectrum(False), {"k2pi": (0.015, 0.021)}, 100.0, False)
    with pytest.raises(ValueError, match="region_1"):
        pnn.m2_straw_vs_rich_figure(make_data(False), make_mc(), {"region_1": (0.01, 0.0)}, True)
