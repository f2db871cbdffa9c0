"""The NA62 K+ → e+ N selection stages: nominal kaon momentum, cut flows, normalisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import storage
from analysis.analyses import na62_en
from analysis.selections import load_cuts
from analysis.simulate import Sample, simulate


@pytest.fixture(scope="module")
def k3pi_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("k3pi") / "k3pi.parquet"
    simulate(Sample("k3pi", "na62", {"k3pi": 1.0}), 400_000, 11, path, progress=False)
    return path


@pytest.fixture(scope="module")
def kmu2_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("kmu2") / "kmu2.parquet"
    simulate(Sample("kmu2", "na62", {"kmu2": 1.0}), 600_000, 12, path, progress=False)
    return path


def test_nominal_kaon_momentum_from_k3pi_recovers_the_beam(k3pi_file, tmp_path):
    result = na62_en.kaon_momentum([k3pi_file], tmp_path / "k.json")
    # beam: 75 GeV/c along z; the K3pi mass window removes most pion decays in flight
    assert result["n_k3pi"] > 1000
    assert result["pz"] == pytest.approx(75.0, abs=0.15)
    assert abs(result["px"]) < 5 * result["px_err"] + 1e-3
    assert abs(result["py"]) < 5 * result["py_err"] + 1e-3
    # the beam momentum spread (0.75 GeV/c rms) shows in the event-by-event spread
    assert 0.6 < result["p_rms"] < 1.2
    assert storage.read_json(tmp_path / "k.json") == result


def test_cut_flows_never_increase_and_normalisation_is_kmu2(kmu2_file, k3pi_file, tmp_path):
    kaon = tmp_path / "k.json"
    na62_en.kaon_momentum([k3pi_file], kaon)
    info = na62_en.select([kmu2_file], kaon, tmp_path / "c.parquet", tmp_path / "c.json")
    for flow in (info["cutflow_signal"], info["cutflow_normalisation"]):
        events = [step["events"] for step in flow]
        assert events == sorted(events, reverse=True)
    assert info["n_generated"] == 600_000
    # K_mu2 acceptance of the normalisation selection (downscale-weighted) is O(15%)
    acceptance = info["normalisation"]["weighted"] / info["n_fiducial"]
    assert 0.08 < acceptance < 0.30
    # a K_mu2 sample gives (almost) no positron candidate without forced decays
    assert info["n_candidates"] <= 0.002 * info["n_generated"]


def test_cuts_table_has_the_published_range():
    cuts = load_cuts("na62_en")
    assert cuts["scan"]["mass_range_mev"] == [170.0, 448.0]
    assert float(cuts["n_kaon_decays_published"]) == 3.01e8
    grid = np.arange(*cuts["scan"]["signal_grid_mev"][:2], cuts["scan"]["signal_grid_mev"][2])
    assert grid[0] <= 170.0 and grid[-1] + 10 >= 448.0


def test_selection_lies_inside_the_preselection_of_the_simulation():
    """The written streams keep every event the selections can select: the cuts of
    na62_en.yaml are tighter than the trigger's and the preselection's."""
    from analysis.experiments.na62 import GEOMETRY as g

    cuts = load_cuts("na62_en")
    common = cuts["common"]
    p_max = common["momentum"][1]
    # relative width of the non-Gaussian resolution tail at the selection's highest momentum
    tail = g.spectrometer_tail_scale * math.hypot(
        g.spectrometer_sigma_p_const, g.spectrometer_sigma_p_slope * p_max
    )
    assert p_max * (1 + 9.5 * tail) <= g.trigger_p_max  # ~10 tail widths
    assert g.trigger_z_min < common["z_vtx"][0] and common["z_vtx"][1] < g.trigger_z_max
    assert common["cda_max"] < g.trigger_cda_max
    # a selected positron (E/p > 0.92 offline) is positron-like online unless its
    # measured momentum is 13% low: more than 7.5 widths of that tail
    low = 1 - g.trigger_eop_positron_like / cuts["positron"]["eop"][0]
    assert low > 7.5 * tail
    # a muon of the normalisation (E/p < 0.2) is never positron-like
    assert cuts["normalisation"]["eop_max"] < g.trigger_eop_positron_like
