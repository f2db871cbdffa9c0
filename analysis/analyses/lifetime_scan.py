"""The NA48/2 resonance scan in M(πμ) over HNL mass and lifetime, and the K → πμμ counts.

Inputs: the LNV or LNC candidates (``m_pimumu_mev``, ``m_pimu_1_mev``,
``m_pimu_2_mev``, ``weight``) of the pseudo-data, of the background MC channels
and of the signal MC, their selection summaries and the kaon flux.

* Resolution σ(M_πμ) at each signal-MC mass from prompt decays (the pair closest
  to the true mass), interpolated in mass; hypotheses from m_π + m_μ upwards in
  steps of ``step_sigmas``·σ(m) up to m_K − m_μ, so their number follows from
  the resolution; window m ± ``window_sigmas``·σ(m).  An event is in a window
  if one of its π–μ pairs is (LNV events have two).
* Acceptance A(m, τ): signal MC in the signal region and in the window, weighted
  by :func:`analysis.decays.hnl_pimu.reweight` from the Monte Carlo proper-time
  sampling to each lifetime of the grid.
* Background per window: the MC expectation in the signal region of each
  channel (normalised to N_K) times the fraction of its M(πμ) distribution in
  the window, taken from a wider M(πμμ) band (``background_shape_half_width_mev``)
  so that the few MC events in the signal region do not make the shape.
* N_UL per mass (Rolke–López, Gaussian background); B(K→μN)·B(N→πμ) upper limit
  = N_UL / (N_K · A(m, τ)).  While blind: expected limits only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import decays, scan
from analysis.analyses import resonance
from analysis.constants import M_K, M_MU, M_PI
from analysis.decays import hnl_pimu
from analysis.selections.na48_2 import in_signal_region
from analysis.stats import expected, rolke, significance

BANDS = ("m2", "m1", "med", "p1", "p2")


class BlindingError(RuntimeError):
    """Pseudo-data events inside a blinded region reached the analysis."""


def _pairs(cand: pd.DataFrame) -> np.ndarray:
    """M(πμ) of both pairs, shape (n, 2) (NaN for the LNC second pair)."""
    return cand[["m_pimu_1_mev", "m_pimu_2_mev"]].to_numpy(dtype=float)


def in_windows(cand: pd.DataFrame, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Boolean matrix [window, event]: one of the event's π–μ pairs is inside the window."""
    m = _pairs(cand)
    inside = np.zeros((len(lo), len(cand)), dtype=bool)
    for j in range(m.shape[1]):
        v = m[:, j]
        inside |= (v[None, :] >= lo[:, None]) & (v[None, :] < hi[:, None])
    return inside


def resolution_and_grid(signal, info, cuts, lifetimes) -> pd.DataFrame:
    """σ(M_πμ), mean shift and acceptance per (signal-MC mass, lifetime)."""
    k = float(cuts["scan"]["window_sigmas"])
    masses = np.round(np.asarray(info["masses_gev"]) * 1e3, 3)
    sr = signal[in_signal_region(signal["m_pimumu_mev"], cuts)]
    true_mev = np.round(sr["true_mass_n"].to_numpy(dtype=float) * 1e3, 3)
    t = sr["true_t_n_ps"].to_numpy(dtype=float)
    rows = []
    for m, n_fid in zip(masses, info["n_fiducial_per_mass"], strict=True):
        at = np.isclose(true_mev, m, atol=1e-3)
        pairs = _pairs(sr[at])
        closest = np.nanargmin(np.abs(pairs - m), axis=1) if len(pairs) else np.empty(0, int)
        dm = pairs[np.arange(len(pairs)), closest] - m
        shift, sigma = scan.robust_sigma(dm[t[at] == 0.0])
        lo, hi = np.array([m + shift - k * sigma]), np.array([m + shift + k * sigma])
        inside = in_windows(sr[at], lo, hi)[0] if np.isfinite(sigma) else np.zeros(at.sum(), bool)
        w = sr["weight"].to_numpy(dtype=float)[at][inside]
        for tau in lifetimes:
            wt = w * hnl_pimu.reweight(t[at][inside], tau)
            rows.append(
                {
                    "mass_mev": m,
                    "lifetime_ps": float(tau),
                    "sigma_mev": sigma,
                    "shift_mev": shift,
                    "acceptance": wt.sum() / n_fid if n_fid else 0.0,
                    "acceptance_err": np.sqrt((wt**2).sum()) / n_fid if n_fid else 0.0,
                }
            )
    return pd.DataFrame(rows)


