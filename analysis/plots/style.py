"""Shared style, table checks and atomic saving of the figures (:mod:`analysis.plots`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.storage import atomic_path

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


def _merge_labels(given, defaults: dict, what: str) -> dict:
    """``defaults`` updated with ``given``; an unknown key is a ValueError naming it."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(
            f"{what}: unknown label key(s) {', '.join(unknown)}; known: {', '.join(defaults)}"
        )
    return {**defaults, **given}


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
        with atomic_path(final, suffix=f".{fmt}.tmp") as temporary:
            figure.savefig(temporary, format=fmt, metadata=_METADATA[fmt], bbox_inches="tight")
        written.append(final)
    return written


# --------------------------------------------------------------------------- spectrum
