"""NA62-RK 2007 K+ → μ+ N selection, its K+ → μ+ν normalisation and the halo regions.

One track identified as a muon (MUV signal, MIP-like E/p), from a vertex in the
decay region (closest approach to the nominal beam axis), with a momentum
compatible with a kaon decay; m²_miss = (P_K − P_μ)² with P_K the nominal kaon
four-momentum (mean total momentum of K+ → π+π+π− in the same data).

Beam-halo muons are removed by a cut in the (z_vertex, θ) plane.  Each candidate
carries a ``region`` code (:data:`REGION_SELECTED`, :data:`REGION_HALO_NORMALISATION`,
:data:`REGION_HALO_REJECTED`) so that the same table feeds the scan, the
normalisation of the K− control sample and the halo control plots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.constants import M_MU
from analysis.experiments.na62_layout import STREAM_CONTROL, STREAM_POSITRON
from analysis.selections.single_track import (
    candidate_table,
    cutflow,
    lepton_m2_miss,
    track_angle,
    track_momentum,
    vertex_cuts,
)

#: Every cut passed: the signal (and spectrum) sample.
REGION_SELECTED = 0
#: Every cut but the vertex window and the halo cut, vertex upstream of the final
#: collimator, where no kaon decays: normalises the K− control sample.
REGION_HALO_NORMALISATION = 1
#: Every cut but the halo cut, which rejects the event (halo control plots).
REGION_HALO_REJECTED = 2


def halo_like(z_vtx: np.ndarray, theta: np.ndarray, cut: dict) -> np.ndarray:
    """Inside the halo contour: θ below the line from (z_start, θ_max) to (z_end, 0)."""
    frac = np.clip((cut["z_end"] - z_vtx) / (cut["z_end"] - cut["z_start"]), 0.0, 1.0)
    return theta < cut["theta_max"] * frac


def _muon_masks(df: pd.DataFrame, cuts: dict, p: np.ndarray) -> dict[str, np.ndarray]:
    c, mu = cuts["common"], cuts["muon"]
    stream = df["stream"].to_numpy()
    return {
        "single-track stream": (stream == STREAM_CONTROL) | (stream == STREAM_POSITRON),
        "momentum window": (p > c["momentum"][0]) & (p < c["momentum"][1]),
        "no extra LKr cluster": df["n_lkr_extra"].to_numpy() <= c["lkr_extra_max"],
        "no AKL signal": df["lav"].to_numpy() == c["akl"],
        "muon E/p": df["eop_1"].to_numpy() < mu["eop_max"],
        "MUV signal": df["muv3_1"].to_numpy() == mu["muv"],
    }


def signal_candidates(df: pd.DataFrame, cuts: dict, kaon_p) -> tuple[pd.DataFrame, list[dict]]:
    """Muon candidates with their missing mass and region code, and the cut flow.

    The cut flow is that of :data:`REGION_SELECTED`; the other regions are
    written alongside for the halo estimate.
    """
    p = track_momentum(df)
    theta = track_angle(df)
    z = df["z_vtx"].to_numpy()
    vertex = vertex_cuts(df, cuts["common"])
    muon = _muon_masks(df, cuts, p)
    halo = halo_like(z, theta, cuts["halo_cut"])
    passed, flow = cutflow(df, {**vertex, **muon, "halo cut": ~halo})
    muon_track = vertex["one positive track"] & vertex["track-beam CDA"]
    for mask in muon.values():
        muon_track &= mask
    upstream = muon_track & (z < cuts["beam_halo"]["normalisation_z_max"])
    rejected = muon_track & vertex["vertex in fiducial region"] & halo
    keep = passed | upstream | rejected
    region = np.select(
        [passed, upstream], [REGION_SELECTED, REGION_HALO_NORMALISATION], REGION_HALO_REJECTED
    )[keep]
    table = candidate_table(
        df[keep], kaon_p, M_MU, z_vtx=z[keep], theta=theta[keep], region=region.astype(np.uint8)
    )
    return table, flow


def normalisation_candidates(
    df: pd.DataFrame, cuts: dict, kaon_p
) -> tuple[pd.DataFrame, list[dict]]:
    """K+ → μ+ν candidates: the muon selection with m²_miss around zero."""
    p = track_momentum(df)
    theta = track_angle(df)
    masks = {**vertex_cuts(df, cuts["common"]), **_muon_masks(df, cuts, p)}
    masks["halo cut"] = ~halo_like(df["z_vtx"].to_numpy(), theta, cuts["halo_cut"])
    m2 = lepton_m2_miss(df, kaon_p, M_MU)
    lo, hi = cuts["normalisation"]["m2_miss_window"]
    masks["K_mu2 missing mass"] = (m2 > lo) & (m2 < hi)
    passed, flow = cutflow(df, masks)
    sel = df[passed]
    return pd.DataFrame(
        {"m2_miss": m2[passed], "weight": sel["weight"].to_numpy(dtype=np.float64)}
    ), flow
