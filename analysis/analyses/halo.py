"""Beam-halo background of the K+ → μ+ N search, measured with the K− control sample.

In runs with a K−-only beam a positive muon cannot come from a kaon decay: the
μ+ candidates of that sample are pure beam halo.  Their distribution, scaled to
the K+ run, predicts the halo in the K+ sample, as the experiment did:

    scale = (N+ − N+_K) / N−   in the upstream region (vertex upstream of the
    final collimator, every other cut applied), where N+_K is the small number of
    kaon decays reconstructed there according to the MC;
    halo(window) = scale × N−(window)   for the selected control candidates.

The scale's uncertainty combines the Poisson errors of N+ and N− with a
systematic on the transfer of the control sample's shape
(``beam_halo.shape_systematic``).  The halo muons of the pseudo-data are
simulated as a sample of their own, so the prediction can be checked against
that simulation truth, which the estimate never uses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import decays
from analysis.analyses.resonance import DataDriven
from analysis.selections.na62rk_mun import REGION_HALO_NORMALISATION, REGION_SELECTED

#: Name of the K− control sample and of the pseudo-data's halo sample.
CONTROL_SAMPLE = "control_kminus"
DATA_HALO_SAMPLE = "data_halo"
COMPONENT = "beam_halo"


def _region(table: pd.DataFrame, region: int) -> pd.DataFrame:
    return table[table["region"] == region]


def _in_range(table: pd.DataFrame, lo: float, hi: float) -> np.ndarray:
    return table["m_miss_mev"].between(lo, hi).to_numpy()


def estimate(
    cuts: dict, tables: dict[str, pd.DataFrame], info: dict[str, dict], flux: dict
) -> tuple[dict[str, DataDriven], dict]:
    """The halo component for the scan, and the numbers behind it for the summary."""
    if CONTROL_SAMPLE not in tables:
        raise ValueError(f"the halo estimate needs the {CONTROL_SAMPLE!r} sample")
    control = tables[CONTROL_SAMPLE]
    data_names = [n for n, s in info.items() if s["sample"] == "data"]
    # events carry the downscale factors of the software filter as weights
    plus = pd.concat([_region(tables[n], REGION_HALO_NORMALISATION) for n in data_names])
    minus = _region(control, REGION_HALO_NORMALISATION)
    n_plus, n_minus = float(plus["weight"].sum()), float(minus["weight"].sum())
    kaons = sum(
        flux["n_kaon_decays"]
        * decays.channel(n).branching_ratio
        / info[n]["n_fiducial"]
        * float(_region(tables[n], REGION_HALO_NORMALISATION)["weight"].sum())
        for n in cuts["background_channels"]
        if n in tables
    )
    if n_minus == 0 or n_plus == 0:
        raise ValueError(
            f"no halo candidates in the upstream normalisation region (K+: {n_plus:g}, "
            f"K- control: {n_minus:g}): increase scale or beam_halo.control_exposure"
        )
    scale = max(n_plus - kaons, 0.0) / n_minus
    stat = math.sqrt(
        float((plus["weight"] ** 2).sum()) / n_plus**2
        + float((minus["weight"] ** 2).sum()) / n_minus**2
    )
    rel = math.hypot(stat, float(cuts["beam_halo"]["shape_systematic"]))
    selected = _region(control, REGION_SELECTED)

    lo, hi = cuts["scan"]["mass_range_mev"]
    in_range = selected[_in_range(selected, lo, hi)]
    n_ctrl = float(in_range["weight"].sum())
    prediction = scale * n_ctrl
    report = {
        "normalisation_region": {
            "n_k_plus": n_plus,
            "n_k_minus_control": n_minus,
            "n_kaon_decays_expected": kaons,
            "scale": scale,
            "scale_rel_err": rel,
        },
        "prediction_signal_region": prediction,
        "prediction_signal_region_err": math.sqrt(
            scale**2 * float((in_range["weight"] ** 2).sum()) + (rel * prediction) ** 2
        ),
    }
    if DATA_HALO_SAMPLE in tables:  # simulation truth: never used by the estimate
        truth = _region(tables[DATA_HALO_SAMPLE], REGION_SELECTED)
        n_true = int(round(float(truth.loc[_in_range(truth, lo, hi), "weight"].sum())))
        report["truth_signal_region"] = n_true
        err = math.hypot(report["prediction_signal_region_err"], math.sqrt(max(n_true, 1)))
        report["pull"] = (prediction - n_true) / err
    return {COMPONENT: DataDriven(selected, scale, rel)}, {"beam_halo_estimate": report}
