"""NA62 2015 K+ → e+ N selection, its K+ → μ+ν normalisation and the nominal kaon momentum.

All functions take the reconstructed-event table of :mod:`analysis.experiments.na62`
(a pandas DataFrame; real reconstructed events in the same schema work alike)
and the cut table ``analysis/data/selections/na62_en.yaml``.

The 2015 minimum-bias data were analysed without the beam tracker, so the
kaon four-momentum is the *nominal* one: the average total momentum of
K+ → π+π+π− decays reconstructed in the same data (PHYSICS.md §3.2–3.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.constants import M_E, M_MU
from analysis.experiments.na62_layout import STREAM_CONTROL, STREAM_POSITRON
from analysis.selections.single_track import (
    candidate_table,
    cutflow,
    lepton_m2_miss,
    track_momentum,
    vertex_cuts,
)


def common_cuts(df: pd.DataFrame, cuts: dict) -> dict[str, np.ndarray]:
    """Single-track cuts shared by the signal and normalisation selections, in cut-flow order."""
    c = cuts["common"]
    p = track_momentum(df)
    return {
        **vertex_cuts(df, c),
        "momentum window": (p > c["momentum"][0]) & (p < c["momentum"][1]),
        "no extra LKr cluster": df["n_lkr_extra"].to_numpy() <= c["lkr_extra_max"],
        "no LAV signal": df["lav"].to_numpy() == c["lav"],
        "no IRC/SAC signal": df["irc_sac"].to_numpy() == c["irc_sac"],
    }


def positron_candidates(df: pd.DataFrame, cuts: dict, kaon_p) -> tuple[pd.DataFrame, list[dict]]:
    """K+ → e+ N candidates with their missing mass, and the cut flow."""
    masks = common_cuts(df, cuts)
    masks["positron stream"] = df["stream"].to_numpy() == STREAM_POSITRON
    masks["E/p window"] = df["eop_1"].between(*cuts["positron"]["eop"]).to_numpy()
    masks["no MUV3 signal"] = df["muv3_1"].to_numpy() == cuts["positron"]["muv3"]
    passed, flow = cutflow(df, masks)
    return candidate_table(df[passed], kaon_p, M_E), flow


def normalisation_candidates(
    df: pd.DataFrame, cuts: dict, kaon_p
) -> tuple[pd.DataFrame, list[dict]]:
    """K+ → μ+ν candidates in the downscaled control stream, and the cut flow."""
    norm = cuts["normalisation"]
    masks = common_cuts(df, cuts)
    masks["control stream"] = df["stream"].to_numpy() == STREAM_CONTROL
    masks["muon E/p"] = df["eop_1"].to_numpy() < norm["eop_max"]
    masks["MUV3 signal"] = df["muv3_1"].to_numpy() == norm["muv3"]
    m2 = lepton_m2_miss(df, kaon_p, M_MU)
    lo, hi = norm["m2_miss_window"]
    masks["K_mu2 missing mass"] = (m2 > lo) & (m2 < hi)
    passed, flow = cutflow(df, masks)
    sel = df[passed]
    return pd.DataFrame(
        {"m2_miss": m2[passed], "weight": sel["weight"].to_numpy(dtype=np.float64)}
    ), flow


#: The stage-level name of this selection's signal candidates.
signal_candidates = positron_candidates