def hypotheses(grid: pd.DataFrame, cuts: dict) -> pd.DataFrame:
    """Scan masses in steps of ``step_sigmas``·σ(m) over the kinematic range."""
    prompt = grid[(grid["lifetime_ps"] == grid["lifetime_ps"].min()) & grid["sigma_mev"].notna()]
    if len(prompt) < 2:
        raise ValueError("signal MC: fewer than two masses with a measured resolution")
    x, sig, shift = (prompt[c].to_numpy() for c in ("mass_mev", "sigma_mev", "shift_mev"))
    lo, hi = cuts["scan"]["mass_range_mev"]
    lo, hi = max(lo, (M_PI + M_MU) * 1e3), min(hi, (M_K - M_MU) * 1e3)
    step = float(cuts["scan"]["step_sigmas"])
    masses = [lo]
    while masses[-1] + step * np.interp(masses[-1], x, sig) <= hi:
        masses.append(masses[-1] + step * float(np.interp(masses[-1], x, sig)))
    m = np.array(masses)
    return pd.DataFrame(
        {"mass_mev": m, "sigma_mev": np.interp(m, x, sig), "shift_mev": np.interp(m, x, shift)}
    )


def background(mc, mc_info, flux, cuts, lo, hi):
    """Expected background per window and channel, its error, and the signal-region totals."""
    n_k = flux["n_kaon_decays"]
    half = float(cuts["scan"]["background_shape_half_width_mev"])
    per_channel, var, totals, shapes = {}, np.zeros(len(lo)), {}, {}
    for name, cand in mc.items():
        scale = n_k * decays.channel(name).branching_ratio / mc_info[name]["n_fiducial"]
        w = cand["weight"].to_numpy(dtype=float)
        sr = in_signal_region(cand["m_pimumu_mev"], cuts)
        n_sr = scale * w[sr].sum()
        # an empty signal region still has the error of one typical MC event
        w2 = (w[sr] ** 2).sum() if sr.any() else (float(np.median(w)) ** 2 if len(w) else 0.0)
        err_sr = scale * np.sqrt(w2)
        band = np.abs(cand["m_pimumu_mev"].to_numpy() - M_K * 1e3) < half
        shape = cand[band]
        wb = w[band]
        frac = in_windows(shape, lo, hi) @ wb / wb.sum() if wb.sum() > 0 else np.zeros(len(lo))
        per_channel[name] = n_sr * frac
        var += (err_sr * frac) ** 2
        totals[name] = (float(n_sr), float(err_sr))
        shapes[name] = (shape, n_sr / wb.sum() if wb.sum() > 0 else 0.0)
    n_bkg = sum(per_channel.values())
    var += (float(cuts["scan"]["background_systematic"]) * n_bkg) ** 2
    return per_channel, n_bkg, np.sqrt(var), totals, shapes


def _spectrum(cuts, data, mc, mc_info, flux, blind) -> pd.DataFrame:
    lo, hi = cuts["spectrum"]["range_mev"]
    edges = np.arange(lo, hi + 0.5 * cuts["spectrum"]["bin_mev"], cuts["spectrum"]["bin_mev"])
    parts = []
    h, err = scan.histogram(data["m_pimumu_mev"].to_numpy(), data["weight"].to_numpy(), edges)
    keep = np.ones(len(h), bool)
    if blind:  # no count at all inside the blind region, not even a zero
        hw = cuts["signal_region"]["half_width_mev"]
        keep = (edges[1:] <= M_K * 1e3 - hw) | (edges[:-1] >= M_K * 1e3 + hw)
    frame = {"bin_lo": edges[:-1], "bin_hi": edges[1:], "count": h, "count_err": err}
    parts.append(pd.DataFrame(frame)[keep].assign(component="data"))
    for name, cand in mc.items():
        scale = flux["n_kaon_decays"] * decays.channel(name).branching_ratio
        scale /= mc_info[name]["n_fiducial"]
        h, err = scan.histogram(cand["m_pimumu_mev"].to_numpy(), cand["weight"].to_numpy(), edges)
        frame = {"bin_lo": edges[:-1], "bin_hi": edges[1:], "count": scale * h}
        parts.append(pd.DataFrame({**frame, "count_err": scale * err}).assign(component=name))
    columns = ["bin_lo", "bin_hi", "component", "count", "count_err"]
    return pd.concat(parts, ignore_index=True)[columns]


