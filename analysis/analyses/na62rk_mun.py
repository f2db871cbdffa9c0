"""Stages of the NA62-RK 2007 K+ → μ+ N search (see :mod:`analysis.analyses.lepton_search`).

The kaon-decay backgrounds come from MC normalised to N_K; the beam halo from
the K− control sample (:mod:`analysis.analyses.halo`).
"""

from __future__ import annotations

import pandas as pd

from analysis.analyses import halo
from analysis.analyses.lepton_search import LeptonSearch
from analysis.selections import na62rk_mun as cuts_module

SELECTION = "na62rk_mun"
SEARCH = LeptonSearch(SELECTION, cuts_module, data_driven_backgrounds=halo.estimate)

kaon_momentum = SEARCH.kaon_momentum
select = SEARCH.select
normalise = SEARCH.normalise
run_scan = SEARCH.run_scan
plot = SEARCH.plot


def plot_halo_control(data_candidates, control_candidates, path_stem, cuts=None) -> list:
    """(z_vertex, θ) and (z_vertex, p) of the K+ pseudo-data and of the K− control sample.

    ``data_candidates`` are the candidate files of every pseudo-data sample
    (the K+ decays and the K+ run's halo), ``control_candidates`` that of the
    K− control runs.
    """
    from analysis import storage
    from analysis.experiments.na62rk import GEOMETRY
    from analysis.plots.halo import plot_halo_control as plot

    cuts = SEARCH.cuts(cuts)
    data = pd.concat([storage.read_table(p) for p in data_candidates], ignore_index=True)
    control = storage.read_table(control_candidates)
    return plot(
        {r"$K^+$ run (pseudo-data)": data, r"$K^-$ control runs ($\mu^+$ only)": control},
        cuts["halo_cut"],
        (GEOMETRY.fiducial_z_min, GEOMETRY.fiducial_z_max),
        path_stem,
        experiment=cuts["labels"]["experiment"],
        z_range=(cuts["beam_halo"]["normalisation_z_max"] - 50.0, GEOMETRY.beam_z_end),
        p_range=tuple(cuts["common"]["momentum"]),
    )
