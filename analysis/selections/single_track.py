"""Pieces shared by the single-track selections (K+ → ℓ+ N) and the nominal kaon momentum.

Functions take the reconstructed-event table written by the simulation of the
NA62-family apparatus (a pandas DataFrame; real reconstructed events in the same
schema work alike).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.constants import M_K, M_PI
from analysis.experiments.na62_layout import STREAM_THREE_TRACK


def track_momentum(df: pd.DataFrame, k: int = 1) -> np.ndarray:
    """|p| of track k."""
    return np.sqrt(df[f"px_{k}"] ** 2 + df[f"py_{k}"] ** 2 + df[f"pz_{k}"] ** 2).to_numpy()


def track_angle(df: pd.DataFrame, k: int = 1) -> np.ndarray:
    """Polar angle (rad) of track k to the nominal beam axis."""
    return np.arctan2(np.hypot(df[f"px_{k}"], df[f"py_{k}"]), df[f"pz_{k}"]).to_numpy()


def vertex_cuts(df: pd.DataFrame, common: dict) -> dict[str, np.ndarray]:
    """One positive track from a vertex in the fiducial region, close to the beam axis."""
    return {
        "one positive track": (df["n_tracks"].to_numpy() == 1) & (df["charge_1"].to_numpy() == 1),
        "vertex in fiducial region": df["z_vtx"].between(*common["z_vtx"]).to_numpy(),
        "track-beam CDA": df["cda"].to_numpy() < common["cda_max"],
    }


def cutflow(df: pd.DataFrame, masks: dict[str, np.ndarray]) -> tuple[np.ndarray, list[dict]]:
    """Events passing every mask in turn, and the cut flow (events and weighted events)."""
    weight = df["weight"].to_numpy(dtype=np.float64)
    passed = np.ones(len(df), dtype=bool)
    flow = [{"cut": "triggered", "events": int(len(df)), "weighted": float(weight.sum())}]
    for name, mask in masks.items():
        passed &= mask
        flow.append(
            {"cut": name, "events": int(passed.sum()), "weighted": float(weight[passed].sum())}
        )
    return passed, flow


def k3pi_total_momentum(df: pd.DataFrame, cuts: dict) -> pd.DataFrame:
    """Total momentum of selected K+ → π+π+π− candidates (three-track stream)."""
    win = cuts["kaon_momentum"]
    sel = df[(df["stream"] == STREAM_THREE_TRACK) & (df["n_tracks"] == 3)]
    px = sel["px_1"] + sel["px_2"] + sel["px_3"]
    py = sel["py_1"] + sel["py_2"] + sel["py_3"]
    pz = sel["pz_1"] + sel["pz_2"] + sel["pz_3"]
    energy = sum(
        np.sqrt(sel[f"px_{k}"] ** 2 + sel[f"py_{k}"] ** 2 + sel[f"pz_{k}"] ** 2 + M_PI**2)
        for k in (1, 2, 3)
    )
    m3 = np.sqrt(np.clip(energy**2 - px**2 - py**2 - pz**2, 0.0, None))
    p = np.sqrt(px**2 + py**2 + pz**2)
    good = p.between(*win["total_momentum_window"]) & (
        np.abs(m3 - M_K) * 1e3 < win["mass_window_mev"]
    )
    return pd.DataFrame({"px": px[good], "py": py[good], "pz": pz[good], "m3pi": m3[good]})
