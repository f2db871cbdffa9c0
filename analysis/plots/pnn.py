"""Figures of the K+ → π+νν̄ blind analysis (NA62 2016 data, PLB 791 (2019) 156 style).

``m²_miss`` is in GeV²/c⁴ and momenta in GeV/c. ``regions`` maps a region name to its
``(lo, hi)`` m²_miss range; the signal regions are the names starting ``region_``, the
others (control regions, K→μν, K→ππ, K→3π bands) are drawn dashed and labelled.
``p_range`` is the π+ momentum range of the signal boxes. While ``blind``, every signal
box is covered by an opaque grey hatched patch labelled "blind" (drawn above the data).

Point tables (``data``, ``signal``, ``mc``) may be empty: the figure is drawn without
them; rows with a NaN coordinate (``m2_miss_rich`` when no RICH ring) are skipped.
Each ``*_figure`` function returns the Figure that the matching ``plot_*`` function
saves with :func:`~analysis.plots.style.save_figure` (PNG + PDF, atomically).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from scipy.stats import chi2

from analysis.analyses import PNN_FIGURES  # the file stems of plot_all_pnn_figures
from analysis.decays import CHANNELS
from analysis.plots.spectrum import _bin_table
from analysis.plots.style import (
    _BACKGROUND_COLOURS,
    _SIGNAL_COLOUR,
    _decorate,
    _log_y_if_possible,
    _new_axes,
    _require,
    _style,
    save_figure,
)

M2_LABEL = r"$m^2_{\mathrm{miss}}$ [GeV$^2/c^4$]"
P_LABEL = r"$p_{\pi^+}$ [GeV/$c$]"
SIGNAL_LABEL = r"$\pi^+\nu\bar{\nu}$ (SM)"
BUDGET_COLUMNS = ("method", "n_control", "f_kin", "f_kin_err", "n_bkg", "n_bkg_err")
BUDGET_COLUMNS += ("n_mc_truth", "n_mc_truth_err")
SIGNAL_SOURCE = "pinunu"
#: Axis ranges of the 2D figures: p_π+ [GeV/c] and m²_miss [GeV²/c⁴].
P_LIMITS, M2_LIMITS = (10.0, 45.0), (-0.06, 0.10)

_BOX_COLOUR = "#D55E00"  # Okabe-Ito vermilion
_MASK = {"facecolor": "0.85", "edgecolor": "0.45", "hatch": "xx", "linewidth": 0.0, "gid": "blind"}
_DATA = {"color": "black", "marker": "o", "linestyle": "none", "markersize": 2.5, "zorder": 3}
_OUTLINE = {"fill": False, "edgecolor": _BOX_COLOUR, "linewidth": 1.6, "zorder": 5}
_NOTE = {"ha": "center", "va": "center", "color": "0.15", "zorder": 4.5}
_SIDE = {"va": "center", "fontsize": 6.5, "zorder": 6}
_SIDE["bbox"] = {"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.3}
_HEADER = ("Source", "Method", r"$N_{\mathrm{control}}$", r"$f_{\mathrm{kin}}$")
_HEADER += (r"$N_{\mathrm{bkg}}$", r"$N_{\mathrm{bkg}}$ (MC truth)")
_ERRORBAR = {"fmt": "o", "color": "black", "markersize": 3.5, "elinewidth": 1.0, "capsize": 0}


def _columns(table: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    """Like ``_require`` but an empty table (no events) is allowed."""
    if isinstance(table, pd.DataFrame) and table.empty:
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"{what}: table lacks column(s) {', '.join(missing)}")
        return table
    _require(table, columns, what)
    return table


def _regions(regions: Mapping, what: str) -> dict[str, tuple[float, float]]:
    out = {}
    for name, bounds in dict(regions).items():
        lo, hi = (float(b) for b in bounds)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"{what}: region {name!r} needs finite lo < hi, got {bounds!r}")
        out[str(name)] = (lo, hi)
    if not any(name.startswith("region_") for name in out):
        raise ValueError(f"{what}: no signal region (a name starting 'region_') in regions")
    return out


def _signal_regions(regions: dict) -> list[tuple[float, float]]:
    return [regions[n] for n in sorted(regions) if n.startswith("region_")]


def _label(name: str) -> str:
    """Legend text of a source or region: the channel's label, "Region 1", or the name."""
    if name in CHANNELS:
        return CHANNELS[name].label
    if name == SIGNAL_SOURCE:
        return SIGNAL_LABEL
    head, _, tail = name.partition("_")
    if head in ("region", "control") and tail:
        return f"{head.capitalize()} {tail}"
    return name


