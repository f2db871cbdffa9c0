"""Stages of the NA48/2 K± → πμμ searches (LNV and LNC): file in, file out.

``kaon_momentum`` → nominal beam momentum from K3π in the pseudo-data;
``select`` → LNV or LNC candidates and K3π normalisation counts per sample;
``normalise`` → N_K from K3π; ``scan`` → the M(πμ) resonance scan over mass and
HNL lifetime (:mod:`analysis.analyses.lifetime_scan`); ``plot`` → figures.

Both selections read the same pseudo-data (the ``na48_2`` dataset).  While
``unblind`` is false the LNV signal region of the pseudo-data is closed: the
simulation never writes its events, the selection refuses any that appear, and
the scan reports expected limits only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import decays, storage
from analysis.analyses.lepton_search import is_pseudo_data, read_chunks, select_sample
from analysis.analyses.lifetime_scan import BlindingError
from analysis.constants import M_K
from analysis.normalisation import flux_record
from analysis.selections import load_cuts
from analysis.selections import na48_2 as sel
from analysis.selections.single_track import track_momentum


def _loose_k3pi(df: pd.DataFrame, cuts: dict) -> np.ndarray:
    v = cuts["vertex"]
    p = np.stack([track_momentum(df, k) for k in sel.TRACKS], axis=1)
    lo, hi = v["track_momentum"]
    return (
        (np.abs(sum(df[f"charge_{k}"].to_numpy(dtype=int) for k in sel.TRACKS)) == 1)
        & df["z_vtx"].between(*v["z_vtx"]).to_numpy()
        & (df["cda"].to_numpy() < v["cda_max"])
        & (np.all((p > lo) & (p < hi), axis=1))
        & (np.abs(sel.m3pi(df) - M_K) * 1e3 < cuts["kaon_momentum"]["mass_window_mev"])
    )


class ThreeTrackSearch:
    """The stages of one NA48/2 selection (``mode`` "lnv" or "lnc")."""

    def __init__(self, selection: str):
        self.selection = selection
        self.mode = load_cuts(selection)["mode"]

    def cuts(self, cuts: dict | None = None) -> dict:
        return cuts or load_cuts(self.selection)

    def kaon_momentum(self, data_paths, output, cuts=None) -> dict:
        """Nominal beam momentum = weighted mean total momentum of K3π in the pseudo-data."""
        cuts = self.cuts(cuts)
        sums = np.zeros(3)
        sums2 = np.zeros(3)
        w_tot = w2_tot = 0.0
        n = 0
        for _, df in read_chunks(data_paths):
            mask = _loose_k3pi(df, cuts)
            total = sel.total_momentum(df[mask])
            w = df["weight"].to_numpy(dtype=float)[mask]
            sums += (w[:, None] * total).sum(axis=0)
            sums2 += (w[:, None] * total**2).sum(axis=0)
            w_tot += w.sum()
            w2_tot += (w**2).sum()
            n += int(mask.sum())
        if n < 10:
            raise ValueError(
                f"only {n} K3pi candidates in the pseudo-data: cannot measure the beam momentum"
            )
        mean = sums / w_tot
        rms = np.sqrt(np.maximum(sums2 / w_tot - mean**2, 0.0))
        err = rms * math.sqrt(w2_tot) / w_tot
        result = {
            "px": float(mean[0]),
            "py": float(mean[1]),
            "pz": float(mean[2]),
            "px_err": float(err[0]),
            "py_err": float(err[1]),
            "pz_err": float(err[2]),
            "n_k3pi": n,
            "method": "weighted mean total momentum of K± -> pi± pi+ pi- in the pseudo-data",
        }
        storage.write_json(output, result)
        return result

    def select(self, sample_paths, kaon_json, output, summary_output, cuts=None) -> dict:
        """Candidates (Parquet) and K3π normalisation counts and cut flows (JSON) of a sample."""
        cuts = self.cuts(cuts)
        k = storage.read_json(kaon_json)
        kaon_p = (k["px"], k["py"], k["pz"])

        def select_batch(df):
            common = sel.common_cuts(df, cuts, kaon_p)  # shared by both selections
            return (
                *sel.signal_candidates(df, cuts, kaon_p, self.mode, common),
                *sel.normalisation_candidates(df, cuts, kaon_p, common),
            )

        cand, info, meta0 = select_sample(self.selection, sample_paths, select_batch)
        blind = bool(meta0.get("geometry_overrides", {}).get("blind_enabled", 0.0))
        if blind and self.mode == "lnv" and sel.in_signal_region(cand["m_pimumu_mev"], cuts).any():
            raise BlindingError(
                f"{sample_paths[0]}: pseudo-data simulated blind holds events in the LNV "
                "signal region; refusing to write them"
            )
        columns = list(sel.CANDIDATE_COLUMNS.items())
        columns += [(c, t) for c, t in sel.TRUTH_COLUMNS.items() if c in cand]
        info |= {
            "branching_fraction_simulated": meta0.get("branching_fraction_simulated", 1.0),
            "blind": blind,
            "kaon_momentum_gev": list(kaon_p),
        }
        storage.write_table(output, columns, {c: cand[c].to_numpy() for c, _ in columns}, info)
        storage.write_json(summary_output, info)
        return info

    def normalise(self, sample_summaries, output, cuts=None) -> dict:
        """N_K from the K3π candidates of the pseudo-data and the MC acceptances."""
        cuts = self.cuts(cuts)
        info = {name: storage.read_json(path) for name, path in sample_summaries.items()}
        data = [s for s in info.values() if is_pseudo_data(s) and s["stream"] == "data"]
        # the pseudo-data simulates only the decays that can give three tracks
        n_true = sum(d["n_fiducial"] / d["branching_fraction_simulated"] for d in data)
        result = flux_record(info, data, cuts, n_true)
        storage.write_json(output, result)
        return result

    def run_scan(
        self,
        candidates,
        summaries,
        normalisation_json,
        config,
        scan_output,
        spectrum_output,
        summary_output,
        cuts=None,
    ) -> dict:
        """The M(πμ) scan over mass and lifetime: scan.parquet, spectrum.parquet, summary.json."""
        from analysis.analyses import lifetime_scan

        cuts = self.cuts(cuts)
        info = {name: storage.read_json(path) for name, path in summaries.items()}
        tables = {name: storage.read_table(path) for name, path in candidates.items()}
        flux = storage.read_json(normalisation_json)
        blind = self.mode == "lnv" and not bool(config.get("unblind", False))
        data = pd.concat(
            [t for n, t in tables.items() if is_pseudo_data(info[n])], ignore_index=True
        )
        table, spectrum, scan_summary = lifetime_scan.run(
            cuts, self.mode, data, tables, info, flux, int(config["seed"]), blind
        )
        summary = {
            "selection": self.selection,
            "seed": int(config["seed"]),
            "config_hash": config.get("config_hash", ""),
            "scale": float(config["scale"]),
            "unblind": bool(config.get("unblind", False)),
            "blind": blind,
            "injection": config.get("injection", {}).get(self.selection),
            "n_kaon_decays": flux["n_kaon_decays"],
            "n_kaon_decays_err": flux["n_kaon_decays_err"],
            "n_kaon_decays_true": flux["n_kaon_decays_true"],
            "n_kaon_decays_expected": float(cuts["n_kaon_decays_published"])
            * float(config["scale"]),
            "n_k3pi_selected": flux["n_norm"],
            "n_k3pi_selected_err": flux["n_norm_err"],
            "n_norm_events": flux["n_norm_events"],
            "normalisation_channel": flux["normalisation_channel"],
            "kaon_momentum_gev": info["data"]["kaon_momentum_gev"],
            "n_generated": {name: s["n_generated"] for name, s in info.items()},
            **scan_summary,
            "published": cuts.get("published"),
            "cutflow_normalisation_data": info["data"]["cutflow_normalisation"],
        }
        if not blind:
            summary["cutflow_data"] = info["data"]["cutflow_signal"]
        metadata = {
            "selection": self.selection,
            "seed": int(config["seed"]),
            "config_hash": config.get("config_hash", ""),
        }
        from analysis.analyses import resonance

        resonance.write_outputs(
            table, spectrum, summary, scan_output, spectrum_output, summary_output, metadata
        )
        return summary

    def plot(self, scan_path, spectrum_path, outdir, cuts=None) -> list:
        """Every figure of the search (PNG and PDF)."""
        from analysis.plots.lifetimes import plot_all_lifetime_scan_figures

        cuts = self.cuts(cuts)
        scan = storage.read_table(scan_path)
        labels = {
            "experiment": cuts["labels"]["experiment"],
            "mass": cuts["labels"]["mass"],
            "spectrum_xlabel": cuts["labels"]["spectrum"],
            "br": cuts["labels"]["br"],
            "components": {"data": "Pseudo-data"}
            | {n: decays.channel(n).label for n in cuts["background_channels"]},
            "cl": float(cuts["scan"]["confidence_level"]),
        }
        if self.mode == "lnv" and scan["n_obs"].isna().all():
            hw = cuts["signal_region"]["half_width_mev"]
            labels["blind_regions"] = [(M_K * 1e3 - hw, M_K * 1e3 + hw)]
        return plot_all_lifetime_scan_figures(
            scan, storage.read_table(spectrum_path), outdir, labels
        )
