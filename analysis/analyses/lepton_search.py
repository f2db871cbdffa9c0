"""Stages of a single-lepton missing-mass search (K+ → ℓ+ N): file in, file out.

``kaon_momentum`` → nominal K+ momentum from K3π in the pseudo-data;
``select`` → signal and normalisation candidates per sample;
``normalise`` → N_K; ``scan`` → scan table, spectrum and summary; ``plot`` → figures.

A :class:`LeptonSearch` binds these stages to one selection: its cut table and
its selection module, which provides ``signal_candidates`` and
``normalisation_candidates`` (see :mod:`analysis.selections.na62_en`).  Searches
with a data-driven background (the beam halo of NA62-RK) add it through
``data_driven_backgrounds``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from analysis import decays, storage
from analysis.normalisation import flux_record
from analysis.selections import load_cuts
from analysis.selections.single_track import (
    CANDIDATE_COLUMNS,
    TRUTH_COLUMNS,
    k3pi_total_momentum,
)


def read_chunks(paths, columns=None, filters=None, batch_rows=1_000_000):
    """Yield (metadata, DataFrame) per batch of rows of each chunk file.

    Memory stays bounded by ``batch_rows`` whatever the sample size; the metadata
    comes with the first batch of each file (``None`` after).  A missing,
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
            if first:  # no rows at all: still report the counts (and the columns asked for)
                empty = handle.schema_arrow.empty_table()
                yield meta, (empty if columns is None else empty.select(columns)).to_pandas()
        except storage.CorruptFileError:
            raise
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise storage.CorruptFileError(f"cannot read {path}: {exc}") from None


def merge_flows(flows: list[list[dict]]) -> list[dict]:
    """Sum cut flows of several batches step by step."""
    merged = [dict(step) for step in flows[0]]
    for flow in flows[1:]:
        for acc, step in zip(merged, flow, strict=True):
            acc["events"] += step["events"]
            acc["weighted"] += step["weighted"]
    return merged


def is_pseudo_data(info: dict) -> bool:
    """Whether a selection summary belongs to the pseudo-data (not MC, not a control run)."""
    return info["sample"] == "data"


def fixed_batches(frames, batch_rows: int):
    """Re-cut a sequence of DataFrames into batches of exactly ``batch_rows`` rows (the
    last one shorter; one empty batch if there are no rows at all).

    The batches then depend only on the sequence of rows, not on how the rows were
    split into chunk files, so sums accumulated batch by batch (weighted counts,
    cut flows) come out the same, bit for bit, for any chunking.
    """
    pieces, held, empty = [], 0, None
    yielded = False
    for df in frames:
        if empty is None:
            empty = df.iloc[:0]
        if len(df) == 0:
            continue
        pieces.append(df)
        held += len(df)
        while held >= batch_rows:
            whole = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
            yield whole.iloc[:batch_rows].reset_index(drop=True)
            yielded = True
            rest = whole.iloc[batch_rows:]
            pieces, held = ([rest] if len(rest) else []), len(rest)
    if pieces:
        yield pd.concat(pieces, ignore_index=True)
    elif not yielded and empty is not None:
        yield empty


def select_sample(
    selection: str, sample_paths, select_batch, batch_rows: int = 1_000_000
) -> tuple[pd.DataFrame, dict, dict]:
    """Run a selection over a sample's chunk files, in batches of ``batch_rows`` rows.

    ``select_batch(df)`` returns (signal candidates, their cut flow, normalisation
    candidates, their cut flow).  Returns the concatenated signal candidates and
    the selection summary: the sample's metadata, its exact decay counts (summed
    over chunks, per HNL mass too), the weighted normalisation count and the
    merged cut flows; and the metadata of the first chunk file.  The batches
    (:func:`fixed_batches`) do not depend on the chunking, nor therefore do the
    floating-point sums.
    """
    candidates, flows_sig, flows_norm = [], [], []
    norm_w = norm_w2 = 0.0
    norm_n = n_gen = n_fid = 0
    per_mass_fid = None
    meta0 = None

    def frames():
        nonlocal meta0, n_gen, n_fid, per_mass_fid
        for meta, df in read_chunks(sample_paths, batch_rows=batch_rows):
            if meta is not None:  # first batch of a file: its exact decay counts
                meta0 = meta0 or meta
                n_gen += meta["n_generated"]
                n_fid += meta["n_fiducial"]
                fid = np.asarray(meta["n_fiducial_per_mass"], dtype=np.int64)
                per_mass_fid = fid if per_mass_fid is None else per_mass_fid + fid
            yield df

    for df in fixed_batches(frames(), batch_rows):
        sig, flow_s, norm, flow_n = select_batch(df)
        candidates.append(sig)
        flows_sig.append(flow_s)
        flows_norm.append(flow_n)
        w = norm["weight"].to_numpy(dtype=float)
        norm_w += float(w.sum())
        norm_w2 += float((w**2).sum())
        norm_n += len(norm)
    if meta0 is None:
        raise ValueError("select: no input files")
    cand = pd.concat(candidates, ignore_index=True)
    info = {
        "selection": selection,
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
        "cutflow_signal": merge_flows(flows_sig),
        "cutflow_normalisation": merge_flows(flows_norm),
    }
    return cand, info, meta0


