"""Figures of a resonance search scanned in mass and HNL lifetime (NA48/2 K± → πμμ).

The scan has one row per (``mass_mev``, ``lifetime_ps``) with the columns of
:data:`~analysis.plots.style.SCAN_COLUMNS` plus ``acceptance_err`` and ``sensitivity``
(N_K · acceptance); only the acceptance and ``br_ul`` depend on the lifetime. The
expected BR bands are ``n_ul_exp_* / sensitivity``, defined also when the analysis is
blind (``n_obs``, ``n_ul``, ``br_ul``, ``local_significance`` NaN). Zero-acceptance
rows (infinite limits) leave gaps. Each ``*_figure`` function returns the Figure that
the matching ``plot_*`` function saves with :func:`~analysis.plots.style.save_figure`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.plots.limits import plot_limit_events, plot_resolution
from analysis.plots.spectrum import plot_spectrum
from analysis.plots.style import (
    _BAND_1SIGMA,
    _BAND_2SIGMA,
    EXPECTED_COLUMNS,
    MASS_LABEL,
    SCAN_COLUMNS,
    _cl_label,
    _decorate,
    _mass_limits,
    _merge_labels,
    _new_axes,
    _ratio,
    _require,
    _style,
    _upper,
    _values,
    save_figure,
)

#: File stems written by :func:`plot_all_lifetime_scan_figures`.
LIFETIME_FIGURE_NAMES = ("m_pimumu", "limit_events", "limit_br", "acceptance", "resolution")
#: Columns of a lifetime scan used by :func:`plot_all_lifetime_scan_figures`.
LIFETIME_SCAN_COLUMNS = (*SCAN_COLUMNS, "lifetime_ps", "acceptance_err", "sensitivity")
#: Default axis label of the π μ μ invariant-mass spectrum.
PIMUMU_LABEL = r"$M(\pi\mu\mu)$ [MeV/$c^2$]"
#: Default y label of the branching-ratio limit.
BR_LIFETIME_LABEL = r"Upper limit on $\mathcal{B}(K\to\mu N)\,\mathcal{B}(N\to\pi\mu)$"

# Prompt first in black, then Okabe-Ito colours away from the green/yellow bands.
_LIFETIME_COLOURS = ("black", "#0072B2", "#D55E00", "#CC79A7", "#56B4E9", "#E69F00", "#882255")


def lifetime_label(tau_ps: float, prompt_note: bool = True) -> str:
    """Legend text of a lifetime: "τ = 0 ps (prompt)", "τ = 10 ps", "τ = $10^{4}$ ps"."""
    if tau_ps == 0:
        return "τ = 0 ps (prompt)" if prompt_note else "τ = 0 ps"
    if tau_ps < 1e4:
        return f"τ = {tau_ps:g} ps"
    mantissa, exponent = f"{tau_ps:.3g}".split("e")
    power = rf"10^{{{int(exponent)}}}"
    return f"τ = ${power}$ ps" if mantissa == "1" else rf"τ = ${mantissa}\times{power}$ ps"


def default_lifetimes(lifetimes: Iterable[float], max_count: int = 6) -> list[float]:
    """A readable subset of the lifetime grid, sorted: the smallest (prompt) one, then
    the round decades (1, 10, 100, ... ps) and, to fill ``max_count``, the values
    farthest (in log τ) from those already chosen."""
    values = np.unique(np.asarray(list(lifetimes), dtype=float))
    if values.size == 0 or not np.all(np.isfinite(values) & (values >= 0)):
        raise ValueError("default_lifetimes: lifetimes must be finite, >= 0 and not empty")
    if values.size <= max_count:
        return values.tolist()
    rest = values[1:]  # all > 0
    logs = np.log10(rest)
    chosen = list(np.flatnonzero(np.isclose(logs, np.round(logs)))) or [rest.size - 1]
    wanted = max(max_count - 1, 0)
    if len(chosen) > wanted:
        spread = np.round(np.linspace(0, len(chosen) - 1, wanted)).astype(int)
        chosen = [chosen[i] for i in np.unique(spread)]
    while len(chosen) < wanted:
        others = [i for i in range(rest.size) if i not in chosen]
        distance = [min(abs(logs[i] - logs[j]) for j in chosen) for i in others]
        chosen.append(others[int(np.argmax(distance))])
    return [float(values[0]), *sorted(rest[chosen].tolist())]


def _lifetime_scan(scan: pd.DataFrame, columns: Iterable[str], what: str) -> pd.DataFrame:
    _require(scan, ["mass_mev", "lifetime_ps", *columns], what)
    tau = _values(scan, "lifetime_ps")
    if not np.all(np.isfinite(tau) & (tau >= 0)):
        raise ValueError(f"{what}: lifetime_ps must be finite and >= 0")
    if scan.duplicated(["mass_mev", "lifetime_ps"]).any():
        raise ValueError(f"{what}: duplicate (mass_mev, lifetime_ps) rows")
    return scan.sort_values(["lifetime_ps", "mass_mev"], kind="stable").reset_index(drop=True)


def _select(scan: pd.DataFrame, lifetimes: Sequence[float] | None, what: str) -> list[float]:
    available = np.unique(_values(scan, "lifetime_ps"))
    if lifetimes is None:
        return default_lifetimes(available)
    chosen = set()
    for tau in lifetimes:
        match = available[np.isclose(available, float(tau), rtol=1e-9, atol=1e-12)]
        if match.size == 0:
            have = ", ".join(f"{t:g}" for t in available)
            raise ValueError(f"{what}: lifetime {tau:g} ps not in the scan (it has {have})")
        chosen.add(float(match[0]))
    if not chosen:
        raise ValueError(f"{what}: no lifetime to draw")
    return sorted(chosen)


def _br_limits(rows: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    """Observed and expected (-2σ … +2σ) BR limits; NaN where the acceptance is 0."""
    accepted = _values(rows, "acceptance") > 0
    sensitivity = np.where(accepted, _values(rows, "sensitivity"), np.nan)
    expected = [_ratio(_values(rows, c), sensitivity) for c in EXPECTED_COLUMNS]
    observed = _values(rows, "br_ul")
    good = accepted & np.isfinite(observed) & (observed > 0)
    return np.where(good, observed, np.nan), expected


def _log_limits(axes, arrays: Sequence[np.ndarray], room: float) -> bool:
    """Log y axis with the data in the lower ``room`` of it; False if nothing positive."""
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.array([])
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return False
    axes.set_yscale("log", nonpositive="clip")
    bottom = 0.5 * positive.min()
    axes.set_ylim(bottom, bottom * 10 ** (max(np.log10(positive.max() / bottom), 1.0) / room))
    return True


def _bands(axes, mass, expected: list[np.ndarray], tau: float, blind: bool) -> list:
    """The ±1σ/±2σ bands (and, unless blind, the dashed median) of one lifetime."""
    m2, m1, med, p1, p2 = expected
    note = f"({lifetime_label(tau, prompt_note=False)})"
    prefix = "" if blind else "Expected "
    handles, median = [], f"Expected median {note}"
    if not blind:
        handles += axes.plot(mass, med, "k--", linewidth=1.2, zorder=2, label=median)
    for n, lo, hi, colour in ((1, m1, p1, _BAND_1SIGMA), (2, m2, p2, _BAND_2SIGMA)):
        label = rf"{prefix}$\pm {n}\sigma$ {note}"
        band = axes.fill_between(mass, lo, hi, color=colour, linewidth=0, zorder=1.2 - 0.1 * n)
        band.set_label(label)
        handles.append(band)
    return handles


def limit_br_lifetimes_figure(
    scan: pd.DataFrame,
    ylabel: str = BR_LIFETIME_LABEL,
    *,
    lifetimes: Sequence[float] | None = None,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    cl: float = 0.90,
) -> Figure:
    """The figure of :func:`plot_limit_br_lifetimes`."""
    what = "plot_limit_br_lifetimes"
    scan = _lifetime_scan(scan, ["br_ul", "acceptance", "sensitivity", *EXPECTED_COLUMNS], what)
    taus = _select(scan, lifetimes, what)
    blind = not np.any(np.isfinite(_values(scan, "br_ul")))
    with _style():
        figure, axes = _new_axes()
        drawn, lifetime_handles, expected_handles = [], [], []
        for i, tau in enumerate(taus):
            rows = scan[scan["lifetime_ps"] == tau]
            mass = _values(rows, "mass_mev")
            observed, expected = _br_limits(rows)
            if i == 0:  # the bands of the prompt (shortest) lifetime
                expected_handles = _bands(axes, mass, expected, tau, blind)
                drawn += [expected[0], expected[4]]
            curve = expected[2] if blind else observed
            if np.any(np.isfinite(curve)):
                style = {"linestyle": "--", "zorder": 2.5} if blind else {"zorder": 3}
                colour = _LIFETIME_COLOURS[i % len(_LIFETIME_COLOURS)]
                label = lifetime_label(tau)
                lifetime_handles += axes.plot(mass, curve, color=colour, label=label, **style)
                drawn.append(curve)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        _mass_limits(axes, np.unique(_values(scan, "mass_mev")))
        if not _log_limits(axes, drawn, room=0.6):
            axes.set_ylim(0, _upper(*drawn, margin=1.35))
        axes.legend(
            handles=lifetime_handles + expected_handles,
            title="Expected (blind)" if blind else "Observed",
            loc="upper left",
            ncols=2,
            fontsize=9,
        )
        _decorate(axes, title_label, _cl_label(cl))
    return figure


def plot_limit_br_lifetimes(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    ylabel: str = BR_LIFETIME_LABEL,
    *,
    lifetimes: Sequence[float] | None = None,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    cl: float = 0.90,
) -> list[Path]:
    """Upper limit on B(K→μN)·B(N→πμ) vs mass (log y), one line per lifetime.

    Observed limits are solid lines, with the expected median (dashed) and ±1σ/±2σ
    bands of the prompt (smallest) lifetime; when blind (``br_ul`` all NaN) the
    expected median of every lifetime is drawn dashed instead. ``lifetimes``
    defaults to :func:`default_lifetimes` of the scan.
    """
    figure = limit_br_lifetimes_figure(
        scan, ylabel, lifetimes=lifetimes, xlabel=xlabel, title_label=title_label, cl=cl
    )
    with _style():
        return save_figure(figure, path_stem)


def acceptance_lifetimes_figure(
    scan: pd.DataFrame,
    *,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    lifetimes: Sequence[float] | None = None,
    ylabel: str = "Signal acceptance [%]",
) -> Figure:
    """The figure of :func:`plot_acceptance_lifetimes`."""
    what = "plot_acceptance_lifetimes"
    scan = _lifetime_scan(scan, ["acceptance", "acceptance_err"], what)
    taus = _select(scan, lifetimes, what)
    curves = []
    for tau in taus:
        rows = scan[scan["lifetime_ps"] == tau]
        err = 100 * np.nan_to_num(np.abs(_values(rows, "acceptance_err")))
        curves.append((tau, _values(rows, "mass_mev"), 100 * _values(rows, "acceptance"), err))
    acc = np.concatenate([c[2] for c in curves])
    positive = acc[np.isfinite(acc) & (acc > 0)]
    log = positive.size > 0 and positive.max() > 100 * positive.min()
    with _style():
        figure, axes = _new_axes()
        if log:
            _log_limits(axes, [positive], room=0.7)
        floor = axes.get_ylim()[0] if log else 0.0
        for i, (tau, mass, value, err) in enumerate(curves):
            colour = _LIFETIME_COLOURS[i % len(_LIFETIME_COLOURS)]
            shown = np.where(value > 0, value, np.nan) if log else value
            lower = np.maximum(shown - err, floor)
            axes.fill_between(
                mass, lower, shown + err, color=colour, alpha=0.25, linewidth=0, zorder=1
            )
            axes.plot(mass, shown, color=colour, linewidth=1.5, zorder=2, label=lifetime_label(tau))
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        _mass_limits(axes, np.unique(_values(scan, "mass_mev")))
        if not log:
            axes.set_ylim(0, _upper(*[c[2] + c[3] for c in curves], margin=1.45))
        axes.legend(loc="upper right", ncols=2, fontsize=9)
        _decorate(axes, title_label)
    return figure


def plot_acceptance_lifetimes(
    scan: pd.DataFrame,
    path_stem: str | os.PathLike,
    *,
    xlabel: str = MASS_LABEL,
    title_label: str = "",
    lifetimes: Sequence[float] | None = None,
) -> list[Path]:
    """Signal acceptance (per cent) vs mass, one line per lifetime with its ±error band;
    log y when the acceptances span more than two decades."""
    figure = acceptance_lifetimes_figure(
        scan, xlabel=xlabel, title_label=title_label, lifetimes=lifetimes
    )
    with _style():
        return save_figure(figure, path_stem)


_LABEL_KEYS = {
    "experiment": "",
    "mass": MASS_LABEL,
    "spectrum_xlabel": PIMUMU_LABEL,
    "br": BR_LIFETIME_LABEL,
    "events": None,
    "components": {},
    "blind_regions": (),
    "cl": 0.90,
}


def plot_all_lifetime_scan_figures(
    scan: pd.DataFrame,
    spectrum: pd.DataFrame | None,
    outdir: str | os.PathLike,
    labels: Mapping | None = None,
) -> list[Path]:
    """Write every figure of a mass × lifetime search into ``outdir``; return the paths.

    Figures (:data:`LIFETIME_FIGURE_NAMES`, each ``.png`` and ``.pdf``): ``m_pimumu``
    (the spectrum, log y; skipped when ``spectrum`` is None), ``limit_events`` and
    ``resolution`` (the prompt slice; lifetime-independent), ``limit_br`` and
    ``acceptance`` (one line per lifetime). ``labels`` keys (all optional):
    ``experiment``, ``mass``, ``spectrum_xlabel``, ``br``, ``events``,
    ``components``, ``blind_regions`` and ``cl``.
    """
    lab = _merge_labels(labels, _LABEL_KEYS, "plot_all_lifetime_scan_figures")
    scan = _lifetime_scan(scan, LIFETIME_SCAN_COLUMNS, "plot_all_lifetime_scan_figures")
    prompt = scan[scan["lifetime_ps"] == scan["lifetime_ps"].min()]
    outdir = Path(outdir)
    common = {"xlabel": lab["mass"], "title_label": lab["experiment"]}
    paths: list[Path] = []
    if spectrum is not None:
        paths += plot_spectrum(
            spectrum,
            outdir / "m_pimumu",
            lab["spectrum_xlabel"],
            lab["experiment"],
            log=True,
            component_labels=lab["components"],
            blind_regions=lab["blind_regions"],
        )
    paths += plot_limit_events(
        prompt, outdir / "limit_events", ylabel=lab["events"], cl=lab["cl"], **common
    )
    paths += plot_limit_br_lifetimes(scan, outdir / "limit_br", lab["br"], cl=lab["cl"], **common)
    paths += plot_acceptance_lifetimes(scan, outdir / "acceptance", **common)
    paths += plot_resolution(prompt, outdir / "resolution", **common)
    return paths
