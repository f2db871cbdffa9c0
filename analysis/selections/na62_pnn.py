"""NA62 K+ → π+νν̄ selection (2016 run): PNN candidates, regions, K2π normalisation.

All functions take the reconstructed single-track table of
:mod:`analysis.experiments.na62_pnn` (real reconstructed events in the same
schema work alike) and the cut table ``analysis/data/selections/na62_pnn.yaml``.

m²_miss = (P_K − P_π)² with P_K from the GTK and P_π from the straw spectrometer
in the pion hypothesis; m²_miss(RICH) takes the pion momentum from the RICH
Cherenkov angle (pion hypothesis) and its direction from the straw track.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.constants import M_PI
from analysis.experiments.na62_pnn import GEOMETRY, STREAM_MINBIAS, STREAM_PNN
from analysis.missing_mass import missing_mass_squared
from analysis.selections.single_track import cutflow

#: Region codes of the candidate tables (``region`` column); −1: outside every region.
REGION_NAMES = ("region_1", "region_2", "control_1", "k2pi", "control_2", "k3pi", "kmu2")
REGION_CODE = {name: i for i, name in enumerate(REGION_NAMES)}
SIGNAL_REGIONS = ("region_1", "region_2")
#: Candidate-table columns (name → dtype); the blinding contract names the first three.
CANDIDATE_COLUMNS = {
    "m2_miss": np.float64,
    "m2_miss_rich": np.float64,
    "p_pi": np.float64,
    "region": np.int8,
    "weight": np.float64,
}
TRUTH_COLUMNS = {
    "true_channel": np.uint8,
    "true_gtk_mismatch": np.bool_,
    "true_pid_1": np.int32,
    "w_veto": np.float64,
    "w_pid": np.float64,
}


def rich_momentum(theta, n_minus_1: float = GEOMETRY.rich_n_minus_1) -> np.ndarray:
    """Pion-hypothesis momentum from the Cherenkov angle: m_π/√(n²cos²θ − 1); NaN without one."""
    c = (1.0 + n_minus_1) * np.cos(np.asarray(theta, dtype=np.float64))
    s = c * c - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0.0, M_PI / np.sqrt(np.where(s > 0.0, s, 1.0)), np.nan)


def rich_mass(theta, p, n_minus_1: float = GEOMETRY.rich_n_minus_1) -> np.ndarray:
    """Mass from the straw momentum and the Cherenkov angle: p√(n²cos²θ − 1) (NaN: no ring)."""
    c = (1.0 + n_minus_1) * np.cos(np.asarray(theta, dtype=np.float64))
    return np.asarray(p) * np.sqrt(np.clip(c * c - 1.0, 0.0, None))


def kinematics(df: pd.DataFrame) -> pd.DataFrame:
    """m2_miss, m2_miss_rich (GeV²/c⁴), p_pi (GeV/c) and the RICH mass of every row."""
    px, py, pz = (df[c].to_numpy(dtype=np.float64) for c in ("px", "py", "pz"))
    kx, ky, kz = (df[c].to_numpy(dtype=np.float64) for c in ("gtk_px", "gtk_py", "gtk_pz"))
    p = np.sqrt(px**2 + py**2 + pz**2)
    theta = df["rich_theta"].to_numpy(dtype=np.float64)
    scale = rich_momentum(theta) / p
    kaon = (kx, ky, kz)
    return pd.DataFrame(
        {
            "m2_miss": missing_mass_squared(kaon, px, py, pz, M_PI),
            "m2_miss_rich": missing_mass_squared(kaon, px * scale, py * scale, pz * scale, M_PI),
            "p_pi": p,
            "m_rich": rich_mass(theta, p),
        },
        index=df.index,
    )


def _inside(x, window) -> np.ndarray:
    return (x > window[0]) & (x < window[1])


def regions(kin: pd.DataFrame, cuts: dict) -> np.ndarray:
    """Region code of each event (−1 outside the 15–35 GeV/c range or every region).

    A signal region needs m²_miss in it and m²_miss(RICH) in ``rich_window``; the
    other regions are defined by m²_miss alone.
    """
    r = cuts["regions"]
    m2 = kin["m2_miss"].to_numpy()
    m2r = kin["m2_miss_rich"].to_numpy()
    in_p = _inside(kin["p_pi"].to_numpy(), r["momentum"])
    code = np.full(len(kin), -1, dtype=np.int8)
    for name in REGION_NAMES:
        mask = in_p & _inside(m2, r[name])
        if name in SIGNAL_REGIONS:
            mask &= _inside(m2r, r["rich_window"])
        code[mask & (code < 0)] = REGION_CODE[name]
    return code


def in_signal_box(kin: pd.DataFrame, cuts: dict) -> np.ndarray:
    """Blind boxes: 15–35 GeV/c and m²_miss in Region 1 or 2 (m²_miss alone, as blinded)."""
    r = cuts["regions"]
    m2 = kin["m2_miss"].to_numpy()
    in_p = _inside(kin["p_pi"].to_numpy(), r["momentum"])
    return in_p & (_inside(m2, r["region_1"]) | _inside(m2, r["region_2"]))


def _common(df: pd.DataFrame, kin: pd.DataFrame, cuts: dict) -> dict[str, np.ndarray]:
    """Cuts shared by the PNN and the normalisation selections, in cut-flow order."""
    c = cuts["selection"]
    return {
        "vertex in the fiducial region": _inside(df["z_vtx"].to_numpy(), c["z_vtx"]),
        "GTK-straw closest approach": df["cda"].to_numpy() < c["cda_max"],
        "KTAG kaon": df["ktag"].to_numpy(dtype=bool) == bool(c["ktag"]),
        "RICH pion mass": _inside(kin["m_rich"].to_numpy(), c["rich_mass"]),
    }


def _is_mc(df: pd.DataFrame) -> bool:
    return "true_channel" in df


def shared_inputs(df: pd.DataFrame, cuts: dict) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The kinematics and the common cuts of a batch, computed once for both selections."""
    kin = kinematics(df)
    return kin, _common(df, kin, cuts)