def _points(table: pd.DataFrame, *columns: str) -> list[np.ndarray]:
    """The columns as float arrays, without the rows where any of them is not finite."""
    arrays = [table[c].to_numpy(dtype=float) for c in columns]
    good = np.logical_and.reduce([np.isfinite(a) for a in arrays])
    return [a[good] for a in arrays]


def _density(figure, axes, x, y, w, edges, log: bool, cmap: str, label: str) -> None:
    """Weighted 2D histogram (empty bins transparent) with its colour bar."""
    h, _, _ = np.histogram2d(x, y, bins=edges, weights=w)
    h = np.where(h > 0, h, np.nan).T
    if not np.any(np.isfinite(h)):
        return
    top = np.nanmax(h)
    # a log scale spans 8 decades below the fullest bin: importance-sampled tails
    # carry weights far below anything visible
    norm = LogNorm(vmin=top * 1e-8, vmax=top) if log else Normalize(vmin=0.0)
    mesh = axes.pcolormesh(*edges, h, cmap=cmap, norm=norm, zorder=0, rasterized=True)
    figure.colorbar(mesh, ax=axes, label=label, pad=0.02)


def _box(axes, x, y, blind: bool, first: bool) -> None:
    """A signal box [x0, x1] × [y0, y1]; covered by a hatched "blind" mask when blind."""
    (x0, x1), (y0, y1) = x, y
    if blind:
        label = "blind" if first else "_nolegend_"
        axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, zorder=4, label=label, **_MASK))
        axes.text(0.5 * (x0 + x1), 0.5 * (y0 + y1), "blind", fontsize=8, clip_on=True, **_NOTE)
    label = "Signal regions" if first else "_nolegend_"
    axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, label=label, **_OUTLINE))


def _legend(axes, **kwargs) -> None:
    style = {"frameon": True, "facecolor": "white", "edgecolor": "none", "framealpha": 0.85}
    axes.legend(**style, **kwargs).set_zorder(6)


def m2_vs_momentum_figure(
    data, signal, regions, p_range, blind, *, title_label: str = ""
) -> Figure:
    """The figure of :func:`plot_m2_vs_momentum`."""
    p_limits, m2_limits = P_LIMITS, M2_LIMITS
    what = "plot_m2_vs_momentum"
    _columns(data, ("m2_miss", "p_pi"), f"{what} (data)")
    _columns(signal, ("m2_miss", "p_pi", "weight"), f"{what} (signal)")
    regions = _regions(regions, what)
    p0, p1 = (float(v) for v in p_range)
    if not (np.isfinite(p0) and np.isfinite(p1) and p0 < p1):
        raise ValueError(f"{what}: p_range needs finite lo < hi, got {p_range!r}")
    with _style():
        figure, axes = _new_axes()
        figure.set_size_inches(6.8, 5.6)
        edges = (np.linspace(*p_limits, 71), np.linspace(*m2_limits, 81))
        p, m2, w = _points(signal, "p_pi", "m2_miss", "weight")
        _density(figure, axes, p, m2, w, edges, False, "Blues", "Signal MC (weighted) / bin")
        p, m2 = _points(data, "p_pi", "m2_miss")
        axes.plot(p, m2, label="Data", **_DATA)
        for i, (lo, hi) in enumerate(_signal_regions(regions)):
            _box(axes, (p0, p1), (lo, hi), blind, i == 0)
        others = {n: r for n, r in regions.items() if not n.startswith("region_")}
        edges_y = {v for lo, hi in others.values() for v in (lo, hi)}
        edges_y = sorted(v for v in edges_y if m2_limits[0] < v < m2_limits[1])
        axes.hlines(edges_y, p0, p1, colors="0.3", linestyles="--", linewidth=0.9, zorder=2)
        for name, (lo, hi) in regions.items():
            lo, hi = max(lo, m2_limits[0]), min(hi, m2_limits[1])
            if lo < hi:
                axes.text(p1 + 0.4, 0.5 * (lo + hi), _label(name), **_SIDE)
        axes.set_xlim(*p_limits)
        axes.set_ylim(*m2_limits)
        axes.set_xlabel(P_LABEL)
        axes.set_ylabel(M2_LABEL)
        _legend(axes, loc="upper left", fontsize=9)
        _decorate(axes, title_label)
    return figure


