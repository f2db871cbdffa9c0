"""Beam-halo control plots: vertex z against track angle and momentum.

Two rows — the K+ sample (pseudo-data) and the K−-only control sample — and two
columns — (z_vertex, θ) and (z_vertex, p) — of muon candidates that pass every
cut but the vertex window and the halo cut.  The halo contour of the selection
is drawn in the (z, θ) panels and the fiducial region is marked: halo muons pile
up upstream at small angles, kaon decays fill the decay volume.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from analysis.plots.style import _require, _style, save_figure

COLUMNS = ("z_vtx", "theta", "p")


def plot_halo_control(
    samples: Mapping[str, pd.DataFrame],
    halo_cut: dict,
    fiducial: tuple[float, float],
    path_stem: str | Path,
    *,
    experiment: str = "",
    z_range: tuple[float, float] = (-70.0, 100.0),
    theta_max_mrad: float = 12.0,
    p_range: tuple[float, float] = (10.0, 65.0),
) -> list[Path]:
    """One row per sample (label → candidates with ``z_vtx``, ``theta`` [rad], ``p`` [GeV/c])."""
    for label, table in samples.items():
        _require(table, COLUMNS, f"plot_halo_control ({label})")
    z_edges = np.linspace(*z_range, 86)
    t_edges = np.linspace(0.0, theta_max_mrad, 61)
    p_edges = np.linspace(*p_range, 56)
    with _style():
        figure = Figure(figsize=(11.0, 4.2 * len(samples)))
        FigureCanvasAgg(figure)
        axes = figure.subplots(len(samples), 2, squeeze=False, gridspec_kw={"hspace": 0.35})
        for row, (label, table) in zip(axes, samples.items(), strict=True):
            z = table["z_vtx"].to_numpy(dtype=float)
            for ax, y, edges, ylabel in (
                (row[0], 1e3 * table["theta"].to_numpy(dtype=float), t_edges, r"$\theta$ [mrad]"),
                (row[1], table["p"].to_numpy(dtype=float), p_edges, r"$p_\mu$ [GeV/$c$]"),
            ):
                h, _, _ = np.histogram2d(z, y, bins=[z_edges, edges])
                mesh = ax.pcolormesh(
                    z_edges, edges, np.where(h > 0, h, np.nan).T, norm=LogNorm(), cmap="viridis"
                )
                figure.colorbar(mesh, ax=ax, label="Candidates per bin")
                ax.axvline(fiducial[0], color="tab:red", ls="--", lw=1.2)
                ax.axvline(fiducial[1], color="tab:red", ls="--", lw=1.2)
                ax.set_xlabel(r"$z_{\mathrm{vertex}}$ [m]")
                ax.set_ylabel(ylabel)
                ax.set_title(f"{label}", fontsize=11, loc="left")
            zc = np.array([z_range[0], halo_cut["z_start"], halo_cut["z_end"]])
            tc = 1e3 * halo_cut["theta_max"] * np.array([1.0, 1.0, 0.0])
            row[0].plot(zc, tc, color="white", lw=2.0)
            row[0].plot(zc, tc, color="tab:red", lw=1.2, label="halo cut")
            row[0].legend(loc="upper right", fontsize=9)
        if experiment:
            figure.suptitle(experiment, x=0.01, ha="left", fontsize=11, fontstyle="italic")
        return save_figure(figure, path_stem)
