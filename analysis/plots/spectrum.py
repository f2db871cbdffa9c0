"""The missing-mass spectrum: pseudo-data over stacked MC backgrounds."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from analysis.plots.style import (
    _BACKGROUND_COLOURS,
    _SIGNAL_COLOUR,
    MISSING_MASS_LABEL,
    SPECTRUM_COLUMNS,
    _decorate,
    _log_y_if_possible,
    _new_axes,
    _require,
    _style,
    _upper,
    save_figure,
)


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
            min_count=1,  # a bin of NaN rows only (blinded) stays NaN, not 0
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
                bottom = max(0.5 * positive.min(), 0.1)
                # the tallest bin at 55% of the (logarithmic) height: room for the legend
                decades = np.log10(positive.max() / bottom) / 0.55
                axes.set_ylim(bottom, bottom * 10**decades)
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
