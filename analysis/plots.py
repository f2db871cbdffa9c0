"""Figures of the resonance searches, in the style of a collaboration paper.

Every function takes the tables the pipeline writes (read from Parquet by the
caller) and writes one figure as ``<path_stem>.png`` (150 dpi) and
``<path_stem>.pdf``, atomically: each file is rendered under a temporary name in
the target directory and renamed, so a killed job never leaves a figure that looks
complete. Labels (axis titles, experiment label) are passed in, so the functions
serve every selection.

Inputs
------
scan
    One row per mass hypothesis: ``mass_mev, n_obs, n_bkg, n_bkg_err, acceptance,
    n_ul, br_ul, u2_ul`` (``u2_ul`` optional), ``local_significance, sigma_mev,
    window_lo_mev, window_hi_mev`` and the expected upper limits on the number of
    signal events under the background-only hypothesis, ``n_ul_exp_m2, n_ul_exp_m1,
    n_ul_exp_med, n_ul_exp_p1, n_ul_exp_p2`` (the 2.3, 15.9, 50, 84.1 and 97.7 %
    quantiles). The expected bands of the branching-ratio and |U|² limits follow
    row by row from the ratios ``br_ul / n_ul`` and ``u2_ul / n_ul`` (both
    proportional to 1 / (N_K · acceptance)).
spectrum
    Long format, one row per (bin, component): ``bin_lo, bin_hi, component, count,
    count_err``. Component ``data`` holds the observed counts, ``signal`` an
    optional signal template, every other name an MC background normalised to the
    data.

The figures are drawn on :class:`matplotlib.figure.Figure` objects with the Agg
canvas, never through ``pyplot``: no global figure state, no backend switch, safe
in a Snakemake job or a thread.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = [
    "EXPECTED_COLUMNS",
    "FIGURE_NAMES",
    "MASS_LABEL",
    "MISSING_MASS_LABEL",
    "SCAN_COLUMNS",
    "SPECTRUM_COLUMNS",
    "plot_acceptance",
    "plot_all_scan_figures",
    "plot_limit_br",
    "plot_limit_events",
    "plot_limit_u2",
    "plot_resolution",
    "plot_spectrum",
    "save_figure",
]

#: Default axis label of the HNL mass hypothesis.
MASS_LABEL = r"$m_N$ [MeV/$c^2$]"
#: Default axis label of a missing-mass spectrum.
MISSING_MASS_LABEL = r"$m_{\mathrm{miss}}$ [MeV/$c^2$]"

#: Expected upper limits (events) at -2, -1, 0, +1, +2 standard deviations.
EXPECTED_COLUMNS = ("n_ul_exp_m2", "n_ul_exp_m1", "n_ul_exp_med", "n_ul_exp_p1", "n_ul_exp_p2")
#: Columns of a scan table used by the figures (``u2_ul`` only by :func:`plot_limit_u2`).
SCAN_COLUMNS = (
    "mass_mev",
    "n_obs",
    "n_bkg",
    "n_bkg_err",
    "acceptance",
    "n_ul",
    "br_ul",
    "local_significance",
    "sigma_mev",
    "window_lo_mev",
    "window_hi_mev",
    *EXPECTED_COLUMNS,
)
#: Columns of a spectrum table.
SPECTRUM_COLUMNS = ("bin_lo", "bin_hi", "component", "count", "count_err")
#: File stems written by :func:`plot_all_scan_figures`.
FIGURE_NAMES = (
    "missing_mass",
    "limit_events",
    "limit_br",
    "limit_u2",
    "acceptance",
    "resolution",
)

# Colour-blind-safe palette (Okabe-Ito, then Paul Tol's muted) for MC backgrounds.
_BACKGROUND_COLOURS = (
    "#56B4E9",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#0072B2",
    "#D55E00",
    "#F0E442",
    "#88CCEE",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#DDCC77",
)
# The usual colours of expected-limit bands.
_BAND_1SIGMA = "#00CC00"
_BAND_2SIGMA = "#FFDD00"
_SIGNAL_COLOUR = "#C00000"

_STYLE = {
    "figure.figsize": (6.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.family": "serif",
    "font.serif": ["STIXGeneral", "DejaVu Serif"],
    "mathtext.fontset": "stix",
    "font.size": 12,
    "axes.labelsize": 13,
    "axes.linewidth": 0.9,
    "axes.unicode_minus": True,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.minor.visible": True,
    "ytick.minor.visible": True,
    "xtick.major.size": 6,
    "ytick.major.size": 6,
    "xtick.minor.size": 3,
    "ytick.minor.size": 3,
    "lines.linewidth": 1.5,
    "pdf.fonttype": 42,
}

# Reproducible files: no creation date or software version in them.
_METADATA = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}


# --------------------------------------------------------------------------- helpers


def _require(table: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{what}: table lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, table.columns)) or 'no columns'}"
        )
    if table.empty:
        raise ValueError(f"{what}: table is empty")


def _sorted_scan(scan: pd.DataFrame, columns: Iterable[str], what: str) -> pd.DataFrame:
    _require(scan, ["mass_mev", *columns], what)
    return scan.sort_values("mass_mev", kind="stable").reset_index(drop=True)


def _values(table: pd.DataFrame, column: str) -> np.ndarray:
    return table[column].to_numpy(dtype=float)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, NaN elsewhere."""
    out = np.full(np.shape(numerator), np.nan)
    good = np.isfinite(numerator) & np.isfinite(denominator) & (denominator > 0)
    np.divide(numerator, denominator, out=out, where=good)
    return out


