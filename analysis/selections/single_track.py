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
from analysis.missing_mass import missing_mass_squared, signed_mass_mev

#: Columns of the candidate tables (name → Parquet type); a selection writes those it fills.
CANDIDATE_COLUMNS = {
    "m2_miss": np.float64,
    "m_miss_mev": np.float64,
    "p": np.float32,
    "eop": np.float32,
    "weight": np.float32,
    "z_vtx": np.float32,
    "theta": np.float32,
    "region": np.uint8,
}
#: Monte Carlo truth columns carried over to the candidates.
TRUTH_COLUMNS = {
    "true_channel": np.uint8,
    "true_mass_n": np.float32,
    "true_z": np.float32,
    "true_pid_1": np.int32,
}


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


def lepton_m2_miss(df: pd.DataFrame, kaon_p, lepton_mass: float) -> np.ndarray:
    """m²_miss = (P_K − P_ℓ)² of track 1 in the lepton mass hypothesis (GeV²)."""
    return missing_mass_squared(kaon_p, df["px_1"], df["py_1"], df["pz_1"], lepton_mass)


def candidate_table(sel: pd.DataFrame, kaon_p, lepton_mass: float, **extra) -> pd.DataFrame:
    """Candidates of a single-track selection: missing mass, momentum, E/p, weight.

    ``extra`` columns (arrays aligned with ``sel``) follow; Monte Carlo truth
    columns are carried over when present.
    """
    m2 = lepton_m2_miss(sel, kaon_p, lepton_mass)
    out = pd.DataFrame(
        {
            "m2_miss": m2,
            "m_miss_mev": signed_mass_mev(m2),
            "p": track_momentum(sel),
            "eop": sel["eop_1"].to_numpy(),
            "weight": sel["weight"].to_numpy(dtype=np.float64),
            **extra,
        }
    )
    for col in TRUTH_COLUMNS:
        if col in sel:
            out[col] = sel[col].to_numpy()
    return out


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