def pnn_candidates(df: pd.DataFrame, cuts: dict, shared=None) -> tuple[pd.DataFrame, list[dict]]:
    """Events of the PNN stream passing the selection, with their region, and the cut flow.

    Monte Carlo rows carry the probabilities of passing the vetoes and the pion
    identification (``w_veto``, ``w_pid``); the pseudo-data passed them as drawn
    decisions in the trigger (both 1).  ``shared``: :func:`shared_inputs` of ``df``.
    """
    kin, common = shared or shared_inputs(df, cuts)
    masks = {"PNN stream": df["stream"].to_numpy() == STREAM_PNN, **common}
    masks["momentum"] = _inside(kin["p_pi"].to_numpy(), cuts["selection"]["momentum"])
    passed, flow = cutflow(df, masks)
    sel = df[passed]
    out = kin[passed].drop(columns="m_rich").reset_index(drop=True)
    out["region"] = regions(out, cuts)
    out["weight"] = sel["weight"].to_numpy(dtype=np.float64)
    if _is_mc(df):
        out["true_channel"] = sel["true_channel"].to_numpy()
        out["true_gtk_mismatch"] = sel["true_gtk_mismatch"].to_numpy()
        out["true_pid_1"] = sel["true_pid_1"].to_numpy()
        out["w_veto"] = sel["true_w_veto"].to_numpy(dtype=np.float64)
        out["w_pid"] = sel["true_w_pid"].to_numpy(dtype=np.float64)
    return out, flow


def normalisation_candidates(
    df: pd.DataFrame, cuts: dict, shared=None
) -> tuple[pd.DataFrame, list[dict]]:
    """K+ → π+π0 candidates of the minimum-bias stream (MC: every row), and the cut flow.

    The PNN selection without the veto and identification conditions, 15–35 GeV/c
    and m²_miss in the π+π0 region.  ``shared``: :func:`shared_inputs` of ``df``.
    """
    kin, common = shared or shared_inputs(df, cuts)
    masks = {}
    if not _is_mc(df):
        masks["minimum-bias stream"] = df["stream"].to_numpy() == STREAM_MINBIAS
    masks |= common
    masks["momentum"] = _inside(kin["p_pi"].to_numpy(), cuts["regions"]["momentum"])
    masks["pi+ pi0 region"] = _inside(kin["m2_miss"].to_numpy(), cuts["regions"]["k2pi"])
    passed, flow = cutflow(df, masks)
    return pd.DataFrame(
        {
            "m2_miss": kin["m2_miss"].to_numpy()[passed],
            "weight": df["weight"].to_numpy(dtype=np.float64)[passed],
        }
    ), flow
