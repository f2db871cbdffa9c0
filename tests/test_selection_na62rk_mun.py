"""NA62-RK K+ → μ+ N: experiment model, beam halo, selection and the halo estimate."""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
import pytest
from sampling import draw

from analysis import beam_halo, storage
from analysis import particles as pt
from analysis.analyses import halo, na62rk_mun
from analysis.constants import BR_KMU2, M_MU
from analysis.experiments import na62, na62rk
from analysis.rng import sample_key
from analysis.selections import load_cuts
from analysis.selections.na62rk_mun import (
    REGION_HALO_NORMALISATION,
    REGION_SELECTED,
    halo_like,
    signal_candidates,
)
from analysis.simulate import Sample, simulate

CUTS = load_cuts("na62rk_mun")
G = na62rk.GEOMETRY


@pytest.fixture(scope="module")
def k3pi_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("k3pi") / "k3pi.parquet"
    simulate(Sample("k3pi", "na62rk", {"k3pi": 1.0}), 400_000, 21, path, progress=False)
    return path


@pytest.fixture(scope="module")
def kaon_json(k3pi_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("kaon") / "kaon.json"
    na62rk_mun.kaon_momentum([k3pi_file], path)
    return path


@pytest.fixture(scope="module")
def kmu2_selected(kaon_json, tmp_path_factory):
    d = tmp_path_factory.mktemp("kmu2")
    simulate(Sample("kmu2", "na62rk", {"kmu2": 1.0}), 400_000, 22, d / "s.parquet", progress=False)
    info = na62rk_mun.select([d / "s.parquet"], kaon_json, d / "c.parquet", d / "c.json")
    return info, storage.read_table(d / "c.parquet")


def test_geometry_has_the_keys_of_na62_and_the_2007_values():
    assert set(G._fields) == set(na62.GEOMETRY._fields)
    assert G.beam_momentum == 74.0
    assert G.spectrometer_sigma_p_const == 0.0048 and G.spectrometer_sigma_p_slope == 0.00009
    # the 114 m decay volume ends at the first drift chamber
    assert G.beam_z_end - G.beam_z_start == pytest.approx(115.0)


def test_nominal_kaon_momentum_from_k3pi_recovers_the_beam(kaon_json):
    result = storage.read_json(kaon_json)
    assert result["n_k3pi"] > 1000
    assert result["pz"] == pytest.approx(G.beam_momentum, abs=0.15)
    assert abs(result["px"]) < 5 * result["px_err"] + 1e-3
    # the 1.4% momentum bite shows in the event-by-event spread
    assert 0.8 * G.beam_momentum_spread < result["p_rms"] < 1.4 * G.beam_momentum_spread


def test_kmu2_acceptance_reproduces_the_published_candidate_count(kmu2_selected):
    info, _ = kmu2_selected
    events = [step["events"] for step in info["cutflow_normalisation"]]
    assert events == sorted(events, reverse=True)
    acceptance = info["normalisation"]["weighted"] / info["n_fiducial"]
    # n_kaon_decays_published was derived from N_mu_nu = 5.977e7 with this acceptance
    expected = float(CUTS["n_kaon_decays_published"]) * BR_KMU2 * acceptance
    err = math.sqrt(info["normalisation"]["events"]) / info["normalisation"]["events"]
    assert expected == pytest.approx(float(CUTS["n_kmu2_selected_published"]), rel=4 * err + 0.005)


def test_software_filter_downscale_weights_recover_the_unfiltered_kmu2_count(
    kmu2_selected, kaon_json, tmp_path
):
    """The L3 filter drops 19 in 20 K_μ2 events of its peak (judged on the on-line
    momentum) and weights the others by 20: the weighted K_μ2 acceptance equals
    that of a sample written without the filter, within statistics."""
    info, _ = kmu2_selected
    off = {"trigger_downscale_kmu2_peak": 1.0, "trigger_downscale_no_muon": 1.0}
    sample = Sample("kmu2", "na62rk", {"kmu2": 1.0}, geometry=off)
    simulate(sample, 400_000, 22, tmp_path / "s.parquet", progress=False)
    free = na62rk_mun.select(
        [tmp_path / "s.parquet"], kaon_json, tmp_path / "c.parquet", tmp_path / "c.json"
    )
    filtered, unfiltered = info["normalisation"], free["normalisation"]
    assert unfiltered["weighted"] == unfiltered["events"]  # no downscale without the filter
    assert filtered["events"] < unfiltered["events"] / 10
    a_on = filtered["weighted"] / info["n_fiducial"]
    a_off = unfiltered["events"] / free["n_fiducial"]
    # the weighted count's error is that of the kept events (weight 20)
    sigma = math.hypot(
        a_on / math.sqrt(filtered["events"]), a_off / math.sqrt(unfiltered["events"])
    )
    assert abs(a_on - a_off) < 4 * sigma


def test_kmu2_missing_mass_peaks_at_zero_and_never_reaches_the_signal_region(kmu2_selected):
    _, cand = kmu2_selected
    sel = cand[cand["region"] == REGION_SELECTED]
    assert abs(np.median(sel["m2_miss"])) < 2e-4
    # without decays in flight K_mu2 stays below ~150 MeV; the signal region starts at 300
    assert (sel["m_miss_mev"] > 300).mean() < 1e-4


def test_few_kaon_decays_are_reconstructed_in_the_upstream_halo_region(kmu2_selected):
    info, cand = kmu2_selected
    upstream = cand[cand["region"] == REGION_HALO_NORMALISATION]
    # only the vertex-resolution tail of decays just after the final collimator
    # (subtracted with the MC by the halo estimate)
    assert len(upstream) < 1e-3 * info["n_generated"]
    assert np.all(upstream["true_z"] < G.beam_z_start + 10.0)


# --------------------------------------------------------------------------- beam halo


@numba.njit
def _halo_line(state, geometry):
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    beam_halo.generate(state, table, geometry[0], 1)
    r = table[0]
    return r[pt.PX], r[pt.PY], r[pt.PZ], r[pt.E], r[pt.X], r[pt.Y], r[pt.Z], r[pt.PID]


def _truncated_exponential_mean(length, span):
    return length - span * math.exp(-span / length) / -math.expm1(-span / length)


def test_halo_lines_follow_their_parametrisation():
    n = 200_000
    px, py, pz, e, x, y, z, pid = draw(
        _halo_line, sample_key(5, "halo"), n, na62rk.geometry_record(), width=8
    ).T
    assert np.all(pid == pt.MUON_PLUS) and np.all(z == G.beam_z_start)
    p = np.sqrt(px**2 + py**2 + pz**2)
    np.testing.assert_allclose(e**2 - p**2, M_MU**2, rtol=1e-6)
    # fake vertex: closest approach of the line to the beam axis
    tx, ty = px / pz, py / pz
    d = -(x * tx + y * ty) / (tx**2 + ty**2)
    z_v = z + d
    cda = np.hypot(x + tx * d, y + ty * d)
    span = G.beam_z_end - G.halo_z_vertex_start
    mean = _truncated_exponential_mean(G.halo_z_vertex_length, span)
    assert np.all(z_v >= G.halo_z_vertex_start - 1e-6) and np.all(z_v <= G.beam_z_end + 1e-6)
    assert np.mean(z_v - G.halo_z_vertex_start) == pytest.approx(mean, rel=0.01)
    assert np.sqrt(np.mean(cda**2)) == pytest.approx(G.halo_impact, rel=0.01)
    assert np.std(tx) == pytest.approx(G.halo_angle, rel=0.01)
    p_mean = G.halo_p_min + _truncated_exponential_mean(G.halo_p_slope, G.halo_p_max - G.halo_p_min)
    assert np.all((p >= G.halo_p_min) & (p <= G.halo_p_max))
    assert np.mean(p) == pytest.approx(p_mean, rel=0.01)


def test_halo_cut_contour():
    cut = {"theta_max": 0.004, "z_start": 0.0, "z_end": 40.0}
    z = np.array([-50.0, 0.0, 20.0, 20.0, 40.0, 80.0])
    theta = np.array([0.0039, 0.0039, 0.0019, 0.0021, 0.0, 0.0])
    np.testing.assert_array_equal(halo_like(z, theta, cut), [True, True, True, False, False, False])


@pytest.fixture(scope="module")
def halo_tables(tmp_path_factory, kaon_json):
    """A K+ run's halo (truth), K- control runs (a quarter of it) and K_mu2 as the kaon data."""
    k = storage.read_json(kaon_json)
    kaon_p = (k["px"], k["py"], k["pz"])
    d = tmp_path_factory.mktemp("halo")
    tables = {}
    for name, n, seed in (("data_halo", 400_000, 31), ("control_kminus", 100_000, 32)):
        label = "data" if name == "data_halo" else name
        sample = Sample(name, "na62rk", {"halo_mu": 1.0}, is_data=True, data_label=label)
        simulate(sample, n, seed, d / f"{name}.parquet", progress=False)
        df = pd.read_parquet(d / f"{name}.parquet")
        tables[name], _ = signal_candidates(df, CUTS, kaon_p)
    return tables


def test_halo_estimate_from_the_control_runs_agrees_with_the_truth(halo_tables):
    info = {"data_halo": {"sample": "data"}, "control_kminus": {"sample": "control_kminus"}}
    components, report = halo.estimate(CUTS, halo_tables, info, {"n_kaon_decays": 1.0})
    est = report["beam_halo_estimate"]
    # the control runs hold a quarter of the K+ run's halo
    assert est["normalisation_region"]["scale"] == pytest.approx(4.0, rel=0.05)
    assert est["truth_signal_region"] > 1000
    assert abs(est["pull"]) < 3, est
    assert set(components) == {"beam_halo"}
    assert np.all(components["beam_halo"].candidates["region"] == REGION_SELECTED)
