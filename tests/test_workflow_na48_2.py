"""End to end: the NA48/2 LNV and LNC searches on a tiny configuration.

One Snakemake run of ``na48_2_lnv`` and ``na48_2_lnc`` (one shared pseudo-data
set) with a prompt K → μN, N → π+μ− signal injected in the LNC channel.  The
tests check the scan contract (one row per mass × lifetime), that the number of
hypotheses follows from the resolution, the blinding of the LNV region in every
output, that the acceptance falls with the HNL lifetime, the kaon flux from K3π,
and that the injected resonance is found at its mass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from workflow_helpers import config_arguments, run_workflow

from analysis.constants import M_K
from analysis.selections import load_cuts
from analysis.selections import na48_2 as sel

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

SCALE = 0.001
INJECTION_MASS_MEV = 300.0
INJECTION_BR = 4e-7  # ~30 selected events for N_K = 1.6e8 x scale


@pytest.fixture(scope="module")
def runs(tmp_path_factory, code_root):
    injection = (
        f"{{na48_2_lnc: {{mass_mev: {INJECTION_MASS_MEV}, branching_ratio: {INJECTION_BR}, "
        "lifetime_ps: 0}}"
    )
    arguments = config_arguments(
        selections="[na48_2_lnv,na48_2_lnc]",
        scale=SCALE,
        signal_decays=20000,
        seed=11,
        injection=injection,
    )
    done = run_workflow(
        tmp_path_factory.mktemp("na48_2"), code_root, ["--cores", "2", *arguments], "na48_2_lnc"
    )
    lnv = done.workdir / "results" / "na48_2_lnv"
    return {
        "workdir": done.workdir,
        "lnc": (done.summary, done.scan),
        "lnv": (
            pd.read_json(lnv / "summary.json", typ="series").to_dict(),
            pd.read_parquet(lnv / "scan.parquet"),
        ),
    }


@pytest.mark.parametrize("mode", ["lnv", "lnc"])
def test_scan_has_one_row_per_mass_and_lifetime(runs, mode):
    summary, scan = runs[mode]
    lifetimes = load_cuts(f"na48_2_{mode}")["scan"]["lifetimes_ps"]
    assert sorted(scan["lifetime_ps"].unique()) == sorted(float(t) for t in lifetimes)
    assert len(scan) == summary["n_hypotheses"] * len(lifetimes)
    for column in ("mass_mev", "lifetime_ps", "n_obs", "n_bkg", "n_bkg_err", "acceptance"):
        assert column in scan
    for column in ("n_ul", "br_ul", "local_significance"):
        assert column in scan
    for key in ("n_obs", "n_bkg", "n_bkg_err", "br_ul", "n_k3pi_selected"):
        assert key in summary


@pytest.mark.parametrize("mode", ["lnv", "lnc"])
def test_hypotheses_step_by_half_the_resolution(runs, mode):
    _, scan = runs[mode]
    prompt = scan[scan["lifetime_ps"] == 0].sort_values("mass_mev")
    m, sigma = prompt["mass_mev"].to_numpy(), prompt["sigma_mev"].to_numpy()
    np.testing.assert_allclose(np.diff(m), 0.5 * sigma[:-1], rtol=1e-9)
    assert m[0] == pytest.approx(245.2, abs=0.05)
    assert m[-1] <= 388.0 < m[-1] + 0.5 * sigma[-1] + 1e-9


def test_lnv_region_stays_blind(runs):
    summary, scan = runs["lnv"]
    assert summary["blind"] and summary["n_obs"] is None and summary["br_ul"] is None
    assert scan["n_obs"].isna().all() and scan["n_ul"].isna().all()
    assert np.isfinite(scan["n_ul_exp_med"]).all()
    cuts = load_cuts("na48_2_lnv")
    hw = cuts["signal_region"]["half_width_mev"]
    spectrum = pd.read_parquet(runs["workdir"] / "results/na48_2_lnv/spectrum.parquet")
    data = spectrum[spectrum["component"] == "data"]
    assert not ((data["bin_hi"] > M_K * 1e3 - hw) & (data["bin_lo"] < M_K * 1e3 + hw)).any()
    # no pseudo-data file anywhere holds an event of the blind box
    audited = 0
    for path in (runs["workdir"] / "results").rglob("*.parquet"):
        meta = pq.read_schema(path).metadata or {}
        if (
            b'"sample": "data"' not in b"".join(meta.values())
            or "charge_1" not in pq.read_schema(path).names
        ):
            continue
        df = pq.read_table(path).to_pandas()
        _, pion, muons, _ = sel.assign(df, cuts, "lnv")
        m_all, _, _ = sel.dilepton_masses(df, pion, muons)
        muv = df[["muv_1", "muv_2", "muv_3"]].to_numpy()
        rows = np.arange(len(df))
        same_sign_muons = muv[rows, muons[:, 0]] & muv[rows, muons[:, 1]]
        assert not (same_sign_muons & (np.abs(m_all * 1e3 - M_K * 1e3) < hw)).any(), path
        audited += 1
    assert audited > 0


@pytest.mark.parametrize("mode", ["lnv", "lnc"])
def test_acceptance_falls_with_the_lifetime(runs, mode):
    _, scan = runs[mode]
    mean = scan.groupby("lifetime_ps")["acceptance"].mean()
    assert mean[0.0] > 0.2
    assert mean[0.0] > mean[100.0] > mean[1000.0] > mean[10000.0]


def test_kaon_flux_from_k3pi_agrees_with_the_truth(runs):
    summary, _ = runs["lnc"]
    pull = (summary["n_kaon_decays"] - summary["n_kaon_decays_true"]) / summary["n_kaon_decays_err"]
    assert abs(pull) < 4, summary
    published = load_cuts("na48_2_lnc")["n_kaon_decays_published"]
    assert summary["n_kaon_decays_true"] == pytest.approx(published * SCALE, rel=0.01)


def test_injected_lnc_resonance_is_found_at_its_mass(runs):
    summary, scan = runs["lnc"]
    prompt = scan[scan["lifetime_ps"] == 0]
    best = prompt.loc[prompt["local_significance"].idxmax()]
    assert abs(best["mass_mev"] - INJECTION_MASS_MEV) <= 2 * best["sigma_mev"], best
    assert best["local_significance"] > 3.0, best
    assert summary["n_generated"]["data_injection_lnc"] > 0