@dataclass(frozen=True)
class LeptonSearch:
    """The stages of one K+ → ℓ+ N selection."""

    selection: str
    cuts_module: ModuleType
    #: Backgrounds measured from control samples: f(cuts, tables, infos, flux) →
    #: ({name: resonance.DataDriven}, entries for summary.json).
    data_driven_backgrounds: Callable | None = None

    def cuts(self, cuts: dict | None = None) -> dict:
        return cuts or load_cuts(self.selection)

    def kaon_momentum(self, data_paths, output, cuts=None) -> dict:
        """Nominal K+ three-momentum = mean total momentum of K3π candidates in the pseudo-data."""
        cuts = self.cuts(cuts)
        parts = [
            k3pi_total_momentum(df, cuts)
            for _, df in read_chunks(data_paths, filters=[("stream", "=", 3)])
        ]
        k3pi = pd.concat(parts) if parts else pd.DataFrame(columns=["px", "py", "pz", "m3pi"])
        if len(k3pi) < 10:
            raise ValueError(
                f"only {len(k3pi)} K3pi candidates in the pseudo-data: "
                "cannot measure the kaon momentum"
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

    def select(self, sample_paths, kaon_json, output, summary_output, cuts=None) -> dict:
        """Signal candidates (Parquet) and normalisation counts and cut flows (JSON) of a sample."""
        cuts = self.cuts(cuts)
        k = storage.read_json(kaon_json)
        kaon_p = (k["px"], k["py"], k["pz"])
        cand, info, _ = select_sample(
            self.selection,
            sample_paths,
            lambda df: (
                *self.cuts_module.signal_candidates(df, cuts, kaon_p),
                *self.cuts_module.normalisation_candidates(df, cuts, kaon_p),
            ),
        )
        info["kaon_momentum_gev"] = list(kaon_p)
        with_truth = "true_channel" in cand
        columns = [(c, t) for c, t in CANDIDATE_COLUMNS.items() if c in cand]
        columns += [(c, t) for c, t in TRUTH_COLUMNS.items() if with_truth and c in cand]
        storage.write_table(output, columns, {c: cand[c].to_numpy() for c, _ in columns}, info)
        storage.write_json(summary_output, info)
        return info

    def normalise(self, sample_summaries: dict[str, str | Path], output, cuts=None) -> dict:
        """N_K from the K_μ2 candidates of the pseudo-data and the MC acceptances."""
        cuts = self.cuts(cuts)
        info = {name: storage.read_json(path) for name, path in sample_summaries.items()}
        data = [s for s in info.values() if is_pseudo_data(s)]
        result = flux_record(info, data, cuts, info["data"]["n_fiducial"])
        storage.write_json(output, result)
        return result

    def run_scan(
        self,
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

        cuts = self.cuts(cuts)
        info = {name: storage.read_json(path) for name, path in summaries.items()}
        tables = {name: storage.read_table(path) for name, path in candidates.items()}
        selected = {
            name: (t[t["region"] == 0] if "region" in t else t) for name, t in tables.items()
        }
        flux = storage.read_json(normalisation_json)
        data_names = [n for n in tables if is_pseudo_data(info[n])]
        mc_names = [n for n in cuts["background_channels"] if n in tables]
        signal_name = cuts["signal_channel"]
        extra, report = None, {}
        if self.data_driven_backgrounds is not None:
            extra, report = self.data_driven_backgrounds(cuts, tables, info, flux)
        table, spectrum, scan_summary = resonance.run(
            cuts,
            [selected[n] for n in data_names],
            {n: selected[n] for n in mc_names},
            {n: info[n] for n in mc_names},
            selected[signal_name],
            info[signal_name],
            flux,
            int(config["seed"]),
            data_driven=extra,
        )
        published = float(cuts["n_kaon_decays_published"]) * float(config["scale"])
        summary = {
            "selection": self.selection,
            "seed": int(config["seed"]),
            "config_hash": config.get("config_hash", ""),
            "scale": float(config["scale"]),
            "unblind": bool(config.get("unblind", False)),
            "injection": config.get("injection", {}).get(self.selection),
            "n_kaon_decays": flux["n_kaon_decays"],
            "n_kaon_decays_err": flux["n_kaon_decays_err"],
            "n_kaon_decays_true": flux["n_kaon_decays_true"],
            "n_kaon_decays_expected": published,
            "n_norm": flux["n_norm"],
            "n_norm_events": flux["n_norm_events"],
            # K_mu2 candidates, downscale-weighted (the estimate for the whole sample)
            "n_kmu2_selected": flux["n_norm"],
            "normalisation_channel": flux["normalisation_channel"],
            "kaon_momentum_gev": info["data"]["kaon_momentum_gev"],
            "n_generated": {name: s["n_generated"] for name, s in info.items()},
            "n_obs": scan_summary.pop("n_obs_signal_region"),
            "n_bkg": scan_summary.pop("n_bkg_signal_region"),
            **scan_summary,
            **report,
            "cutflow_data": info["data"]["cutflow_signal"],
            "cutflow_normalisation_data": info["data"]["cutflow_normalisation"],
        }
        if flux["normalisation_channel"] != "kmu2":
            summary.pop("n_kmu2_selected")
        metadata = {
            "selection": self.selection,
            "seed": int(config["seed"]),
            "config_hash": config.get("config_hash", ""),
        }
        resonance.write_outputs(
            table, spectrum, summary, scan_output, spectrum_output, summary_output, metadata
        )
        return summary

    def component_labels(self, cuts: dict) -> dict[str, str]:
        """Legend labels of the spectrum components."""
        labels = {"data": "Pseudo-data"}
        labels |= {n: decays.channel(n).label for n in cuts["background_channels"]}
        if "beam_halo" in cuts:
            labels["beam_halo"] = r"Beam halo (from $K^-$ control)"
        return labels

    def plot(self, scan_path, spectrum_path, outdir, cuts=None) -> list[str]:
        """All figures of the scan (PNG and PDF)."""
        from analysis import plots

        cuts = self.cuts(cuts)
        labels = dict(cuts["labels"])
        labels["components"] = self.component_labels(cuts)
        return plots.plot_all_scan_figures(
            storage.read_table(scan_path), storage.read_table(spectrum_path), outdir, labels
        )
