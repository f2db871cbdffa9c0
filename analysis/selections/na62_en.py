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

from analysis.constants import M_E, M_K, M_MU, M_PI
from analysis.experiments.na62 import STREAM_CONTROL, STREAM_POSITRON, STREAM_THREE_TRACK
from analysis.missing_mass import missing_mass_squared, signed_mass_mev


def _momentum(df: pd.DataFrame, k: int = 1) -> np.ndarray:
    return np.sqrt(df[f"px_{k}"] ** 2 + df[f"py_{k}"] ** 2 + df[f"pz_{k}"] ** 2).to_numpy()


def common_cuts(df: pd.DataFrame, cuts: dict) -> dict[str, np.ndarray]:
    """Single-track cuts shared by the signal and normalisation selections, in cut-flow order."""
    c = cuts["common"]
    p = _momentum(df)
    return {
        "one positive track": (df["n_tracks"].to_numpy() == 1) & (df["charge_1"].to_numpy() == 1),
        "vertex in fiducial region": df["z_vtx"].between(*c["z_vtx"]).to_numpy(),
        "track-beam CDA": df["cda"].to_numpy() < c["cda_max"],
        "momentum window": (p > c["momentum"][0]) & (p < c["momentum"][1]),
        "no extra LKr cluster": df["n_lkr_extra"].to_numpy() <= c["lkr_extra_max"],
        "no LAV signal": df["lav"].to_numpy() == c["lav"],
        "no IRC/SAC signal": df["irc_sac"].to_numpy() == c["irc_sac"],
    }


def _cutflow(df: pd.DataFrame, masks: dict[str, np.ndarray]) -> tuple[np.ndarray, list[dict]]:
    weight = df["weight"].to_numpy(dtype=np.float64)
    passed = np.ones(len(df), dtype=bool)
    flow = [{"cut": "triggered", "events": int(len(df)), "weighted": float(weight.sum())}]
    for name, mask in masks.items():
        passed &= mask
        flow.append(
            {"cut": name, "events": int(passed.sum()), "weighted": float(weight[passed].sum())}
        )
    return passed, flow


def positron_candidates(df: pd.DataFrame, cuts: dict, kaon_p) -> tuple[pd.DataFrame, list[dict]]:
    """K+ → e+ N candidates with their missing mass, and the cut flow."""
    masks = common_cuts(df, cuts)
    masks["positron stream"] = df["stream"].to_numpy() == STREAM_POSITRON
    masks["E/p window"] = df["eop_1"].between(*cuts["positron"]["eop"]).to_numpy()
    masks["no MUV3 signal"] = df["muv3_1"].to_numpy() == cuts["positron"]["muv3"]
    passed, flow = _cutflow(df, masks)
    sel = df[passed]
    m2 = missing_mass_squared(kaon_p, sel["px_1"], sel["py_1"], sel["pz_1"], M_E)
    out = pd.DataFrame(
        {
            "m2_miss": m2,
            "m_miss_mev": signed_mass_mev(m2),
            "p": _momentum(sel),
            "eop": sel["eop_1"].to_numpy(),
            "weight": sel["weight"].to_numpy(dtype=np.float64),
        }
    )
    for col in ("true_channel", "true_mass_n", "true_z", "true_pid_1"):
        if col in sel:
            out[col] = sel[col].to_numpy()
    return out, flow


def normalisation_candidates(
    df: pd.DataFrame, cuts: dict, kaon_p
) -> tuple[pd.DataFrame, list[dict]]:
    """K+ → μ+ν candidates in the downscaled control stream, and the cut flow."""
    norm = cuts["normalisation"]
    masks = common_cuts(df, cuts)
    masks["control stream"] = df["stream"].to_numpy() == STREAM_CONTROL
    masks["muon E/p"] = df["eop_1"].to_numpy() < norm["eop_max"]
    masks["MUV3 signal"] = df["muv3_1"].to_numpy() == norm["muv3"]
    m2 = missing_mass_squared(kaon_p, df["px_1"], df["py_1"], df["pz_1"], M_MU)
    lo, hi = norm["m2_miss_window"]
    masks["K_mu2 missing mass"] = (m2 > lo) & (m2 < hi)
    passed, flow = _cutflow(df, masks)
    sel = df[passed]
    return pd.DataFrame(
        {"m2_miss": m2[passed], "weight": sel["weight"].to_numpy(dtype=np.float64)}
    ), flow


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
