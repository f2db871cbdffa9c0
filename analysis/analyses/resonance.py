"""The scan stage shared by the missing-mass resonance searches (K+ → ℓ+ N).

Inputs: selected candidates of the pseudo-data, of each background MC channel and
of the signal MC grid (``m_miss_mev``, ``weight``), their selection summaries
(exact decay counts) and the kaon flux.  Output: the scan table (one row per
mass hypothesis; DESIGN.md §3), the missing-mass spectrum and ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import decays, hnl, scan, storage
from analysis.stats import expected, rolke, significance


@dataclass(frozen=True)
class DataDriven:
    """A background measured from a control sample: its candidates and their scale.

    Each candidate counts ``scale`` expected events in the signal sample;
    ``scale_rel_err`` is the relative uncertainty of that scale (normalisation
    statistics and the systematic of the transfer).
    """

    candidates: pd.DataFrame
    scale: float
    scale_rel_err: float


def scan_masses(cuts: dict) -> np.ndarray:
    lo, hi = cuts["scan"]["mass_range_mev"]
    step = cuts["scan"]["step_mev"]
    n = int(round((hi - lo) / step)) + 1
    return lo + step * np.arange(n)


def limits(n_obs, n_bkg, n_bkg_err, eff_sigma, cl):
    """Observed upper limits on signal events, expected bands and local significance.

    The efficiency is normalised to 1 with the relative uncertainty of N_K·A
    (``eff_sigma``), so the interval is directly on signal events.
    """
    _, n_ul = rolke.interval(n_obs, n_bkg, n_bkg_err, 1.0, eff_sigma, cl)
    bands = expected.expected_limits(n_bkg, n_bkg_err, 1.0, eff_sigma, cl)
    z = significance.local_significance(n_obs, n_bkg, n_bkg_err)
    return (
        np.asarray(n_ul, dtype=float),
        [np.asarray(bands[k], dtype=float) for k in expected.BANDS],
        np.asarray(z, dtype=float),
    )


def global_significance(z_max, mc, scale, lo, hi, n_bkg, n_bkg_err, n_toys, seed, bin_mev=0.25):
    """Look-elsewhere effect: Z_global of the largest local Z from background-only toys.

    Toys fluctuate the binned expected background spectrum; window counts are sums
    of bins, so overlapping windows are correlated as in the data.  Each toy's true
    background deviates from the estimate by the windows' relative uncertainty
    ``n_bkg_err / n_bkg`` (interpolated to the bins), with one deviate for the whole
    scan: the uncertainty is that of a normalisation (MC and transfer systematics).
    """
    start, stop = float(np.min(lo)), float(np.max(hi))
    edges = np.arange(start, stop + bin_mev, bin_mev)
    expectation = np.zeros(len(edges) - 1)
    for name, cand in mc.items():
        h, _ = scan.histogram(cand["m_miss_mev"].to_numpy(), cand["weight"].to_numpy(), edges)
        expectation += scale[name] * h
    lo_idx = np.clip(np.rint((lo - start) / bin_mev).astype(np.int64), 0, len(expectation) - 1)
    hi_idx = np.clip(np.rint((hi - start) / bin_mev).astype(np.int64), lo_idx + 1, len(expectation))
    n_bkg, n_bkg_err = np.asarray(n_bkg, float), np.asarray(n_bkg_err, float)
    rel = np.divide(n_bkg_err, n_bkg, out=np.zeros_like(n_bkg), where=n_bkg > 0)
    mid = 0.5 * (lo + hi)
    order = np.argsort(mid)
    rel_bins = np.interp(0.5 * (edges[:-1] + edges[1:]), mid[order], rel[order])
    toys = significance.scan_toys(
        expectation, lo_idx, hi_idx, n_bkg, n_bkg_err, n_toys, seed, bin_rel_sigma=rel_bins
    )
    return float(significance.global_significance(z_max, toys)), toys


def run(
    cuts: dict,
    data: list[pd.DataFrame],
    mc: dict[str, pd.DataFrame],
    mc_info: dict[str, dict],
    signal: pd.DataFrame,
    signal_info: dict,
    flux: dict,
    seed: int,
    data_driven: dict[str, DataDriven] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Build the scan table, the spectrum and the scan part of the summary.

    ``data_driven`` adds backgrounds measured from control samples: their
    candidates enter every window with the component's scale, and the scale's
    relative uncertainty is added to the MC-statistical one.
    """
    sc = cuts["scan"]
    k = float(sc["window_sigmas"])
    cl = float(sc["confidence_level"])
    n_k, n_k_err = flux["n_kaon_decays"], flux["n_kaon_decays_err"]

    grid_masses = np.round(np.asarray(signal_info["masses_gev"]) * 1e3, 3)
    grid = scan.signal_grid(signal, grid_masses, np.asarray(signal_info["n_fiducial_per_mass"]), k)
    hyp = scan.interpolate_grid(grid, scan_masses(cuts))
    lo, hi = scan.windows(hyp, k)

    scale = {c: n_k * decays.channel(c).branching_ratio / mc_info[c]["n_fiducial"] for c in mc}
    per_channel, var = scan.background_in_windows(mc, scale, lo, hi)
    n_bkg_mc = sum(per_channel.values())
    var += (float(sc["background_systematic"]) * n_bkg_mc) ** 2
    components = dict(mc)
    for name, comp in (data_driven or {}).items():
        scale[name] = comp.scale
        components[name] = comp.candidates
        values, stat = scan.background_in_windows({name: comp.candidates}, scale, lo, hi)
        per_channel[name] = values[name]
        var += stat + (comp.scale_rel_err * values[name]) ** 2
    n_bkg = sum(per_channel.values())
    n_bkg_err = np.sqrt(var)
    data_mass = np.concatenate([d["m_miss_mev"].to_numpy() for d in data]) if data else np.empty(0)
    data_weight = np.concatenate([d["weight"].to_numpy() for d in data]) if data else np.empty(0)
    in_scan = (data_mass >= lo.min()) & (data_mass < hi.max())
    if np.any(data_weight[in_scan] != 1.0):
        raise ValueError(
            "pseudo-data candidates inside the scan windows carry downscale weights: "
            "the observed counts need every event (check the trigger downscaling)"
        )
    n_obs = scan.observed_in_windows(data_mass, lo, hi)

    acc = hyp["acceptance"].to_numpy()
    eff_sigma = np.sqrt(
        (hyp["acceptance_err"].to_numpy() / np.where(acc > 0, acc, np.inf)) ** 2
        + (n_k_err / n_k) ** 2
        + float(sc["acceptance_systematic"]) ** 2
    )
    n_ul, bands, z = limits(n_obs, n_bkg, n_bkg_err, eff_sigma, cl)
    sensitivity = n_k * acc
    br_ul = np.where(sensitivity > 0, n_ul / np.where(sensitivity > 0, sensitivity, 1.0), np.inf)
    masses = hyp["mass_mev"].to_numpy()
    table = pd.DataFrame(
        {
            "mass_mev": masses,
            "n_obs": n_obs,
            "n_bkg": n_bkg,
            "n_bkg_err": n_bkg_err,
            "acceptance": acc,
            "n_ul": n_ul,
            "br_ul": br_ul,
            "u2_ul": hnl.u2_from_branching_ratio(br_ul, masses * 1e-3, cuts["lepton"]),
            "local_significance": z,
            "sigma_mev": hyp["sigma_mev"].to_numpy(),
            "window_lo_mev": lo,
            "window_hi_mev": hi,
            "acceptance_err": hyp["acceptance_err"].to_numpy(),
        }
    )
    for name, q in zip(("m2", "m1", "med", "p1", "p2"), bands, strict=True):
        table[f"n_ul_exp_{name}"] = q
    for c, values in per_channel.items():
        table[f"n_bkg_{c}"] = values

    spectrum = _spectrum(cuts, data_mass, data_weight, components, scale)
    best = int(np.argmax(z))
    n_toys = int(sc.get("global_toys", 2000))
    z_global, _ = global_significance(
        float(z[best]), components, scale, lo, hi, n_bkg, n_bkg_err, n_toys, seed
    )
    region = (data_mass >= cuts["scan"]["mass_range_mev"][0]) & (
        data_mass <= cuts["scan"]["mass_range_mev"][1]
    )
    expected_region = {
        c: float(
            scale[c]
            * d.loc[d["m_miss_mev"].between(*cuts["scan"]["mass_range_mev"]), "weight"].sum()
        )
        for c, d in components.items()
    }
    summary = {
        "n_hypotheses": int(len(table)),
        "window_sigmas": k,
        "confidence_level": cl,
        "n_obs_signal_region": int(region.sum()),
        "n_bkg_signal_region": float(sum(expected_region.values())),
        "background_by_source": expected_region,
        "resolution_mev": {
            "min": float(np.nanmin(table["sigma_mev"])),
            "max": float(np.nanmax(table["sigma_mev"])),
        },
        "acceptance": {"min": float(acc.min()), "max": float(acc.max())},
        "br_ul": {"min": float(np.min(br_ul)), "max": float(np.max(br_ul))},
        "u2_ul": {"min": float(table["u2_ul"].min()), "max": float(table["u2_ul"].max())},
        "most_significant": {
            "mass_mev": float(masses[best]),
            "local_significance": float(z[best]),
            "n_obs": int(n_obs[best]),
            "n_bkg": float(n_bkg[best]),
            "global_significance": z_global,
            "global_toys": n_toys,
        },
        "signal_grid": grid.to_dict(orient="records"),
    }
    return table, spectrum, summary


