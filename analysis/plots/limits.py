"""Scan figures: upper limits with expected bands, acceptance and resolution."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.plots.style import (
    _BAND_1SIGMA,
    _BAND_2SIGMA,
    EXPECTED_COLUMNS,
    MASS_LABEL,
    _cl_label,
    _decorate,
    _log_y_if_possible,
    _mass_limits,
    _new_axes,
    _ratio,
    _sorted_scan,
    _style,
    _upper,
    _values,
    save_figure,
)


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
        if np.any(np.isfinite(observed)):  # a blind analysis has no observed limit
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
            if n in names
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