@contextmanager
def _style():
    with mpl.rc_context(_STYLE):
        yield


def _new_axes():
    figure = Figure()
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    return figure, axes


def _decorate(axes, title_label: str, right_label: str = "") -> None:
    """Experiment label above the top-left corner, a note above the top-right."""
    if title_label:
        axes.text(
            0.0,
            1.015,
            title_label,
            transform=axes.transAxes,
            ha="left",
            va="bottom",
            fontsize=11,
            fontstyle="italic",
        )
    if right_label:
        axes.text(
            1.0, 1.015, right_label, transform=axes.transAxes, ha="right", va="bottom", fontsize=11
        )


def _log_y_if_possible(axes, *arrays: np.ndarray) -> None:
    """Logarithmic y axis, unless nothing positive would be left to show."""
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.array([])
    if np.any(np.isfinite(values) & (values > 0)):
        axes.set_yscale("log", nonpositive="clip")


def _upper(*arrays: np.ndarray, margin: float) -> float:
    """A y-axis top: ``margin`` times the largest finite value, 1 if there is none."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    top = values.max() if values.size else 0.0
    return margin * top if top > 0 else 1.0


def _mass_limits(axes, mass: np.ndarray) -> None:
    if mass.size > 1 and mass[-1] > mass[0]:
        axes.set_xlim(mass[0], mass[-1])


def _cl_label(cl: float) -> str:
    return f"{100 * cl:g}% CL"


def save_figure(figure: Figure, path_stem: str | os.PathLike) -> list[Path]:
    """Write ``figure`` as ``<path_stem>.png`` and ``.pdf`` atomically; return the paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in ("png", "pdf"):
        final = stem.parent / f"{stem.name}.{fmt}"
        handle, temporary = tempfile.mkstemp(
            prefix=f".{stem.name}.", suffix=f".{fmt}.tmp", dir=stem.parent
        )
        os.close(handle)
        try:
            figure.savefig(temporary, format=fmt, metadata=_METADATA[fmt], bbox_inches="tight")
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(final)
    return written


# --------------------------------------------------------------------------- spectrum