def plot_m2_vs_momentum(data, signal, regions, p_range, blind, path_stem, **kwargs) -> list[Path]:
    """m²_miss vs p_π+: signal MC density, data points, signal boxes, control regions."""
    figure = m2_vs_momentum_figure(data, signal, regions, p_range, blind, **kwargs)
    with _style():
        return save_figure(figure, path_stem)


def m2_straw_vs_rich_figure(
    data, mc, regions, blind, *, title_label: str = "", rich_window=None
) -> Figure:
    """The figure of :func:`plot_m2_straw_vs_rich`.

    ``rich_window``: the m²_miss(RICH) range of a signal event (default: the same
    signal region in both variables).
    """
    m2_limits = M2_LIMITS
    what = "plot_m2_straw_vs_rich"
    _columns(data, ("m2_miss", "m2_miss_rich"), f"{what} (data)")
    _columns(mc, ("m2_miss", "m2_miss_rich", "weight", "source"), f"{what} (mc)")
    regions = _regions(regions, what)
    with _style():
        figure, axes = _new_axes()
        figure.set_size_inches(6.4, 5.2)
        edges = (np.linspace(*m2_limits, 81),) * 2
        x, y, w = _points(mc, "m2_miss_rich", "m2_miss", "weight")
        _density(figure, axes, x, y, w, edges, True, "GnBu", "MC expected events / bin")
        x, y = _points(data, "m2_miss_rich", "m2_miss")
        axes.plot(x, y, label="Data", **_DATA)
        axes.plot(m2_limits, m2_limits, color="0.5", linestyle=":", linewidth=0.8, zorder=1)
        for i, (lo, hi) in enumerate(_signal_regions(regions)):
            _box(axes, tuple(rich_window or (lo, hi)), (lo, hi), blind, i == 0)
        axes.set_xlim(*m2_limits)
        axes.set_ylim(*m2_limits)
        axes.set_xlabel(r"$m^2_{\mathrm{miss}}$(RICH) [GeV$^2/c^4$]")
        axes.set_ylabel(r"$m^2_{\mathrm{miss}}$(STRAW) [GeV$^2/c^4$]")
        _legend(axes, loc="upper left", fontsize=9)
        _decorate(axes, title_label)
    return figure


def plot_m2_straw_vs_rich(data, mc, regions, blind, path_stem, **kwargs) -> list[Path]:
    """m²_miss(STRAW) vs m²_miss(RICH): summed MC (log colour), data, signal squares."""
    figure = m2_straw_vs_rich_figure(data, mc, regions, blind, **kwargs)
    with _style():
        return save_figure(figure, path_stem)


