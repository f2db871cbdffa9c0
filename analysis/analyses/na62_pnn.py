"""Stages of the NA62 K+ → π+νν̄ blind analysis (2016 run): file in, file out.

``kaon_momentum`` → beam momentum measured by the GTK (monitoring);
``select`` → PNN candidates with their m²_miss region, and the K2π normalisation
candidates of the minimum-bias stream, per sample; ``normalise`` → N_K from K2π;
``estimate`` → backgrounds in the signal regions, single-event sensitivity, SM
expectation and — once unblinded — the observed count and the Rolke–López upper
limit (summary.json, background.parquet, spectrum.parquet); ``plot`` → figures.

Backgrounds follow the blind-analysis practice of the experiment: for K2π, K_μ2
and K3π the events of the pseudo-data in the source's control region (all cuts
applied, vetoes and identification included) times the MC fraction f_kin of
that source's events in the signal regions relative to its control region —
the kinematic (m²_miss tail) rejection.  As in the publication (where it is
measured on minimum-bias data), f_kin is kinematic by default: the veto and
identification conditions are taken to factorise from the m²_miss tail
(selection key ``f_kin_weights``: ``kinematic``, or ``all_conditions`` to weight
the MC events with their veto and identification probabilities — unbiased
within the model, but dominated by the few tail events whose photons escape
the vetoes).  The smaller sources come from MC normalised to N_K.  Every MC
source also gives its MC-truth expectation (all conditions as weights), which
checks the control-region method and its factorisation.

While ``unblind`` is false, the pseudo-data never holds events in the boxes
(the simulation does not write them, :func:`select` refuses any that appear),
and ``n_obs`` / ``br_ul`` are null.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import decays, storage
from analysis.analyses.lepton_search import read_chunks, select_sample
from analysis.analyses.lifetime_scan import BlindingError
from analysis.constants import BR_KPINUNU_SM
from analysis.normalisation import flux_record
from analysis.selections import load_cuts
from analysis.selections import na62_pnn as sel
from analysis.stats import expected, rolke

SELECTION = "na62_pnn"
#: Pseudo-data samples of the PNN trigger stream (the minimum-bias one only normalises).
PNN_DATA_SAMPLES = ("data", "data_leptonic")


def _cuts(cuts: dict | None) -> dict:
    return cuts or load_cuts(SELECTION)


def kaon_momentum(data_paths, output, cuts=None) -> dict:
    """Mean beam-kaon momentum measured by the GTK in the pseudo-data (beam monitoring).

    ``data_paths``: chunks of the PNN stream and of the minimum-bias stream, whose
    events (1/400 of the decays, no veto) keep the monitor filled at any scale.
    """
    sums, sums2, n = np.zeros(3), np.zeros(3), 0
    for _, df in read_chunks(data_paths, columns=["gtk_px", "gtk_py", "gtk_pz"]):
        k = df.to_numpy(dtype=np.float64)
        sums += k.sum(axis=0)
        sums2 += (k**2).sum(axis=0)
        n += len(k)
    if n < 2:
        raise ValueError(f"only {n} events in the pseudo-data: cannot monitor the beam momentum")
    mean = sums / n
    rms = np.sqrt(np.maximum(sums2 / n - mean**2, 0.0))
    result = {
        **{c: float(v) for c, v in zip(("px", "py", "pz"), mean, strict=True)},
        **{
            f"{c}_err": float(v / math.sqrt(n))
            for c, v in zip(("px", "py", "pz"), rms, strict=True)
        },
        "pz_rms": float(rms[2]),
        "n_events": n,
        "method": "mean GTK beam-track momentum of the pseudo-data (PNN and minimum-bias streams)",
    }
    storage.write_json(output, result)
    return result


def select(sample_paths, kaon_json, output, summary_output, cuts=None) -> dict:
    """PNN and normalisation candidates of a sample (Parquet) and its counts (JSON)."""
    cuts = _cuts(cuts)

    def select_batch(df):
        shared = sel.shared_inputs(df, cuts)
        return (
            *sel.pnn_candidates(df, cuts, shared),
            *sel.normalisation_candidates(df, cuts, shared),
        )

    cand, info, meta0 = select_sample(SELECTION, sample_paths, select_batch)
    blind = bool(meta0.get("geometry_overrides", {}).get("blind_enabled", 0.0))
    if blind and meta0.get("sample") == "data" and sel.in_signal_box(cand, cuts).any():
        raise BlindingError(
            f"{sample_paths[0]}: pseudo-data simulated blind holds events in the signal "
            "boxes; refusing to write them"
        )
    columns = list(sel.CANDIDATE_COLUMNS.items())
    columns += [(c, t) for c, t in sel.TRUTH_COLUMNS.items() if c in cand]
    info |= {
        "blind": blind,
        "thinning": meta0.get("thinning", 1.0),
        "branching_fraction_simulated": meta0.get("branching_fraction_simulated", 1.0),
        "kaon_momentum_gev": storage.read_json(kaon_json)["pz"],
    }
    storage.write_table(output, columns, {c: cand[c].to_numpy() for c, _ in columns}, info)
    storage.write_json(summary_output, info)
    return info


def normalise(sample_summaries, output, cuts=None) -> dict:
    """N_K from the K2π candidates of the minimum-bias stream and the MC acceptances."""
    cuts = _cuts(cuts)
    info = {name: storage.read_json(path) for name, path in sample_summaries.items()}
    data = info["data"]
    # the PNN-stream sample simulates the decays with a pion track only
    n_true = data["n_fiducial"] / data["branching_fraction_simulated"]
    result = flux_record(info, [info["data_minbias"]], cuts, n_true)
    storage.write_json(output, result)
    return result


def _weighted(table: pd.DataFrame, conditions: bool = True) -> np.ndarray:
    """Event weights; for MC with the veto and identification probabilities unless
    ``conditions`` is false (the kinematic weight: downscale × importance weight)."""
    w = table["weight"].to_numpy(dtype=np.float64)
    if conditions and "w_veto" in table:
        w = w * table["w_veto"].to_numpy() * table["w_pid"].to_numpy()
    return w


def _sum(table: pd.DataFrame, mask: np.ndarray, conditions: bool = True) -> tuple[float, float]:
    w = _weighted(table, conditions)[mask]
    return float(w.sum()), float((w**2).sum())


#: What the MC fraction f_kin of the control-region method is measured with.
F_KIN_WEIGHTS = ("kinematic", "all_conditions")


def _in(table: pd.DataFrame, names) -> np.ndarray:
    return np.isin(table["region"].to_numpy(), [sel.REGION_CODE[n] for n in names])


def background_budget(
    cuts: dict, data: pd.DataFrame, mc: dict[str, pd.DataFrame], info: dict, n_k: float
) -> pd.DataFrame:
    """Expected background in the signal regions per source, with the method and its inputs."""
    rows = {}
    syst = float(cuts["systematics"]["background"])
    control = cuts["control_region_backgrounds"]
    f_kin_weights = cuts.get("f_kin_weights", "kinematic")
    if f_kin_weights not in F_KIN_WEIGHTS:
        raise ValueError(
            f"f_kin_weights: {f_kin_weights!r} is not one of {', '.join(F_KIN_WEIGHTS)}"
        )
    conditions = f_kin_weights == "all_conditions"
    brs = decays.branching_ratios(cuts["background_channels"])
    for source in cuts["background_channels"]:
        t = mc[source]
        per_event = n_k * brs[source] / info[source]["n_fiducial"]
        sr, sr_w2 = _sum(t, _in(t, sel.SIGNAL_REGIONS))
        row = {
            "n_mc_truth": per_event * sr,
            "n_mc_truth_err": per_event * math.sqrt(sr_w2),
            "method": "MC",
            "n_control": np.nan,
            "f_kin": np.nan,
            "f_kin_err": np.nan,
        }
        if source in control:
            region = control[source]
            if not conditions:  # the kinematic fraction: MC events without their vetoes
                sr, sr_w2 = _sum(t, _in(t, sel.SIGNAL_REGIONS), conditions=False)
            cr, cr_w2 = _sum(t, _in(t, [region]), conditions)
            f = f_err = 0.0
            if cr > 0:
                f = sr / cr
                # an empty signal region counts as one event of the control region's mean weight
                sr_w2_eff = sr_w2 if sr > 0 else (cr_w2 / cr) ** 2
                f_err = math.sqrt(sr_w2_eff + f * f * cr_w2) / cr
            n_cr = float(_weighted(data)[_in(data, [region])].sum())
            n = n_cr * f
            # Poisson error of the control count ⊕ f_kin error, the count taken as at least
            # one event (an empty control region still bounds the background by f_kin)
            n_eff = max(n_cr, 1.0)
            stat = math.hypot(f * math.sqrt(n_eff), n_eff * f_err)
            row |= {"method": "control region", "n_control": n_cr, "f_kin": f, "f_kin_err": f_err}
        else:
            n, stat = row["n_mc_truth"], row["n_mc_truth_err"]
        row |= {"n_bkg": n, "n_bkg_err": math.hypot(stat, syst * n)}
        rows[source] = row
    columns = ["method", "n_control", "f_kin", "f_kin_err", "n_bkg", "n_bkg_err"]
    return pd.DataFrame.from_dict(rows, orient="index")[columns + ["n_mc_truth", "n_mc_truth_err"]]


def spectrum(cuts, data, mc, info, n_k, blind) -> pd.DataFrame:
    """m²_miss histograms (15–35 GeV/c, PNN selection): expected events per source and data."""
    lo, hi = cuts["spectrum"]["m2_range"]
    edges = np.arange(lo, hi + 0.5 * cuts["spectrum"]["bin"], cuts["spectrum"]["bin"])
    p_lo, p_hi = cuts["regions"]["momentum"]
    parts = []

    def add(source, table, scale):
        p = table["p_pi"].to_numpy()
        mask = (p > p_lo) & (p < p_hi)
        m2 = table["m2_miss"].to_numpy()[mask]
        w = _weighted(table)[mask] * scale
        h, _ = np.histogram(m2, edges, weights=w)
        h2, _ = np.histogram(m2, edges, weights=w**2)
        parts.append(
            pd.DataFrame(
                {
                    "bin_lo": edges[:-1],
                    "bin_hi": edges[1:],
                    "source": source,
                    "expected": h,
                    "error": np.sqrt(h2),
                }
            )
        )

    brs = decays.branching_ratios(mc)
    for source, table in mc.items():
        add(source, table, n_k * brs[source] / info[source]["n_fiducial"])
    add("data", data, 1.0)
    out = pd.concat(parts, ignore_index=True)
    if blind:
        box = np.zeros(len(out), dtype=bool)
        for name in sel.SIGNAL_REGIONS:
            r_lo, r_hi = cuts["regions"][name]
            box |= (out["bin_hi"] > r_lo) & (out["bin_lo"] < r_hi)
        out.loc[box & (out["source"] == "data"), ["expected", "error"]] = np.nan
    return out


def estimate(
    candidates,
    summaries,
    normalisation_json,
    config,
    summary_output,
    budget_output,
    spectrum_output,
    cuts=None,
) -> dict:
    """Backgrounds, sensitivity and (unblinded) the limit: summary.json and the tables."""
    cuts = _cuts(cuts)
    info = {name: storage.read_json(path) for name, path in summaries.items()}
    tables = {name: storage.read_table(path) for name, path in candidates.items()}
    flux = storage.read_json(normalisation_json)
    n_k, n_k_err = flux["n_kaon_decays"], flux["n_kaon_decays_err"]
    blind = not bool(config.get("unblind", False))
    # the PNN stream of the pseudo-data (the minimum-bias stream only normalises)
    data = pd.concat(
        [t for n, t in tables.items() if n in PNN_DATA_SAMPLES],
        ignore_index=True,
    )
    signal = cuts["signal_channel"]
    mc = {n: tables[n] for n in (*cuts["background_channels"], signal)}
    budget = background_budget(cuts, data, mc, info, n_k)
    sig_sum, sig_w2 = _sum(mc[signal], _in(mc[signal], sel.SIGNAL_REGIONS))
    n_fid = info[signal]["n_fiducial"]
    acceptance, acceptance_err = sig_sum / n_fid, math.sqrt(sig_w2) / n_fid
    ses = 1.0 / (n_k * acceptance)
    ses_err = ses * math.hypot(n_k_err / n_k, acceptance_err / acceptance)
    n_bkg = float(budget["n_bkg"].sum())
    n_bkg_err = float(np.sqrt((budget["n_bkg_err"] ** 2).sum()))
    cl = float(cuts["confidence_level"])
    eff_sigma = float(cuts["systematics"]["acceptance"])
    # limits on signal events for a unit efficiency; B = N × SES
    bands = expected.expected_limits(n_bkg, n_bkg_err, 1.0, eff_sigma, cl)
    n_obs = br_ul = n_ul = None
    if not blind:
        n_obs = int(_in(data, sel.SIGNAL_REGIONS).sum())
        n_ul = float(rolke.interval(n_obs, n_bkg, n_bkg_err, 1.0, eff_sigma, cl)[1])
        br_ul = n_ul * ses
    by_source = {s: float(v) for s, v in budget["n_bkg"].items()}
    summary = {
        "selection": SELECTION,
        "seed": int(config["seed"]),
        "config_hash": config.get("config_hash", ""),
        "scale": float(config["scale"]),
        "unblind": not blind,
        "blind": blind,
        "n_kaon_decays": n_k,
        "n_kaon_decays_err": n_k_err,
        "n_kaon_decays_true": flux["n_kaon_decays_true"],
        "n_kaon_decays_expected": float(cuts["n_kaon_decays_published"]) * float(config["scale"]),
        "normalisation_channel": flux["normalisation_channel"],
        "n_k2pi_minimum_bias": flux["n_norm"],
        "n_norm_events": flux["n_norm_events"],
        "acceptance": acceptance,
        "acceptance_err": acceptance_err,
        "ses": ses,
        "ses_err": ses_err,
        "n_sm_expected": BR_KPINUNU_SM / ses,
        "n_sm_expected_err": BR_KPINUNU_SM / ses * ses_err / ses,
        "background_by_source": by_source,
        "background_by_source_err": {s: float(v) for s, v in budget["n_bkg_err"].items()},
        "background_mc_truth": {s: float(v) for s, v in budget["n_mc_truth"].items()},
        "n_bkg": n_bkg,
        "n_bkg_err": n_bkg_err,
        "n_obs": n_obs,
        "n_ul": n_ul,
        "br_ul": br_ul,
        "n_ul_expected": float(bands[0]),
        "br_ul_expected": float(bands[0]) * ses,
        "confidence_level": cl,
        "control_region_counts": {s: float(v) for s, v in budget["n_control"].dropna().items()},
        "n_generated": {name: s["n_generated"] for name, s in info.items()},
        "published": cuts.get("published"),
        "cutflow_normalisation_data": info["data_minbias"]["cutflow_normalisation"],
    }
    metadata = {
        "selection": SELECTION,
        "seed": int(config["seed"]),
        "config_hash": config.get("config_hash", ""),
    }
    table = budget.reset_index(names="source")
    storage.write_table(
        budget_output,
        [(c, object if c in ("source", "method") else np.float64) for c in table.columns],
        {c: table[c].to_numpy() for c in table.columns},
        metadata,
    )
    spec = spectrum(cuts, data, mc, info, n_k, blind)
    storage.write_table(
        spectrum_output,
        [(c, object if c == "source" else np.float64) for c in spec.columns],
        {c: spec[c].to_numpy() for c in spec.columns},
        metadata,
    )
    storage.write_json(summary_output, summary)
    return summary


def plot(candidates, summary_json, budget_path, spectrum_path, outdir, cuts=None) -> list:
    """Every figure of the analysis (PNG and PDF)."""
    from analysis.plots import pnn

    cuts = _cuts(cuts)
    summary = storage.read_json(summary_json)
    tables = {name: storage.read_table(path) for name, path in candidates.items()}
    data = pd.concat([t for n, t in tables.items() if n in PNN_DATA_SAMPLES], ignore_index=True)
    signal_name = cuts["signal_channel"]
    signal = tables[signal_name].assign(weight=_weighted(tables[signal_name]))
    mc = pd.concat(
        [
            t.assign(weight=_weighted(t), source=name)
            for name, t in tables.items()
            if name in (*cuts["background_channels"], signal_name)
        ],
        ignore_index=True,
    )
    budget = storage.read_table(budget_path).set_index("source")
    budget.attrs["n_sm_expected"] = summary["n_sm_expected"]
    regions = {name: tuple(cuts["regions"][name]) for name in sel.REGION_NAMES}
    return pnn.plot_all_pnn_figures(
        data,
        signal,
        mc,
        storage.read_table(spectrum_path),
        budget,
        regions,
        tuple(cuts["regions"]["momentum"]),
        summary["blind"],
        float(cuts["labels"]["signal_scale"]),
        outdir,
        rich_window=tuple(cuts["regions"]["rich_window"]),
        title_label=cuts["labels"]["experiment"],
    )