def _bin_table(spectrum: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Edges and (bin × component) tables of counts and errors; gaps become NaN bins."""
    bins = spectrum[["bin_lo", "bin_hi"]].drop_duplicates().sort_values("bin_lo")
    lo, hi = bins["bin_lo"].to_numpy(float), bins["bin_hi"].to_numpy(float)
    if np.any(hi <= lo) or np.any(lo[1:] < hi[:-1]):
        raise ValueError("spectrum: bins must have bin_hi > bin_lo and must not overlap")
    edges, keys = [lo[0]], []
    for i in range(lo.size):
        if lo[i] > edges[-1]:  # a gap (e.g. a region left out): an empty bin
            edges.append(lo[i])
            keys.append(None)
        edges.append(hi[i])
        keys.append((lo[i], hi[i]))

    def pivot(column: str) -> pd.DataFrame:
        wide = spectrum.pivot_table(
            index=["bin_lo", "bin_hi"],
            columns="component",
            values=column,
            aggfunc="sum",
            dropna=False,
        )
        rows = [
            wide.loc[key].to_numpy(float) if key is not None else np.full(wide.shape[1], np.nan)
            for key in keys
        ]
        return pd.DataFrame(rows, columns=wide.columns)

    return np.asarray(edges), pivot("count"), pivot("count_err")


def plot_spectrum(
    spectrum: pd.DataFrame,
    path_stem: str | os.PathLike,
    xlabel: str = MISSING_MASS_LABEL,
    title_label: str = "",
    log: bool = True,
    *,
    ylabel: str | None = None,
    component_labels: Mapping[str, str] | None = None,
    blind_regions: Sequence[tuple[float, float]] = (),
    right_label: str = "",
) -> list[Path]:
    """Observed spectrum over the stacked MC backgrounds.

    Data are points with their errors (``count_err``, i.e. √n); each MC background
    is a filled layer, stacked from the smallest (bottom) to the largest (top) and
    listed in the legend from the largest down; a hatched band shows the MC
    statistical uncertainty of the total; a ``signal`` component is drawn as a
    dashed line on its own. ``blind_regions`` are shaded and labelled "blinded".
    """
    _require(spectrum, SPECTRUM_COLUMNS, "plot_spectrum")
    labels = dict(component_labels or {})
    edges, counts, errors = _bin_table(spectrum)
    components = list(counts.columns)
    backgrounds = [c for c in components if c not in ("data", "signal")]
    backgrounds.sort(key=lambda c: np.nansum(counts[c].to_numpy()))  # smallest first

    with _style():
        figure, axes = _new_axes()
        handles = []
        bottom = np.zeros(len(edges) - 1)
        layers = []
        for i, name in enumerate(backgrounds):
            top = bottom + np.nan_to_num(counts[name].to_numpy())
            colour = _BACKGROUND_COLOURS[i % len(_BACKGROUND_COLOURS)]
            axes.stairs(
                top,
                edges,
                baseline=bottom,
                fill=True,
                color=colour,
                alpha=0.9,
                linewidth=0,
                zorder=1,
            )
            axes.stairs(top, edges, color="black", linewidth=0.4, zorder=1.1)
            layers.append(
                Patch(
                    facecolor=colour, edgecolor="black", linewidth=0.4, label=labels.get(name, name)
                )
            )
            bottom = top
        if backgrounds:
            variance = sum(np.nan_to_num(errors[c].to_numpy()) ** 2 for c in backgrounds)
            sigma = np.sqrt(variance)
            axes.stairs(
                bottom + sigma,
                edges,
                baseline=np.clip(bottom - sigma, 0, None),
                fill=True,
                facecolor="none",
                edgecolor="0.25",
                hatch="////",
                linewidth=0,
                zorder=1.2,
            )
            handles.append(
                Patch(
                    facecolor="none",
                    edgecolor="0.25",
                    hatch="////",
                    linewidth=0,
                    label="MC uncertainty",
                )
            )
        handles = layers[::-1] + handles  # legend from the largest background down

        if "signal" in components:
            line = axes.stairs(
                np.nan_to_num(counts["signal"].to_numpy()),
                edges,
                color=_SIGNAL_COLOUR,
                linestyle="--",
                linewidth=1.6,
                zorder=2,
                label=labels.get("signal", "Signal"),
            )
            handles.insert(0, line)

        if "data" in components:
            centres = 0.5 * (edges[1:] + edges[:-1])
            n = counts["data"].to_numpy()
            dn = errors["data"].to_numpy()
            shown = np.isfinite(n) & ((n > 0) if log else np.ones_like(n, dtype=bool))
            data = axes.errorbar(
                centres[shown],
                n[shown],
                yerr=dn[shown],
                fmt="o",
                color="black",
                markersize=3.5,
                elinewidth=1.0,
                capsize=0,
                zorder=3,
                label=labels.get("data", "Data"),
            )
            handles.insert(0, data)

        for lo, hi in blind_regions:
            # Drawn over everything: nothing inside a blinded region shows through.
            axes.axvspan(
                lo, hi, facecolor="0.88", edgecolor="0.6", hatch="xx", linewidth=0.5, zorder=4
            )
            axes.text(
                0.5 * (lo + hi),
                0.45,
                "blinded",
                rotation=90,
                ha="center",
                va="center",
                transform=axes.get_xaxis_transform(),
                fontsize=11,
                color="0.15",
                zorder=4.1,
                bbox={"facecolor": "0.88", "edgecolor": "none", "pad": 1.5},
            )

        axes.set_xlim(edges[0], edges[-1])
        axes.set_xlabel(xlabel)
        widths = np.diff(edges)
        if ylabel is None:
            width = widths[0]
            ylabel = (
                "Events / bin"
                if not np.allclose(widths, width)
                else f"Events / {width:g} MeV/$c^2$"
            )
        axes.set_ylabel(ylabel)
        total = counts.to_numpy()
        if log:
            _log_y_if_possible(axes, total)
            if axes.get_yscale() == "log":
                positive = total[np.isfinite(total) & (total > 0)]
                axes.set_ylim(max(0.5 * positive.min(), 0.1), 20 * positive.max())
        else:
            axes.set_ylim(0, _upper(total, margin=1.3))
        legend = axes.legend(
            handles=handles,
            loc="upper right",
            ncols=1 if len(handles) < 4 else 2,
            frameon=True,
            facecolor="white",
            edgecolor="none",
            framealpha=0.85,
        )
        legend.set_zorder(5)
        _decorate(axes, title_label, right_label)
        return save_figure(figure, path_stem)


# --------------------------------------------------------------------------- limits


def _limit_figure(
    mass: np.ndarray,
    observed: np.ndarray,
    expected: Sequence[np.ndarray],
    path_stem,
    *,
    xlabel: str,
    ylabel: str,
    title_label: str,
    right_label: str,
    log: bool,
) -> list[Path]:
    if log:
        # A zero limit (degenerate row) has no place on a log axis: leave a gap.
        observed = np.where(observed > 0, observed, np.nan)
    m2, m1, med, p1, p2 = expected
    with _style():
        figure, axes = _new_axes()
        axes.fill_between(
            mass, m2, p2, color=_BAND_2SIGMA, linewidth=0, label=r"Expected $\pm 2\sigma$", zorder=1
        )
        axes.fill_between(
            mass,
            m1,
            p1,
            color=_BAND_1SIGMA,
            linewidth=0,
            label=r"Expected $\pm 1\sigma$",
            zorder=1.1,
        )
        axes.plot(
            mass,
            med,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label="Expected (median)",
            zorder=2,
        )
        axes.plot(mass, observed, color="black", linewidth=1.4, label="Observed", zorder=3)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        _mass_limits(axes, mass)
        if log:
            _log_y_if_possible(axes, observed, *expected)
        if axes.get_yscale() == "log":
            values = np.concatenate([observed, *expected])
            positive = values[np.isfinite(values) & (values > 0)]
            axes.set_ylim(0.5 * positive.min(), 8 * positive.max())
        else:
            axes.set_ylim(0, _upper(observed, p2, margin=1.35))
        handles, names = axes.get_legend_handles_labels()
        order = [
            names.index(n)
            for n in (
                "Observed",
                "Expected (median)",
                r"Expected $\pm 1\sigma$",
                r"Expected $\pm 2\sigma$",
            )
        ]
        axes.legend(
            [handles[i] for i in order], [names[i] for i in order], loc="upper left", ncols=2
        )
        _decorate(axes, title_label, right_label)
        return save_figure(figure, path_stem)


def _expected_events(scan: pd.DataFrame) -> list[np.ndarray]:
    return [_values(scan, c) for c in EXPECTED_COLUMNS]


def plot_limit_events(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    *,
    ylabel: str | None = None,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    cl: float = 0.90,
    log: bool = False,
) -> list[Path]:
    """Upper limit on the number of signal events vs mass, with the expected bands."""
    scan = _sorted_scan(scan, ["n_ul", *EXPECTED_COLUMNS], "plot_limit_events")
    if ylabel is None:
        ylabel = r"Upper limit on $N_{\mathrm{sig}}$"
    return _limit_figure(
        _values(scan, "mass_mev"),
        _values(scan, "n_ul"),
        _expected_events(scan),
        path_stem,
        xlabel=xlabel,
        ylabel=ylabel,
        title_label=title_label,
        right_label=_cl_label(cl),
        log=log,
    )


def _scaled_limit(scan: pd.DataFrame, column: str, path_stem, *, what: str, **options):
    scan = _sorted_scan(scan, ["n_ul", column, *EXPECTED_COLUMNS], what)
    observed = _values(scan, column)
    # Events -> branching ratio (or |U|^2): the factor 1/(N_K A) (× 1/(B ρ)) of each row.
    factor = _ratio(observed, _values(scan, "n_ul"))
    expected = [factor * events for events in _expected_events(scan)]
    return _limit_figure(
        _values(scan, "mass_mev"), observed, expected, path_stem, log=True, **options
    )


def plot_limit_br(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    ylabel: str = r"Upper limit on $\mathcal{B}$",
    *,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    cl: float = 0.90,
) -> list[Path]:
    """Branching-ratio upper limit vs mass (log scale) with the expected bands."""
    return _scaled_limit(
        scan,
        "br_ul",
        path_stem,
        what="plot_limit_br",
        xlabel=xlabel,
        ylabel=ylabel,
        title_label=title_label,
        right_label=_cl_label(cl),
    )


def plot_limit_u2(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    ylabel: str = r"Upper limit on $|U_{\ell 4}|^2$",
    *,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    cl: float = 0.90,
) -> list[Path]:
    """Mixing-parameter |U|² upper limit vs mass (log scale) with the expected bands."""
    return _scaled_limit(
        scan,
        "u2_ul",
        path_stem,
        what="plot_limit_u2",
        xlabel=xlabel,
        ylabel=ylabel,
        title_label=title_label,
        right_label=_cl_label(cl),
    )


# --------------------------------------------------------------------------- performance


def plot_acceptance(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    *,
    ylabel: str = "Signal acceptance [%]",
    xlabel: str = MASS_LABEL,
    title_label: str = "",
) -> list[Path]:
    """Signal acceptance (selection and mass window) vs mass, in per cent."""
    scan = _sorted_scan(scan, ["acceptance"], "plot_acceptance")
    mass, acceptance = _values(scan, "mass_mev"), 100 * _values(scan, "acceptance")
    with _style():
        figure, axes = _new_axes()
        axes.plot(mass, acceptance, color="#0072B2", linewidth=1.6)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        _mass_limits(axes, mass)
        axes.set_ylim(0, _upper(acceptance, margin=1.25))
        _decorate(axes, title_label)
        return save_figure(figure, path_stem)


def plot_resolution(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    *,
    ylabel: str = r"Resolution [MeV/$c^2$]",
    xlabel: str = MASS_LABEL,
    title_label: str = "",
) -> list[Path]:
    """Mass resolution σ vs mass, with the half-width of the signal window."""
    scan = _sorted_scan(scan, ["sigma_mev", "window_lo_mev", "window_hi_mev"], "plot_resolution")
    mass, sigma = _values(scan, "mass_mev"), _values(scan, "sigma_mev")
    half_width = 0.5 * (_values(scan, "window_hi_mev") - _values(scan, "window_lo_mev"))
    with _style():
        figure, axes = _new_axes()
        axes.plot(mass, sigma, color="#0072B2", linewidth=1.6, label=r"Resolution $\sigma_m$")
        axes.plot(
            mass,
            half_width,
            color="#D55E00",
            linestyle="--",
            linewidth=1.4,
            label="Signal window half-width",
        )
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        _mass_limits(axes, mass)
        axes.set_ylim(0, _upper(sigma, half_width, margin=1.3))
        axes.legend(loc="upper left")
        _decorate(axes, title_label)
        return save_figure(figure, path_stem)


# --------------------------------------------------------------------------- all figures

_LABEL_KEYS = {
    "experiment": "",
    "mass": MASS_LABEL,
    "missing_mass": MISSING_MASS_LABEL,
    "spectrum_ylabel": None,
    "events": None,
    "br": r"Upper limit on $\mathcal{B}$",
    "u2": r"Upper limit on $|U_{\ell 4}|^2$",
    "components": {},
    "blind_regions": (),
    "cl": 0.90,
    "spectrum_log": True,
}


def plot_all_scan_figures(
    scan: pd.DataFrame,
    spectrum: pd.DataFrame | None,
    outdir: str | os.PathLike,
    labels: Mapping | None = None,
) -> list[Path]:
    """Write every figure of a resonance search into ``outdir``; return the paths.

    Figures (each ``.png`` and ``.pdf``): ``missing_mass`` (skipped when
    ``spectrum`` is None), ``limit_events``, ``limit_br``, ``limit_u2`` (skipped
    when the scan has no ``u2_ul`` column), ``acceptance``, ``resolution``.

    ``labels`` keys (all optional): ``experiment`` (corner label, e.g. "NA62 2015
    minimum bias — simulation"), ``mass`` (x label of the scan figures),
    ``missing_mass`` and ``spectrum_ylabel`` (axes of the spectrum), ``events``,
    ``br``, ``u2`` (y labels of the limit figures), ``components`` (legend label of
    each spectrum component), ``blind_regions`` (``[(lo, hi), ...]`` to shade),
    ``cl`` (confidence level, 0.90) and ``spectrum_log`` (True).
    """
    given = dict(labels or {})
    unknown = sorted(set(given) - set(_LABEL_KEYS))
    if unknown:
        raise ValueError(
            f"plot_all_scan_figures: unknown label key(s) {', '.join(unknown)}; "
            f"known: {', '.join(_LABEL_KEYS)}"
        )
    lab = {**_LABEL_KEYS, **given}
    _require(scan, SCAN_COLUMNS, "plot_all_scan_figures")
    outdir = Path(outdir)
    common = {"xlabel": lab["mass"], "title_label": lab["experiment"]}
    paths: list[Path] = []
    if spectrum is not None:
        paths += plot_spectrum(
            spectrum,
            outdir / "missing_mass",
            lab["missing_mass"],
            lab["experiment"],
            log=lab["spectrum_log"],
            ylabel=lab["spectrum_ylabel"],
            component_labels=lab["components"],
            blind_regions=lab["blind_regions"],
        )
    paths += plot_limit_events(
        scan, outdir / "limit_events", ylabel=lab["events"], cl=lab["cl"], **common
    )
    paths += plot_limit_br(scan, outdir / "limit_br", lab["br"], cl=lab["cl"], **common)
    if "u2_ul" in scan.columns:
        paths += plot_limit_u2(scan, outdir / "limit_u2", lab["u2"], cl=lab["cl"], **common)
    paths += plot_acceptance(scan, outdir / "acceptance", **common)
    paths += plot_resolution(scan, outdir / "resolution", **common)
    return paths
