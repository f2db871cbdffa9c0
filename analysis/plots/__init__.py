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
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from analysis.plots.lifetimes import (
    LIFETIME_FIGURE_NAMES,
    acceptance_lifetimes_figure,
    default_lifetimes,
    lifetime_label,
    limit_br_lifetimes_figure,
    plot_acceptance_lifetimes,
    plot_all_lifetime_scan_figures,
    plot_limit_br_lifetimes,
)
from analysis.plots.limits import (
    plot_acceptance,
    plot_limit_br,
    plot_limit_events,
    plot_limit_u2,
    plot_resolution,
)
from analysis.plots.pnn import (
    PNN_FIGURES,
    background_budget_table,
    plot_all_pnn_figures,
    plot_background_budget,
    plot_m2_spectra,
    plot_m2_straw_vs_rich,
    plot_m2_vs_momentum,
)
from analysis.plots.spectrum import plot_spectrum
from analysis.plots.style import (
    EXPECTED_COLUMNS,
    FIGURE_NAMES,
    MASS_LABEL,
    MISSING_MASS_LABEL,
    SCAN_COLUMNS,
    SPECTRUM_COLUMNS,
    _merge_labels,
    _require,
    save_figure,
)

__all__ = [
    "EXPECTED_COLUMNS",
    "FIGURE_NAMES",
    "LIFETIME_FIGURE_NAMES",
    "MASS_LABEL",
    "MISSING_MASS_LABEL",
    "PNN_FIGURES",
    "SCAN_COLUMNS",
    "SPECTRUM_COLUMNS",
    "acceptance_lifetimes_figure",
    "background_budget_table",
    "default_lifetimes",
    "lifetime_label",
    "limit_br_lifetimes_figure",
    "plot_acceptance",
    "plot_acceptance_lifetimes",
    "plot_all_lifetime_scan_figures",
    "plot_all_pnn_figures",
    "plot_all_scan_figures",
    "plot_background_budget",
    "plot_limit_br",
    "plot_limit_br_lifetimes",
    "plot_limit_events",
    "plot_limit_u2",
    "plot_m2_spectra",
    "plot_m2_straw_vs_rich",
    "plot_m2_vs_momentum",
    "plot_resolution",
    "plot_spectrum",
    "save_figure",
]


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
    lab = _merge_labels(labels, _LABEL_KEYS, "plot_all_scan_figures")
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