def _spectrum(cuts, data_mass, data_weight, mc, scale) -> pd.DataFrame:
    lo, hi = cuts["spectrum"]["range_mev"]
    edges = np.arange(lo, hi + 0.5 * cuts["spectrum"]["bin_mev"], cuts["spectrum"]["bin_mev"])
    parts = []
    h, err = scan.histogram(data_mass, data_weight, edges)
    parts.append(
        pd.DataFrame(
            {
                "bin_lo": edges[:-1],
                "bin_hi": edges[1:],
                "component": "data",
                "count": h,
                "count_err": err,
            }
        )
    )
    for c, d in mc.items():
        h, err = scan.histogram(d["m_miss_mev"].to_numpy(), d["weight"].to_numpy(), edges)
        parts.append(
            pd.DataFrame(
                {
                    "bin_lo": edges[:-1],
                    "bin_hi": edges[1:],
                    "component": c,
                    "count": scale[c] * h,
                    "count_err": scale[c] * err,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def write_outputs(
    table, spectrum, summary, scan_path, spectrum_path, summary_path, metadata
) -> None:
    storage.write_table(
        scan_path,
        [(c, table[c].dtype) for c in table.columns],
        {c: table[c].to_numpy() for c in table.columns},
        metadata,
    )
    storage.write_table(
        spectrum_path,
        [(c, spectrum[c].dtype if c != "component" else object) for c in spectrum.columns],
        {c: spectrum[c].to_numpy() for c in spectrum.columns},
        metadata,
    )
    storage.write_json(summary_path, summary)