def _signal_region_acceptance(cand, info, cuts) -> tuple[float, float]:
    w = cand["weight"].to_numpy(dtype=float)[in_signal_region(cand["m_pimumu_mev"], cuts)]
    return float(w.sum() / info["n_fiducial"]), float(np.sqrt((w**2).sum()) / info["n_fiducial"])


def run(cuts, mode, data, tables, info, flux, seed, blind):
    """Scan table (one row per mass × lifetime), M(πμμ) spectrum and the summary entries."""
    sc = cuts["scan"]
    cl, k = float(sc["confidence_level"]), float(sc["window_sigmas"])
    lifetimes = [float(t) for t in sc["lifetimes_ps"]]
    n_k, n_k_err = flux["n_kaon_decays"], flux["n_kaon_decays_err"]
    mc = {c: tables[c] for c in cuts["background_channels"]}
    mc_info = {c: info[c] for c in cuts["background_channels"]}
    sig_name = cuts["signal_channel"]
    grid = resolution_and_grid(tables[sig_name], info[sig_name], cuts, lifetimes)
    hyp = hypotheses(grid, cuts)
    lo = (hyp["mass_mev"] + hyp["shift_mev"] - k * hyp["sigma_mev"]).to_numpy()
    hi = (hyp["mass_mev"] + hyp["shift_mev"] + k * hyp["sigma_mev"]).to_numpy()
    per_channel, n_bkg, n_bkg_err, totals, shapes = background(mc, mc_info, flux, cuts, lo, hi)
    eff_sigma = np.full(len(lo), np.hypot(n_k_err / n_k, float(sc["acceptance_systematic"])))
    data_sr = data[in_signal_region(data["m_pimumu_mev"], cuts)]
    if blind:
        if len(data_sr):
            raise BlindingError("pseudo-data events in the blind LNV region reached the scan")
        n_obs = np.full(len(lo), np.nan)
        bands = expected.expected_limits(n_bkg, n_bkg_err, 1.0, eff_sigma, cl)
        bands = [np.asarray(bands[b], float) for b in expected.BANDS]
        n_ul = z = np.full(len(lo), np.nan)
    else:
        n_obs = in_windows(data_sr, lo, hi).sum(axis=1).astype(float)
        n_ul, bands, z = resonance.limits(n_obs, n_bkg, n_bkg_err, eff_sigma, cl)

    rows = []
    for tau in lifetimes:
        g = grid[grid["lifetime_ps"] == tau]
        acc = np.interp(hyp["mass_mev"], g["mass_mev"], g["acceptance"])
        acc_err = np.interp(hyp["mass_mev"], g["mass_mev"], g["acceptance_err"])
        sens = n_k * acc
        part = {
            "mass_mev": hyp["mass_mev"].to_numpy(),
            "lifetime_ps": np.full(len(lo), tau),
            "n_obs": n_obs,
            "n_bkg": n_bkg,
            "n_bkg_err": n_bkg_err,
            "acceptance": acc,
            "acceptance_err": acc_err,
            "sensitivity": sens,
            "n_ul": n_ul,
            "br_ul": np.where(sens > 0, n_ul / np.where(sens > 0, sens, 1.0), np.inf),
            "local_significance": z,
            "sigma_mev": hyp["sigma_mev"].to_numpy(),
            "window_lo_mev": lo,
            "window_hi_mev": hi,
        }
        part |= {f"n_ul_exp_{b}": q for b, q in zip(BANDS, bands, strict=True)}
        part |= {f"n_bkg_{c}": v for c, v in per_channel.items()}
        rows.append(pd.DataFrame(part))
    table = pd.concat(rows, ignore_index=True)
    summary = _summary(cuts, mode, data_sr, tables, info, flux, totals, table, blind)
    summary |= {
        "n_hypotheses": int(len(hyp)),
        "lifetimes_ps": lifetimes,
        "window_sigmas": k,
        "confidence_level": cl,
        "resolution_mev": {
            "min": float(hyp["sigma_mev"].min()),
            "max": float(hyp["sigma_mev"].max()),
        },
        "signal_grid": grid.to_dict(orient="records"),
    }
    if not blind:
        best = int(np.nanargmax(z))
        frames = {}
        scale = {}
        for name, (shape, s) in shapes.items():
            m = _pairs(shape)
            frames[name] = pd.DataFrame(
                {
                    "m_miss_mev": np.concatenate([m[:, 0], m[:, 1]]),
                    "weight": np.concatenate([shape["weight"], shape["weight"]])
                    * (0.5 if mode == "lnv" else 1.0),
                }
            ).dropna()
            scale[name] = s
        n_toys = int(sc.get("global_toys", 2000))
        z_global, _ = resonance.global_significance(
            float(z[best]), frames, scale, lo, hi, n_bkg, n_bkg_err, n_toys, seed
        )
        summary["most_significant"] = {
            "mass_mev": float(hyp["mass_mev"].iloc[best]),
            "local_significance": float(z[best]),
            "n_obs": int(n_obs[best]),
            "n_bkg": float(n_bkg[best]),
            "global_significance": z_global,
            "global_toys": n_toys,
        }
    spectrum = _spectrum(cuts, data, mc, mc_info, flux, blind)
    return table, spectrum, summary


