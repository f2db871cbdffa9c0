"""The NA62 2016 K+ → π+νν̄ run: rejections, kinematic peaks, thinning and importance sampling.

Samples of a few 10⁵–10⁶ decays go through the fused chain of
:mod:`analysis.experiments.na62_pnn` in its weighted (Monte Carlo) mode; the
published performance figures are the references: π0 rejection 1.2e-7 of the
photon vetoes and μ rejection 1e-7 at 65% pion efficiency [seed], K2π at
m²_miss = m²_π0, K_μ2 at (m²_π − m²_μ)(1 − p_K/p).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import particles as pt
from analysis import rng, samples
from analysis._jit import jit
from analysis.config import load_config
from analysis.constants import M_K, M_MU, M_PI, M_PI0
from analysis.decays import inflight
from analysis.decays import k2pi as k2pi_decay
from analysis.experiments import experiment_module, na62_pnn, na62_pnn_pid
from analysis.experiments.na62 import beam_spot, decay_point, kaon_momentum_and_z
from analysis.experiments.na62_response import in_acceptance
from analysis.kinematics import energy
from analysis.selections import load_cuts
from analysis.selections import na62_pnn as sel
from analysis.simulate import Sample, simulate

ROOT = Path(__file__).resolve().parent.parent
CUTS = load_cuts("na62_pnn")
G = na62_pnn.GEOMETRY


def _run(tmp_path, channel, n, **geometry):
    conditions = samples.pnn_run_conditions(CUTS, unblind=True)
    sample = Sample(
        f"test_{channel}",
        "na62",
        {channel: 1.0},
        run="pnn",
        geometry={**conditions, "run_weighted": 1.0, **geometry},
    )
    path = tmp_path / f"{channel}.parquet"
    simulate(sample, n, 3, path, progress=False)
    df = pd.read_parquet(path)
    return df, sel.kinematics(df)


@pytest.fixture(scope="module")
def k2pi(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("k2pi"), "k2pi", 1_000_000, importance_rich=0.0)


@pytest.fixture(scope="module")
def kmu2(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("kmu2"), "kmu2", 1_000_000, importance_rich=0.0)


def _analysis_range(df, kin):
    p = kin["p_pi"].to_numpy()
    return (p > 15) & (p < 35) & df["z_vtx"].between(115, 165).to_numpy()


def test_the_run_is_the_na62_apparatus():
    assert experiment_module("na62", "pnn") is na62_pnn
    with pytest.raises(ValueError, match="valid runs: pnn"):
        experiment_module("na62", "2017")
    assert (G.fiducial_z_min, G.fiducial_z_max) == (115.0, 165.0)
    assert G.gtk_sigma_p == 0.15 and G.gtk_sigma_angle == 1.6e-5


def test_k2pi_peaks_at_the_pi0_mass(k2pi):
    df, kin = k2pi
    ok = _analysis_range(df, kin) & (df["true_pid_1"].to_numpy() == 211)
    ok &= ~df["true_gtk_mismatch"].to_numpy()
    m2 = kin["m2_miss"].to_numpy()[ok]
    core = m2[np.abs(m2 - M_PI0**2) < 0.004]
    assert np.median(core) == pytest.approx(M_PI0**2, abs=1e-4)
    assert 3e-4 < core.std() < 2e-3  # GTK and straw resolution


def test_pi0_rejection_of_the_photon_vetoes(k2pi):
    df, kin = k2pi
    ok = _analysis_range(df, kin) & (df["true_pid_1"].to_numpy() == 211)
    online = (1.0 - G.pid_random_veto) * G.pnn_trigger_efficiency
    w = df["weight"].to_numpy()[ok]
    rejection = np.average(df["true_w_veto"].to_numpy()[ok], weights=w) / online
    # [seed] 1.2e-7; the LKr/LAV/IRC-SAC inefficiencies of na62.yaml give it within a factor 2
    assert 0.6e-7 < rejection < 2.4e-7


def test_kmu2_follows_its_kinematic_line(kmu2):
    df, kin = kmu2
    ok = _analysis_range(df, kin) & (df["true_pid_1"].to_numpy() == -13)
    ok &= ~df["true_gtk_mismatch"].to_numpy()
    p = kin["p_pi"].to_numpy()[ok]
    pk = np.sqrt(df["gtk_px"] ** 2 + df["gtk_py"] ** 2 + df["gtk_pz"] ** 2).to_numpy()[ok]
    line = (M_PI**2 - M_MU**2) * (1.0 - pk / p)
    residual = kin["m2_miss"].to_numpy()[ok] - line
    # the line neglects the track angle: a small positive offset m_K² p/p_K-scale terms
    assert abs(np.median(residual)) < 1.5e-3
    for lo, hi in ((15, 20), (30, 35)):
        band = (p > lo) & (p < hi)
        expected = (M_PI**2 - M_MU**2) * (1.0 - G.beam_momentum / (0.5 * (lo + hi)))
        assert np.median(kin["m2_miss"].to_numpy()[ok][band]) == pytest.approx(expected, abs=2e-3)


def test_muon_rejection_at_the_seed_pion_efficiency(k2pi, kmu2):
    """Calorimeters and MUV3 (weights) × RICH mass window (cut): 1e-7 at ~65% [seed]."""

    def pid_pass(df, kin, pid):
        ok = _analysis_range(df, kin) & (df["true_pid_1"].to_numpy() == pid)
        rich = (kin["m_rich"] > CUTS["selection"]["rich_mass"][0]) & (
            kin["m_rich"] < CUTS["selection"]["rich_mass"][1]
        )
        w = df["weight"].to_numpy()[ok]
        return np.average((df["true_w_pid"].to_numpy() * rich.to_numpy())[ok], weights=w)

    pion = pid_pass(*k2pi, 211)
    muon = pid_pass(*kmu2, -13)
    assert 0.55 < pion < 0.75
    assert 2e-8 < muon < 5e-7


@pytest.mark.parametrize("channel", samples.LEPTONIC_CHANNELS)
def test_lepton_bound_makes_the_thinning_exact(tmp_path, channel):
    """Every thinned channel passes the identification with at most the bound."""
    df, _ = _run(tmp_path, channel, 200_000, importance_rich=0.0)
    assert len(df) > 1000
    assert df["true_w_pid"].max() <= na62_pnn.lepton_pid_bound() * (1 + 1e-6)


@pytest.mark.parametrize("channel", ["pinunu", "k2pi"])
def test_pass_bound_caps_every_event(tmp_path, channel):
    """No event passes with a probability above the bound the pseudo-data skips at.

    The product of identification and veto probabilities of the Monte Carlo is
    what the pseudo-data compares its deviate with; a π+νν̄ pion reaching the
    MUV3 with silent vetoes attains the bound (pion identification × random-veto
    survival × trigger efficiency).
    """
    df, _ = _run(tmp_path, channel, 200_000, importance_rich=0.0)
    bound = na62_pnn_pid.pnn_pass_bound.py_func(G)
    product = df["true_w_pid"].to_numpy(np.float64) * df["true_w_veto"].to_numpy()
    assert len(df) > 1000
    assert product.max() <= bound * (1 + 1e-6)
    if channel == "pinunu":
        assert product.max() == pytest.approx(bound, rel=1e-6)
    assert 0.4 < bound < 0.7


def test_pion_channels_exceed_the_lepton_bound(k2pi):
    # a pion track passes far more often: such channels must not be thinned
    df, _ = k2pi
    assert df["true_w_pid"].max() > 100 * na62_pnn.lepton_pid_bound()
    assert "k2pi" not in samples.LEPTONIC_CHANNELS


@jit(allocates=True)
def _early_k2pi(key, n, geometry):
    """Per K+ → π+π0 decay: the early decision of the pseudo-data, and whether it may pass.

    "May pass" with a deviate above :func:`na62_pnn_pid.lepton_pid_max`: one positive
    track in the straw, LKr and MUV3 acceptance, inside the trigger's momentum
    range, and identified with a larger probability.  Every decay is generated and
    followed whatever the early decision, as in :func:`na62_pnn.simulate_batch`.
    """
    g = geometry[0]
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    accepted = np.zeros(1, np.int64)
    in_range = np.zeros(n, np.bool_)
    kept = np.zeros(n, np.bool_)
    may_pass = np.zeros(n, np.bool_)
    p_pion = np.zeros(n)
    for ev in range(n):
        kx, ky, kz, vz = kaon_momentum_and_z(state, g)
        ek = energy(kx, ky, kz, M_K)
        pion = k2pi_decay.draw_pion(state, kx, ky, kz, ek)
        in_range[ev] = na62_pnn.pion_may_trigger(pion[0], pion[1], pion[2], g)
        p_pion[ev] = np.sqrt(pion[0] ** 2 + pion[1] ** 2 + pion[2] ** 2)
        x0, y0 = beam_spot(state, g)
        vx, vy = decay_point(g, kx, ky, kz, x0, y0, vz)
        pt.add(table, 0, pion[0], pion[1], pion[2], pion[3], vx, vy, vz, pt.PI_PLUS, True)
        kept[ev] = (
            in_range[ev]
            and in_acceptance(table, 0, g)
            and na62_pnn_pid.in_pid_acceptance(table, 0, g)
        )
        m = k2pi_decay.generate_from_pion(state, table, 0, kx, ky, kz, ek, vx, vy, vz, pion)
        inflight.propagate(
            state, table, m, g.muv3_z, g.spectrometer_z_magnet, g.spectrometer_kick, 0.0
        )
        i, _ = na62_pnn.trigger_track(table, m, g, accepted)
        if i < 0:
            continue
        w_pid = na62_pnn_pid.pion_id_probability(table, i, g)
        may_pass[ev] = w_pid > na62_pnn_pid.lepton_pid_max(g)
    return in_range, kept, may_pass, p_pion


def test_early_k2pi_decision_never_drops_a_decay_that_may_pass():
    """The pseudo-data draws the π+ of K2π first and drops the decay if it cannot pass.

    Above every lepton's identification probability only a π+ reaching the MUV3
    passes; the decision on the undecayed π+ (momentum, straw, LKr and MUV3
    acceptance) must keep every such decay.  The momentum range alone drops the
    share of the flat lab spectrum (6.5–69 GeV/c at 75 GeV/c) outside 10–45 GeV/c.
    """
    geometry = na62_pnn.geometry_record(G)
    in_range, kept, may_pass, p = _early_k2pi(rng.sample_key(7, "early k2pi"), 400_000, geometry)
    assert np.count_nonzero(may_pass) > 50_000
    assert not np.any(may_pass & ~kept)
    lo, hi = G.pnn_trigger_p_min, G.pnn_trigger_p_max
    assert np.array_equal(in_range, (p >= lo) & (p <= hi))
    # flat lab momentum between γ(E* − p*) and γ(E* + p*): (3.5 + 24)/62.5 dropped
    assert 0.41 < 1.0 - in_range.mean() < 0.47, in_range.mean()
    # the acceptance of the undecayed pion drops a third of the rest (measured:
    # 38.0% of the decays kept); a kept decay may pass unless the pion decays or
    # the π0 gives a second track (measured: 92% may pass)
    assert 0.35 < kept.mean() < 0.41, kept.mean()
    assert np.count_nonzero(may_pass) > 0.88 * np.count_nonzero(kept)


def test_rich_importance_sampling_is_unbiased(tmp_path):
    """Fraction of muons in the RICH pion window: weighted importance sample vs natural."""
    natural, kin_n = _run(tmp_path / "n", "kmu2", 600_000, importance_rich=0.0)
    biased, kin_b = _run(tmp_path / "b", "kmu2", 600_000, importance_rich=1.0)
    lo, hi = CUTS["selection"]["rich_mass"]

    def fraction(df, kin):
        ok = _analysis_range(df, kin) & (df["true_pid_1"].to_numpy() == -13)
        inside = ((kin["m_rich"] > lo) & (kin["m_rich"] < hi)).to_numpy()[ok]
        w = df["weight"].to_numpy()[ok]
        return (w * inside).sum() / w.sum(), inside.sum()

    f_nat, n_nat = fraction(natural, kin_n)
    f_imp, n_imp = fraction(biased, kin_b)
    assert n_imp > 20 * max(n_nat, 1)  # many more muons in the window
    assert f_imp == pytest.approx(f_nat, rel=4.0 / np.sqrt(max(n_nat, 1)))


def test_normalisation_mc_gives_the_minimum_bias_acceptance(tmp_path):
    """The K2π MC of the plan against the pseudo-data's minimum-bias stream, channel K2π only.

    The weighted MC (π+π0 peak sampled 1 in peak_downscale, RICH importance
    sampling, veto weights) must reproduce the drawn stream: its weighted peak
    is the acceptance that converts the minimum-bias K2π count into N_K.
    """
    plan = samples.plan_samples(load_config(ROOT / "config" / "config.yaml"), "na62_pnn")
    mc_sample = plan["k2pi"].sample
    minbias = plan["data_minbias"].sample
    n = 400_000
    # the MC keeps 1 in peak_downscale of its peak: as many decays times that factor
    n_mc = n * int(mc_sample.geometry["importance_peak_downscale"])
    acceptance = {}
    for label, sample, n_decays in (
        ("mc", mc_sample, n_mc),
        ("minbias", replace(minbias, name="minbias_k2pi", channels={"k2pi": 1.0}), n),
    ):
        meta = simulate(sample, n_decays, 5, tmp_path / f"{label}.parquet", progress=False)
        cand, _ = sel.normalisation_candidates(pd.read_parquet(tmp_path / f"{label}.parquet"), CUTS)
        w = cand["weight"].to_numpy()
        if label == "mc":
            # the peak sampled 1 in peak_downscale, times the RICH importance weight
            # (at most 2, the defensive mixture)
            downscale = float(mc_sample.geometry["importance_peak_downscale"])
            assert downscale > 1.0 and len(w) > 20_000
            assert w.max() <= 2.0 * downscale and np.median(w) >= downscale / 2
        else:
            w = w / float(minbias.geometry["run_downscale"])
        acceptance[label] = (
            w.sum() / meta["n_fiducial"],
            np.sqrt((w**2).sum()) / meta["n_fiducial"],
        )
    (a_mc, e_mc), (a_mb, e_mb) = acceptance["mc"], acceptance["minbias"]
    assert 0.10 < a_mc < 0.20
    assert abs(a_mc - a_mb) < 4.0 * np.hypot(e_mc, e_mb)


def test_blind_boxes_are_never_written(tmp_path):
    conditions = samples.pnn_run_conditions(CUTS, unblind=False)
    sample = Sample(
        "data",
        "na62",
        {"pinunu": 1.0},
        run="pnn",
        is_data=True,
        geometry={**conditions, "pnn_trigger_efficiency": 1.0},
    )
    simulate(sample, 200_000, 3, tmp_path / "d.parquet", progress=False)
    kin = sel.kinematics(pd.read_parquet(tmp_path / "d.parquet"))
    assert len(kin) > 100  # the signal outside the boxes is written
    assert not sel.in_signal_box(kin, CUTS).any()


def test_kaon_mass_in_m2_formula():
    kin = sel.kinematics(
        pd.DataFrame(
            {
                "px": [0.0],
                "py": [0.0],
                "pz": [25.0],
                "gtk_px": [0.0],
                "gtk_py": [0.0],
                "gtk_pz": [75.0],
                "rich_theta": [np.nan],
            }
        )
    )
    e = np.sqrt(75.0**2 + M_K**2) - np.sqrt(25.0**2 + M_PI**2)
    assert kin["m2_miss"].iloc[0] == pytest.approx(e**2 - 50.0**2, rel=1e-12)
    assert np.isnan(kin["m2_miss_rich"].iloc[0])


def _budget_inputs(f_kin_weights):
    """A K2pi MC whose two signal-region events carry 100× the control region's veto weight."""
    from analysis.analyses import na62_pnn as ana

    region = np.r_[np.full(1000, sel.REGION_CODE["k2pi"]), np.full(2, sel.REGION_CODE["region_1"])]
    mc = pd.DataFrame(
        {
            "region": region,
            "weight": np.ones(region.size),
            "w_veto": np.r_[np.full(1000, 1e-8), np.full(2, 1e-6)],
            "w_pid": np.full(region.size, 0.5),
        }
    )
    data = pd.DataFrame({"region": np.full(50, sel.REGION_CODE["k2pi"]), "weight": np.ones(50)})
    cuts = {
        **load_cuts("na62_pnn"),
        "background_channels": ["k2pi"],
        "control_region_backgrounds": {"k2pi": "k2pi"},
        "f_kin_weights": f_kin_weights,
    }
    info = {"k2pi": {"n_fiducial": 1e6}}
    return ana.background_budget(cuts, data, {"k2pi": mc}, info, 1e10).loc["k2pi"]


