"""End to end: the blind NA62 K+ → π+νν̄ analysis on a tiny configuration.

Two Snakemake runs of ``na62_pnn`` with the same seed, blind and unblinded.  The
tests audit the blinding contract in every output of the blind run (Parquet,
JSON, figures' inputs, logs), check the summary contract in both, that the K2π
flux measurement recovers the simulated number of kaon decays, that the
data-driven background estimate agrees with the MC truth, and that unblinding
turns ``n_obs`` into an integer and ``br_ul`` into the Rolke–López limit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from workflow_helpers import config_arguments, run_workflow

from analysis import storage
from analysis.analyses import PNN_FIGURES
from analysis.analyses.na62_pnn import PNN_DATA_SAMPLES
from analysis.constants import BR_KPINUNU_SM
from analysis.selections import load_cuts
from analysis.selections import na62_pnn as sel
from analysis.stats import rolke

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

SCALE = 0.004
CUTS = load_cuts("na62_pnn")


def _run(tmp_path_factory, code_root, unblind: bool):
    arguments = config_arguments(
        selections="[na62_pnn]", scale=SCALE, mc_statistics=0.25, seed=5, unblind=unblind
    )
    name = "pnn_unblind" if unblind else "pnn_blind"
    return run_workflow(
        tmp_path_factory.mktemp(name), code_root, ["--cores", "2", *arguments], "na62_pnn"
    )


@pytest.fixture(scope="module")
def blind(tmp_path_factory, code_root):
    return _run(tmp_path_factory, code_root, False)


@pytest.fixture(scope="module")
def unblind(tmp_path_factory, code_root):
    return _run(tmp_path_factory, code_root, True)


def _boxes(m2: np.ndarray, p: np.ndarray) -> np.ndarray:
    r = CUTS["regions"]
    in_p = (p > r["momentum"][0]) & (p < r["momentum"][1])
    r1 = (m2 > r["region_1"][0]) & (m2 < r["region_1"][1])
    r2 = (m2 > r["region_2"][0]) & (m2 < r["region_2"][1])
    return in_p & (r1 | r2)


def test_blinding_holds_in_every_output(blind):
    workdir = blind.workdir
    audited = 0
    for path in workdir.rglob("*.parquet"):
        if storage.read_metadata(path).get("sample") != "data":
            continue
        table = pq.read_table(path).to_pandas()
        if {"m2_miss", "p_pi"} <= set(table):
            m2, p = table["m2_miss"].to_numpy(), table["p_pi"].to_numpy()
        elif {"px", "gtk_px"} <= set(table):  # reconstructed events of the simulation
            kin = sel.kinematics(table)
            m2, p = kin["m2_miss"].to_numpy(), kin["p_pi"].to_numpy()
        else:
            continue
        audited += 1
        assert not _boxes(m2, p).any(), f"{path} holds pseudo-data events in a signal box"
    assert audited >= 4  # simulated chunks of the three data streams and selected tables
    summary = blind.summary
    assert summary["blind"] is True
    assert summary["n_obs"] is None and summary["br_ul"] is None
    # no count of the boxes anywhere: the data spectrum is masked there
    spectrum = pd.read_parquet(blind.results / "spectrum.parquet")
    data = spectrum[spectrum["source"] == "data"]
    r = CUTS["regions"]
    in_box = (data["bin_hi"] > r["region_1"][0]) & (data["bin_lo"] < r["region_1"][1])
    in_box |= (data["bin_hi"] > r["region_2"][0]) & (data["bin_lo"] < r["region_2"][1])
    assert data.loc[in_box, "expected"].isna().all()
    for figure in PNN_FIGURES:
        for ext in ("png", "pdf"):
            assert (blind.results / "figures" / f"{figure}.{ext}").stat().st_size > 0


def test_summary_contract(blind):
    s = blind.summary
    for key in ("n_kaon_decays", "n_sm_expected", "background_by_source", "n_obs", "br_ul"):
        assert key in s
    assert {"k2pi", "k3pi", "kmu2"} <= set(s["background_by_source"])
    assert s["n_bkg"] == pytest.approx(sum(s["background_by_source"].values()))
    assert s["n_sm_expected"] == pytest.approx(BR_KPINUNU_SM / s["ses"])
    assert s["ses"] == pytest.approx(1.0 / (s["n_kaon_decays"] * s["acceptance"]))


def test_flux_recovers_the_kaon_decays(blind):
    s = blind.summary
    # K2π of the minimum-bias stream against the decays simulated in the fiducial region
    pull = (s["n_kaon_decays"] - s["n_kaon_decays_true"]) / s["n_kaon_decays_err"]
    assert abs(pull) < 4.0
    published = CUTS["n_kaon_decays_published"]
    assert s["n_kaon_decays_true"] == pytest.approx(published * SCALE, rel=0.01)


def test_control_region_estimate_matches_mc_truth(blind):
    budget = pd.read_parquet(blind.results / "background.parquet").set_index("source")
    for source in ("k2pi", "kmu2", "k3pi"):
        row = budget.loc[source]
        assert row["method"] == "control region"
        sigma = math.hypot(row["n_bkg_err"], row["n_mc_truth_err"])
        assert abs(row["n_bkg"] - row["n_mc_truth"]) <= 3.0 * sigma + 1e-12, source


def test_unblinding_gives_the_count_and_the_limit(blind, unblind):
    s = unblind.summary
    assert s["blind"] is False
    assert isinstance(s["n_obs"], int)
    # same seed: the same pseudo-data outside the boxes, hence the same estimate
    assert s["n_bkg"] == pytest.approx(blind.summary["n_bkg"], rel=1e-9)
    n_ul = rolke.interval(
        s["n_obs"], s["n_bkg"], s["n_bkg_err"], 1.0, CUTS["systematics"]["acceptance"], 0.9
    )[1]
    assert s["br_ul"] == pytest.approx(n_ul * s["ses"], rel=1e-9)
    # the unblinded pseudo-data may fill the boxes: its PNN-stream tables hold them
    codes = [sel.REGION_CODE[n] for n in sel.SIGNAL_REGIONS]
    n_box = sum(
        int(
            np.isin(
                pd.read_parquet(unblind.results / "selected" / f"{name}.parquet")["region"], codes
            ).sum()
        )
        for name in PNN_DATA_SAMPLES
    )
    assert n_box == s["n_obs"]