def poisson_interval(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central 68.27% (Garwood) interval of Poisson counts ``n``: (lower, upper) bounds."""
    n = np.asarray(n, dtype=float)
    lower = np.where(n > 0, 0.5 * chi2.ppf(0.158655, 2 * np.maximum(n, 0.5)), 0.0)
    return lower, 0.5 * chi2.ppf(0.841345, 2 * (n + 1))


def _scaled_label(scale: float) -> str:
    return SIGNAL_LABEL if scale == 1 else rf"{SIGNAL_LABEL} $\times$ {scale:g}"


def m2_spectra_figure(spectrum, regions, signal_scale, blind, *, title_label: str = "") -> Figure:
    """The figure of :func:`plot_m2_spectra`."""
    what = "plot_m2_spectra"
    _require(spectrum, ("bin_lo", "bin_hi", "source", "expected", "error"), what)
    regions = _regions(regions, what)
    if not (np.isfinite(signal_scale) and signal_scale > 0):
        raise ValueError(f"{what}: signal_scale must be finite and > 0, got {signal_scale!r}")
    renamed = {"source": "component", "expected": "count", "error": "count_err"}
    edges, counts, _ = _bin_table(spectrum.rename(columns=renamed))
    backgrounds = [c for c in counts.columns if c not in ("data", SIGNAL_SOURCE)]
    backgrounds.sort(key=lambda c: np.nansum(counts[c].to_numpy()))  # smallest at the bottom
    drawn = []
    with _style():
        figure, axes = _new_axes()
        figure.set_size_inches(6.8, 4.8)
        bottom, layers = np.zeros(len(edges) - 1), []
        for i, name in enumerate(backgrounds):
            top = bottom + np.nan_to_num(counts[name].to_numpy())
            colour = _BACKGROUND_COLOURS[i % len(_BACKGROUND_COLOURS)]
            axes.stairs(top, edges, baseline=bottom, fill=True, color=colour, linewidth=0, zorder=1)
            axes.stairs(top, edges, color="black", linewidth=0.4, zorder=1.1)
            layers.append(
                Patch(facecolor=colour, edgecolor="black", linewidth=0.4, label=_label(name))
            )
            bottom = top
        drawn.append(bottom)
        handles = layers[::-1]
        if SIGNAL_SOURCE in counts.columns:
            scaled = signal_scale * np.nan_to_num(counts[SIGNAL_SOURCE].to_numpy())
            label = _scaled_label(signal_scale)
            handles.insert(
                0, axes.stairs(scaled, edges, baseline=None, color=_SIGNAL_COLOUR, label=label)
            )
            drawn.append(scaled)
        if "data" in counts.columns:
            n = counts["data"].to_numpy()
            if np.any(n[np.isfinite(n)] < 0):
                raise ValueError(f"{what}: observed (data) counts must be >= 0")
            shown = np.isfinite(n) & (n > 0)
            lower, upper = poisson_interval(n[shown])
            centres = 0.5 * (edges[1:] + edges[:-1])[shown]
            yerr = [n[shown] - lower, upper - n[shown]]
            points = axes.errorbar(centres, n[shown], yerr, zorder=3, label="Data", **_ERRORBAR)
            handles.insert(0, points)
            drawn.append(n[shown])
        for i, (lo, hi) in enumerate(_signal_regions(regions)):
            if blind:
                span = axes.axvspan(lo, hi, zorder=4, **_MASK)
                where = {"transform": axes.get_xaxis_transform(), "rotation": 90}
                axes.text(0.5 * (lo + hi), 0.4, "blind", fontsize=10, **where, **_NOTE)
            else:
                shade = {"facecolor": _BOX_COLOUR, "alpha": 0.15, "linewidth": 0}
                span = axes.axvspan(lo, hi, zorder=1.5, **shade)  # over the stack, under data
            span.set_label("_nolegend_" if i else ("blind" if blind else "Signal regions"))
            if i == 0:
                handles.append(span)
        axes.set_xlim(edges[0], edges[-1])
        axes.set_xlabel(M2_LABEL)
        widths = np.diff(edges)
        unit = f"{widths[0]:g} GeV$^2/c^4$" if np.allclose(widths, widths[0]) else "bin"
        axes.set_ylabel(f"Events / {unit}")
        values = np.concatenate([np.ravel(a) for a in drawn])
        _log_y_if_possible(axes, values)
        if axes.get_yscale() == "log":
            positive = values[np.isfinite(values) & (values > 0)]
            low = max(0.5 * positive.min(), 1e-6 * positive.max())
            axes.set_ylim(low, low * 10 ** (max(np.log10(positive.max() / low), 1.0) / 0.6))
        _legend(axes, handles=handles, loc="upper right", fontsize=8, ncols=2)
        _decorate(axes, title_label)
    return figure


def plot_m2_spectra(spectrum, regions, signal_scale, blind, path_stem, **kwargs) -> list[Path]:
    """m²_miss spectra: stacked backgrounds (log y), scaled SM signal, data, signal regions."""
    figure = m2_spectra_figure(spectrum, regions, signal_scale, blind, **kwargs)
    with _style():
        return save_figure(figure, path_stem)


def background_budget_table(budget: pd.DataFrame) -> pd.DataFrame:
    """The rows of the budget table: one per source, ``total`` (sum of ``n_bkg``, errors
    in quadrature; likewise the MC truth, NaN unless known for every source) and, if
    ``budget.attrs["n_sm_expected"]`` is a number or a (value, error) pair, ``sm_signal``.
    Column ``kind``: background, total, signal; ``label``: the legend text of the source."""
    what = "plot_background_budget"
    _require(budget, BUDGET_COLUMNS, what)
    numeric = [c for c in BUDGET_COLUMNS if c != "method"]
    table = budget[list(BUDGET_COLUMNS)].copy()
    table[numeric] = table[numeric].astype(float)
    n, err = table["n_bkg"].to_numpy(), table["n_bkg_err"].to_numpy()
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(err) & (err >= 0))):
        raise ValueError(f"{what}: n_bkg and n_bkg_err must be finite (errors >= 0)")
    table.index = table.index.astype(str)
    table["label"] = [_label(s) for s in table.index]
    table["kind"] = "background"
    known = table["n_mc_truth"].notna().all()
    truth = (table["n_mc_truth"].sum(), np.sqrt(np.nansum(table["n_mc_truth_err"] ** 2)))
    rows = [table, _row("total", "Total background", n.sum(), math.sqrt(np.sum(err**2)))]
    rows[-1][["n_mc_truth", "n_mc_truth_err"]] = truth if known else (np.nan, np.nan)
    sm = budget.attrs.get("n_sm_expected")
    if sm is not None:
        value, error = (sm, np.nan) if np.isscalar(sm) else sm
        rows.append(_row("signal", f"{SIGNAL_LABEL} expected", value, error))
    return pd.concat(rows)[["label", "kind", *BUDGET_COLUMNS]]


def _row(kind: str, label: str, n: float, error: float) -> pd.DataFrame:
    index = "total" if kind == "total" else "sm_signal"
    row = {"label": label, "kind": kind, "method": "", "n_bkg": float(n), "n_bkg_err": error}
    return pd.DataFrame([row], index=[index])


def format_value(value: float, error: float = np.nan) -> str:
    """Table text: "$0.024 \\pm 0.004$", "$(3.1 \\pm 0.5)\\times10^{-4}$", "$1520$", "—" (NaN).

    The error keeps one significant digit (two when it starts with 1); the value is
    rounded to the same decimal; scientific notation below 10⁻³ and from 10⁴ on."""
    if value is None or not np.isfinite(value):
        return "—"
    has_error = error is not None and np.isfinite(error) and error > 0
    scale = abs(value) or (error if has_error else 0.0)
    exponent = math.floor(math.log10(scale)) if scale and not 1e-3 <= scale < 1e4 else 0
    value, error = value / 10.0**exponent, (error / 10.0**exponent if has_error else np.nan)
    if has_error:
        power = math.floor(math.log10(error))
        digits = 2 if error / 10.0**power < 2 else 1
        d = max(digits - 1 - power, 0)
        text = rf"{value:.{d}f} \pm {error:.{d}f}"
        text = f"({text})" if exponent else text
    elif exponent:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"
    return f"${text}\\times10^{{{exponent}}}$" if exponent else f"${text}$"


def background_budget_figure(budget: pd.DataFrame, *, title_label: str = "") -> Figure:
    """The figure of :func:`plot_background_budget`."""
    table = background_budget_table(budget)
    x = [0.02, 0.27, 0.44, 0.58, 0.75, 0.91]
    align = ["left", "left", "center", "center", "center", "center"]
    n_lines = len(table) + 1
    with _style():
        figure = Figure(figsize=(9.0, max(2.2, 0.38 * (n_lines + 1.3))))
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        axes.set_axis_off()
        axes.set_xlim(0, 1)
        axes.set_ylim(n_lines - 0.1, -1.4)

        def rule(y: float, width: float) -> None:
            axes.plot([0.01, 0.99], [y, y], color="black", linewidth=width)

        caption = "Expected events in the signal regions"
        style = "italic" if title_label else "normal"
        axes.text(0.5, -0.9, title_label or caption, ha="center", fontsize=12, fontstyle=style)
        rule(-0.5, 1.2)
        for xi, ha, text in zip(x, align, _HEADER):
            axes.text(xi, 0, text, ha=ha, va="center", fontsize=11)
        rule(0.5, 0.7)
        previous = "background"
        for y, (_, row) in enumerate(table.iterrows(), start=1):
            if row["kind"] != previous:
                rule(y - 0.5, 0.7)
                previous = row["kind"]
            numbers = ("n_control", "f_kin", "n_bkg", "n_mc_truth")
            cells = [row["label"], row["method"]]
            cells += [format_value(row[c], row.get(f"{c}_err", np.nan)) for c in numbers]
            if row["kind"] == "signal":  # only the expectation is a number
                cells = [cells[0], "", "", "", cells[4], ""]
            elif row["kind"] == "total":
                cells[2:4] = "", ""
            weight = "bold" if row["kind"] == "total" else "normal"
            for xi, ha, text in zip(x, align, cells):
                text = "" if pd.isna(text) else str(text)
                axes.text(xi, y, text, ha=ha, va="center", fontsize=10.5, fontweight=weight)
        rule(n_lines - 0.5, 1.2)
    return figure


def plot_background_budget(budget: pd.DataFrame, path_stem, **kwargs) -> list[Path]:
    """The background budget as a publication-style table (see :func:`background_budget_table`)."""
    figure = background_budget_figure(budget, **kwargs)
    with _style():
        return save_figure(figure, path_stem)


def plot_all_pnn_figures(
    data,
    signal,
    mc,
    spectrum,
    budget,
    regions,
    p_range,
    blind,
    signal_scale,
    out_dir,
    rich_window=None,
    **common,
) -> list[Path]:
    """Write the :data:`PNN_FIGURES` (``.png`` and ``.pdf``) into ``out_dir``; return the
    paths. Every figure is built (and every input checked) before any file is written.
    ``common`` (``title_label``, the experiment label) goes to every figure;
    ``rich_window`` to :func:`m2_straw_vs_rich_figure`."""
    straw_rich = m2_straw_vs_rich_figure(
        data, mc, regions, blind, rich_window=rich_window, **common
    )
    figures = {
        "m2_vs_momentum": m2_vs_momentum_figure(data, signal, regions, p_range, blind, **common),
        "m2_straw_vs_rich": straw_rich,
        "m2_miss": m2_spectra_figure(spectrum, regions, signal_scale, blind, **common),
        "background_budget": background_budget_figure(budget, **common),
    }
    paths: list[Path] = []
    with _style():
        for stem in PNN_FIGURES:
            paths += save_figure(figures[stem], Path(out_dir) / stem)
    return paths