def test_control_region_f_kin_is_kinematic_unless_asked_otherwise():
    kinematic = _budget_inputs("kinematic")
    assert kinematic["f_kin"] == pytest.approx(2 / 1000)
    assert kinematic["n_bkg"] == pytest.approx(50 * 2 / 1000)
    # the veto-weighted fraction follows the weights of the tail events
    full = _budget_inputs("all_conditions")
    assert full["f_kin"] == pytest.approx(2 * 1e-6 / (1000 * 1e-8))
    # the MC truth always carries every condition, whatever f_kin is measured with
    assert kinematic["n_mc_truth"] == pytest.approx(full["n_mc_truth"])
    with pytest.raises(ValueError, match="f_kin_weights"):
        _budget_inputs("vetoes")


def test_photon_merged_with_the_pion_cluster_is_seen_only_in_the_2016_run():
    """A photon landing on the pion's LKr impact: unseen in 2015, seen (PID) in 2016."""
    from analysis import particles as pt
    from analysis.experiments import na62, na62_response

    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    tracks = np.zeros((1, na62_response._T_N))
    vx, vy, vz = 0.0, 0.0, 130.0
    n = pt.add(table, 0, 0.05, 0.02, 25.0, np.hypot(25.0, M_PI), vx, vy, vz, pt.PI_PLUS, True)
    tracks[0, na62_response._T_ROOT] = 0
    tracks[0, na62_response._T_JLKR] = 0
    seen = {}
    for name, module in (("2015", na62), ("2016", na62_pnn)):
        g = module.geometry_record(module.GEOMETRY)[0]
        ok, x, y = na62_response._lkr_impact(table, 0, g)
        assert ok
        # a 10 GeV photon from the vertex to 3 cm from the pion's impact
        d = np.array([x + 0.03 - vx, y - vy, g.lkr_z - vz])
        p = 10.0 * d / np.linalg.norm(d)
        pt.add(table, n, p[0], p[1], p[2], 10.0, vx, vy, vz, pt.PHOTON, True)
        seen[name] = na62_response.veto_target(table, n, tracks, 1, g)
        far = table.copy()  # the same photon 30 cm away makes its own cluster in both runs
        d = np.array([x + 0.30 - vx, y - vy, g.lkr_z - vz])
        far[n, pt.PX : pt.PZ + 1] = 10.0 * d / np.linalg.norm(d)
        assert na62_response.veto_target(far, n, tracks, 1, g) == na62_response.VETO_LKR
    assert seen == {"2015": na62_response.VETO_NONE, "2016": na62_response.VETO_LKR}
