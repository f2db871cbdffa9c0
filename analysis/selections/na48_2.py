"""NA48/2 three-track selections: K± → π∓μ±μ± (LNV), K± → π±μ±μ∓ (LNC) and K3π.

Functions take the reconstructed three-track events of
:mod:`analysis.experiments.na48_2` (a pandas DataFrame; real reconstructed
events in the same schema work alike) and the cut table
(``analysis/data/selections/na48_2_{lnv,lnc}.yaml``).

* Common cuts: total charge ±1, three-track vertex in the fiducial region with a
  small track spread, each track 5 < p < 55 GeV/c, total momentum within
  ±3 GeV/c of the beam (measured with K3π), total transverse momentum to the
  beam axis < 10 MeV/c.
* Identification: a muon has a MUV signal and MIP-like E/p, a pion no MUV
  signal and E/p below the electron peak.
* LNV: the odd-sign track is an identified pion, the two same-sign tracks
  identified muons; M(πμ) is computed for both pion–muon pairs.
* LNC: the odd-sign track is an identified muon, one same-sign track a muon and
  the other a pion; M(πμ) is that of the opposite-sign pair (N → π±μ∓).
* K3π normalisation: the common cuts and |M(3π) − m_K| below a window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.constants import M_K, M_MU, M_PI

#: Candidate columns (name → Parquet type).
CANDIDATE_COLUMNS = {
    "m_pimumu_mev": np.float64,
    "m_pimu_1_mev": np.float64,
    "m_pimu_2_mev": np.float64,
    "z_vtx": np.float32,
    "p_total": np.float32,
    "pt": np.float32,
    "kcharge": np.int8,
    "weight": np.float32,
}
TRUTH_COLUMNS = {
    "true_channel": np.uint8,
    "true_mass_n": np.float32,
    "true_t_n_ps": np.float64,
    "true_z": np.float32,
    "true_kcharge": np.int8,
    "true_n_decays": np.uint8,
}
TRACKS = (1, 2, 3)


def _momenta(df: pd.DataFrame) -> np.ndarray:
    """Track momenta as an array [event, track, (px, py, pz)]."""
    return np.stack(
        [df[[f"px_{k}", f"py_{k}", f"pz_{k}"]].to_numpy(dtype=float) for k in TRACKS], axis=1
    )


def _mass(p: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """Invariant mass (GeV) of the tracks p[..., k, :] with masses[..., k]."""
    e = np.sqrt((p**2).sum(axis=-1) + masses**2).sum(axis=-1)
    s = p.sum(axis=-2)
    return np.sqrt(np.maximum(e**2 - (s**2).sum(axis=-1), 0.0))


def total_momentum(df: pd.DataFrame) -> np.ndarray:
    return _momenta(df).sum(axis=1)


def m3pi(df: pd.DataFrame) -> np.ndarray:
    """M(3π) in GeV."""
    return _mass(_momenta(df), np.full(3, M_PI))


def common_cuts(df: pd.DataFrame, cuts: dict, kaon_p) -> dict[str, np.ndarray]:
    """The three-track vertex cuts shared by every selection (ordered cut flow)."""
    v = cuts["vertex"]
    p = _momenta(df)
    p_abs = np.sqrt((p**2).sum(axis=-1))
    total = p.sum(axis=1)
    beam = np.asarray(kaon_p, dtype=float)
    axis = beam / np.linalg.norm(beam)
    along = total @ axis
    pt = np.sqrt(np.maximum((total**2).sum(axis=1) - along**2, 0.0))
    charge = sum(df[f"charge_{k}"].to_numpy(dtype=int) for k in TRACKS)
    lo, hi = v["track_momentum"]
    return {
        "three tracks, total charge ±1": np.abs(charge) == 1,
        "vertex in fiducial region": df["z_vtx"].between(*v["z_vtx"]).to_numpy(),
        "vertex quality": df["cda"].to_numpy() < v["cda_max"],
        "track momenta": np.all((p_abs > lo) & (p_abs < hi), axis=1),
        "total momentum": np.abs(np.linalg.norm(total, axis=1) - np.linalg.norm(beam))
        < v["total_momentum_window"],
        "total transverse momentum": pt < v["pt_max"],
    }


def identification(df: pd.DataFrame, cuts: dict) -> tuple[np.ndarray, np.ndarray]:
    """(is_muon, is_pion) arrays [event, track]."""
    eop = np.stack([df[f"eop_{k}"].to_numpy(dtype=float) for k in TRACKS], axis=1)
    muv = np.stack([df[f"muv_{k}"].to_numpy(dtype=bool) for k in TRACKS], axis=1)
    pid = cuts["pid"]
    return muv & (eop < pid["muon_eop_max"]), ~muv & (eop < pid["pion_eop_max"])


def assign(df: pd.DataFrame, cuts: dict, mode: str):
    """Pion/muon assignment of ``mode`` ("lnv" or "lnc").

    Returns (identified, pion index, muon indices (n, 2), odd-sign track index);
    for LNC the first muon is the odd-sign one (the N → π±μ∓ partner).
    """
    charge = np.stack([df[f"charge_{k}"].to_numpy(dtype=int) for k in TRACKS], axis=1)
    q = charge.sum(axis=1, keepdims=True)
    odd = np.argmax(charge == -q, axis=1)  # the track with the opposite charge
    rows = np.arange(len(df))
    same = np.stack([(odd + 1) % 3, (odd + 2) % 3], axis=1)
    is_mu, is_pi = identification(df, cuts)
    if mode == "lnv":
        ok = is_pi[rows, odd] & is_mu[rows, same[:, 0]] & is_mu[rows, same[:, 1]]
        return ok, odd, same, odd
    if mode != "lnc":
        raise ValueError(f"mode must be 'lnv' or 'lnc', got {mode!r}")
    first_is_pion = is_pi[rows, same[:, 0]] & is_mu[rows, same[:, 1]]
    second_is_pion = is_mu[rows, same[:, 0]] & is_pi[rows, same[:, 1]]
    pion = np.where(first_is_pion, same[:, 0], same[:, 1])
    partner = np.where(first_is_pion, same[:, 1], same[:, 0])
    ok = is_mu[rows, odd] & (first_is_pion | second_is_pion)
    return ok, pion, np.stack([odd, partner], axis=1), odd


def dilepton_masses(df: pd.DataFrame, pion: np.ndarray, muons: np.ndarray):
    """M(πμμ) and the two M(πμ) (GeV) for a given assignment."""
    p = _momenta(df)
    rows = np.arange(len(df))
    masses = np.full((len(df), 3), M_MU)
    masses[rows, pion] = M_PI
    m_all = _mass(p, masses)
    pairs = []
    for j in (0, 1):
        pp = np.stack([p[rows, pion], p[rows, muons[:, j]]], axis=1)
        pairs.append(_mass(pp, np.array([M_PI, M_MU])))
    return m_all, pairs[0], pairs[1]


def cutflow(steps: dict[str, np.ndarray], weight: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """Sequential cut flow: the final mask and (name, events, weighted) per step."""
    mask = np.ones(len(weight), dtype=bool)
    flow = []
    for name, sel in steps.items():
        mask &= sel
        flow.append({"cut": name, "events": int(mask.sum()), "weighted": float(weight[mask].sum())})
    return mask, flow


def signal_candidates(df: pd.DataFrame, cuts: dict, kaon_p, mode: str, common=None):
    """Candidates of the LNV or LNC selection (every M(πμμ) in the spectrum range) and cut flow.

    ``region`` is not stored: the signal region is |M(πμμ) − m_K| below the
    selection's half width, and the scan uses only those candidates.  ``common``:
    the result of :func:`common_cuts` when the caller has it already.
    """
    weight = df["weight"].to_numpy(dtype=float)
    ok, pion, muons, _ = assign(df, cuts, mode)
    steps = dict(common if common is not None else common_cuts(df, cuts, kaon_p))
    steps[f"{mode.upper()} identification"] = ok
    m_all, m1, m2 = dilepton_masses(df, pion, muons)
    lo, hi = cuts["spectrum"]["range_mev"]
    steps["M(pi mu mu) in spectrum range"] = (m_all * 1e3 >= lo) & (m_all * 1e3 < hi)
    mask, flow = cutflow(steps, weight)
    sel = df[mask]
    total = total_momentum(sel)
    out = pd.DataFrame(
        {
            "m_pimumu_mev": m_all[mask] * 1e3,
            "m_pimu_1_mev": m1[mask] * 1e3,
            "m_pimu_2_mev": (m2[mask] * 1e3) if mode == "lnv" else np.nan,
            "z_vtx": sel["z_vtx"].to_numpy(),
            "p_total": np.linalg.norm(total, axis=1),
            "pt": np.hypot(total[:, 0], total[:, 1]),
            "kcharge": sum(sel[f"charge_{k}"].to_numpy(dtype=int) for k in TRACKS),
            "weight": weight[mask],
        }
    )
    for c in TRUTH_COLUMNS:
        if c in sel:
            out[c] = sel[c].to_numpy()
    return out, flow


def in_signal_region(m_pimumu_mev: np.ndarray, cuts: dict) -> np.ndarray:
    return np.abs(np.asarray(m_pimumu_mev) - M_K * 1e3) < cuts["signal_region"]["half_width_mev"]


def normalisation_candidates(df: pd.DataFrame, cuts: dict, kaon_p, common=None):
    """K± → π±π+π− candidates (no identification) and their cut flow."""
    weight = df["weight"].to_numpy(dtype=float)
    steps = dict(common if common is not None else common_cuts(df, cuts, kaon_p))
    steps["|M(3pi) - m_K|"] = (
        np.abs(m3pi(df) - M_K) * 1e3 < cuts["normalisation"]["mass_window_mev"]
    )
    mask, flow = cutflow(steps, weight)
    return df[mask], flow
