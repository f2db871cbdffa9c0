"""Stages of the NA62 2015 K+ → e+ N search: file in, file out.

``kaon_momentum`` → nominal K+ momentum from K3π in the pseudo-data;
``select`` → positron candidates and normalisation counts per sample;
``normalise`` → N_K; ``scan`` → scan table, spectrum and summary; ``plot`` → figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from analysis import decays, storage
from analysis.normalisation import Acceptance, kaon_flux
from analysis.selections import load_cuts
from analysis.selections import na62_en as cuts_module

SELECTION = "na62_en"
CANDIDATE_COLUMNS = [
    ("m2_miss", np.float64),
    ("m_miss_mev", np.float64),
    ("p", np.float32),
    ("eop", np.float32),
    ("weight", np.float32),
]
TRUTH = [
    ("true_channel", np.uint8),
    ("true_mass_n", np.float32),
    ("true_z", np.float32),
    ("true_pid_1", np.int32),
]


def _chunks(paths, columns=None, filters=None, batch_rows=1_000_000):
    """Yield (metadata, DataFrame) per batch of rows of each chunk file.

    Memory stays bounded by ``batch_rows`` whatever the sample size.  A missing,
    truncated or incomplete file is reported with its path.
    """
    for path in paths:
        meta = storage.read_metadata(path)
        if "n_generated" not in meta:
            raise storage.CorruptFileError(f"{path} is incomplete: it has no final event counts")
        try:
            if filters is not None:
                yield meta, pq.read_table(path, columns=columns, filters=filters).to_pandas()
                continue
            handle = pq.ParquetFile(path)
            first = True
            for batch in handle.iter_batches(batch_size=batch_rows, columns=columns):
                yield (meta if first else None), batch.to_pandas()
                first = False
            if first:  # no rows at all: still report the counts
                yield meta, handle.schema_arrow.empty_table().to_pandas()
        except storage.CorruptFileError:
            raise
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise storage.CorruptFileError(f"cannot read {path}: {exc}") from None


def kaon_momentum(data_paths, output, cuts=None) -> dict:
    """Nominal K+ three-momentum = mean total momentum of K3π candidates in the pseudo-data."""
    cuts = cuts or load_cuts(SELECTION)
    parts = []
    for _, df in _chunks(data_paths, filters=[("stream", "=", 3)]):
        parts.append(cuts_module.k3pi_total_momentum(df, cuts))
    k3pi = pd.concat(parts) if parts else pd.DataFrame(columns=["px", "py", "pz", "m3pi"])
    if len(k3pi) < 10:
        raise ValueError(
            f"only {len(k3pi)} K3pi candidates in the pseudo-data: cannot measure the kaon momentum"
        )
    n = len(k3pi)
    result = {
        "px": float(k3pi["px"].mean()),
        "py": float(k3pi["py"].mean()),
        "pz": float(k3pi["pz"].mean()),
        "px_err": float(k3pi["px"].std() / math.sqrt(n)),
        "py_err": float(k3pi["py"].std() / math.sqrt(n)),
        "pz_err": float(k3pi["pz"].std() / math.sqrt(n)),
        "p_rms": float(np.sqrt(k3pi["px"] ** 2 + k3pi["py"] ** 2 + k3pi["pz"] ** 2).std()),
        "n_k3pi": int(n),
        "method": "mean total momentum of K+ -> pi+ pi+ pi- candidates in the pseudo-data",
    }
    storage.write_json(output, result)
    return result


def _kaon_vector(kaon_json) -> tuple[float, float, float]:
    k = storage.read_json(kaon_json)
    return k["px"], k["py"], k["pz"]


def select(sample_paths, kaon_json, output, summary_output, cuts=None) -> dict:
    """Positron candidates (Parquet) and normalisation counts and cut flows (JSON) of one sample."""
    cuts = cuts or load_cuts(SELECTION)
    kaon_p = _kaon_vector(kaon_json)
    candidates, flows_pos, flows_norm = [], [], []
    norm_w = norm_w2 = 0.0
    norm_n = 0
    n_gen = n_fid = 0
    per_mass_fid = None
    meta0 = None
    for meta, df in _chunks(sample_paths):
        if meta is not None:  # first batch of a file: its exact decay counts
            meta0 = meta0 or meta
            n_gen += meta["n_generated"]
            n_fid += meta["n_fiducial"]
            fid = np.asarray(meta["n_fiducial_per_mass"], dtype=np.int64)
            per_mass_fid = fid if per_mass_fid is None else per_mass_fid + fid
        pos, flow_p = cuts_module.positron_candidates(df, cuts, kaon_p)
        norm, flow_n = cuts_module.normalisation_candidates(df, cuts, kaon_p)
        candidates.append(pos)
        flows_pos.append(flow_p)
        flows_norm.append(flow_n)
        norm_w += float(norm["weight"].sum())
        norm_w2 += float((norm["weight"] ** 2).sum())
        norm_n += len(norm)
    if meta0 is None:
        raise ValueError("select: no input files")
    cand = pd.concat(candidates, ignore_index=True)
    is_data = meta0["sample"] == "data"
    columns = CANDIDATE_COLUMNS + ([] if is_data else [c for c in TRUTH if c[0] in cand])
    info = {
        "selection": SELECTION,
        "sample": meta0["sample"],
        "stream": meta0["stream"],
        "experiment": meta0["experiment"],
        "seed": meta0["seed"],
        "config_hash": meta0.get("config_hash", ""),
        "channels": meta0["channels"],
        "masses_gev": meta0["masses_gev"],
        "n_generated": int(n_gen),
        "n_fiducial": int(n_fid),
        "n_fiducial_per_mass": per_mass_fid.tolist(),
        "n_candidates": int(len(cand)),
        "normalisation": {"events": int(norm_n), "weighted": norm_w, "weighted_w2": norm_w2},
        "cutflow_signal": _merge_flows(flows_pos),
        "cutflow_normalisation": _merge_flows(flows_norm),
        "kaon_momentum_gev": list(kaon_p),
    }
    storage.write_table(output, columns, {c: cand[c].to_numpy() for c, _ in columns}, info)
    storage.write_json(summary_output, info)
    return info


def _merge_flows(flows: list[list[dict]]) -> list[dict]:
    merged = [dict(step) for step in flows[0]]
    for flow in flows[1:]:
        for acc, step in zip(merged, flow, strict=True):
            acc["events"] += step["events"]
            acc["weighted"] += step["weighted"]
    return merged


def normalise(sample_summaries: dict[str, str | Path], output, cuts=None) -> dict:
    """N_K from the K_μ2 normalisation candidates of the pseudo-data and the MC acceptances."""
    cuts = cuts or load_cuts(SELECTION)
    info = {name: storage.read_json(path) for name, path in sample_summaries.items()}
    data = info["data"]["normalisation"]
    acceptances = {
        name: Acceptance(
            s["normalisation"]["weighted"], s["normalisation"]["weighted_w2"], s["n_fiducial"]
        )
        for name, s in info.items()
        if name in cuts["background_channels"]
    }
    brs = {name: decays.channel(name).branching_ratio for name in acceptances}
    flux = kaon_flux(data["weighted"], data["weighted_w2"], acceptances, brs)
    result = {
        **flux.as_dict(),
        "normalisation_channel": cuts["normalisation"]["channel"],
        "n_norm_events": data["events"],
        "acceptance_by_channel": {
            c: {"value": a.value, "error": a.error} for c, a in acceptances.items()
        },
        "n_kaon_decays_true": info["data"]["n_fiducial"],
    }
    storage.write_json(output, result)
    return result


def run_scan(
    candidates: dict[str, str | Path],
    summaries: dict[str, str | Path],
    normalisation_json,
    config: dict,
    scan_output,
    spectrum_output,
    summary_output,
    cuts=None,
) -> dict:
    """The mass scan: scan.parquet, spectrum.parquet and summary.json."""
    from analysis.analyses import resonance

    cuts = cuts or load_cuts(SELECTION)
    info = {name: storage.read_json(path) for name, path in summaries.items()}
    tables = {name: storage.read_table(path) for name, path in candidates.items()}
    flux = storage.read_json(normalisation_json)
    data_names = [n for n in tables if info[n]["sample"] == "data"]
    mc_names = [n for n in cuts["background_channels"] if n in tables]
    signal_name = cuts["signal_channel"]
    table, spectrum, scan_summary = resonance.run(
        cuts,
        [tables[n] for n in data_names],
        {n: tables[n] for n in mc_names},
        {n: info[n] for n in mc_names},
        tables[signal_name],
        info[signal_name],
        flux,
        int(config["seed"]),
    )
    published = float(cuts["n_kaon_decays_published"]) * float(config["scale"])
    summary = {
        "selection": SELECTION,
        "seed": int(config["seed"]),
        "config_hash": config.get("config_hash", ""),
        "scale": float(config["scale"]),
        "unblind": bool(config.get("unblind", False)),
        "injection": config.get("injection", {}).get(SELECTION),
        "n_kaon_decays": flux["n_kaon_decays"],
        "n_kaon_decays_err": flux["n_kaon_decays_err"],
        "n_kaon_decays_true": flux["n_kaon_decays_true"],
        "n_kaon_decays_expected": published,
        "n_norm": flux["n_norm"],
        "n_norm_events": flux["n_norm_events"],
        "normalisation_channel": flux["normalisation_channel"],
        "kaon_momentum_gev": info["data"]["kaon_momentum_gev"],
        "n_generated": {name: s["n_generated"] for name, s in info.items()},
        "n_obs": scan_summary["n_obs_signal_region"],
        "n_bkg": scan_summary["n_bkg_signal_region"],
        **{
            k: v
            for k, v in scan_summary.items()
            if k not in ("n_obs_signal_region", "n_bkg_signal_region")
        },
        "cutflow_data": info["data"]["cutflow_signal"],
        "cutflow_normalisation_data": info["data"]["cutflow_normalisation"],
    }
    metadata = {
        "selection": SELECTION,
        "seed": int(config["seed"]),
        "config_hash": config.get("config_hash", ""),
    }
    resonance.write_outputs(
        table, spectrum, summary, scan_output, spectrum_output, summary_output, metadata
    )
    return summary


def plot(scan_path, spectrum_path, outdir, cuts=None) -> list[str]:
    """All figures of the scan (PNG and PDF)."""
    from analysis import plots

    cuts = cuts or load_cuts(SELECTION)
    labels = dict(cuts["labels"])
    labels["components"] = {"data": "Pseudo-data"} | {
        name: ch.label
        for name, ch in decays.CHANNELS.items()
        if name in cuts["background_channels"]
    }
    return plots.plot_all_scan_figures(
        storage.read_table(scan_path), storage.read_table(spectrum_path), outdir, labels
    )