def _summary(cuts, mode, data_sr, tables, info, flux, totals, table, blind) -> dict:
    """Signal-region counts, background by source and the total-BR result."""
    n_k, n_k_err = flux["n_kaon_decays"], flux["n_kaon_decays_err"]
    cl = float(cuts["scan"]["confidence_level"])
    n_bkg = sum(v for v, _ in totals.values())
    n_bkg_err = float(
        np.hypot(
            np.sqrt(sum(e**2 for _, e in totals.values())),
            float(cuts["scan"]["background_systematic"]) * n_bkg,
        )
    )
    total = cuts["total_signal_channel"]
    acc, acc_err = _signal_region_acceptance(tables[total], info[total], cuts)
    eff_sigma = float(np.hypot(n_k_err / n_k, float(cuts["scan"]["acceptance_systematic"])))
    sens = n_k * acc
    exp_bands = expected.expected_limits(n_bkg, n_bkg_err, 1.0, eff_sigma, cl)
    out = {
        "n_bkg": float(n_bkg),
        "n_bkg_err": n_bkg_err,
        "background_by_source": {c: v for c, (v, _) in totals.items()},
        "background_by_source_err": {c: e for c, (_, e) in totals.items()},
        "signal_region_mev": cuts["signal_region"]["half_width_mev"],
        "total_signal_channel": total,
        "acceptance_signal_region": acc,
        "acceptance_signal_region_err": acc_err,
        "single_event_sensitivity": 1.0 / sens if sens > 0 else None,
        "br_ul_expected": float(np.asarray(exp_bands[0])) / sens if sens > 0 else None,
        "acceptance": {
            "min": float(table["acceptance"].min()),
            "max": float(table["acceptance"].max()),
        },
    }
    prompt = table[table["lifetime_ps"] == table["lifetime_ps"].min()]
    finite = table.loc[np.isfinite(table["br_ul"]), "br_ul"]
    if blind:
        out |= {"n_obs": None, "br_ul": None, "n_ul": None, "limit": "blind: expected only"}
        return out
    n_obs = int(len(data_sr))
    _, n_ul = rolke.interval(n_obs, n_bkg, n_bkg_err, 1.0, eff_sigma, cl)
    out |= {
        "n_obs": n_obs,
        "n_ul": float(n_ul),
        "br_ul": float(n_ul) / sens if sens > 0 else None,
        "local_significance": float(significance.local_significance(n_obs, n_bkg, n_bkg_err)),
        "br_ul_scan": {"min": float(finite.min()), "max": float(finite.max())},
        "br_ul_scan_prompt": {
            "min": float(prompt["br_ul"].min()),
            "max": float(prompt["br_ul"].max()),
        },
    }
    if mode == "lnc":
        # the Standard-Model K -> pi mu mu: observed minus the K3pi background
        other = sum(v for c, (v, _) in totals.items() if c != "kpimumu")
        out["br_kpimumu_measured"] = (n_obs - other) / sens if sens > 0 else None
        out["br_kpimumu_measured_stat_err"] = np.sqrt(n_obs) / sens if sens > 0 else None
        out["br_kpimumu_input"] = decays.channel("kpimumu").branching_ratio
        out["br_ul_meaning"] = "90% CL upper limit on K -> pi mu mu (LNC) beyond the expectation"
    return out
