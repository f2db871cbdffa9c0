"""The fused NA62 simulation chain: physics of the written events, counts and reproducibility.

Samples of 2e5 decays (about three random-number blocks) keep each run under a
second once the kernels are compiled.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
import pytest

from analysis import storage
from analysis.constants import M_E, M_MU
from analysis.experiments import na62
from analysis.missing_mass import missing_mass_squared
from analysis.rng import BLOCK_SIZE
from analysis.samples import fiducial_fraction
from analysis.scan import robust_sigma
from analysis.selections import load_cuts
from analysis.selections.na62_en import positron_candidates
from analysis.simulate import Sample, chunk_ranges, n_blocks, simulate

N = 200_000
NOMINAL_KAON = (0.0, 0.0, 75.0)


def _run(tmp_path, sample, n=N, seed=1, name="out.parquet", **kwargs):
    path = tmp_path / name
    meta = simulate(sample, n, seed, path, progress=False, **kwargs)
    return storage.read_table(path), meta, path


@pytest.fixture(scope="module")
def hnl_300(tmp_path_factory):
    sample = Sample("hnl_e", "na62", {"hnl_e": 1.0}, masses=(0.300,))
    return _run(tmp_path_factory.mktemp("hnl"), sample)


@pytest.fixture(scope="module")
def kmu2(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("kmu2"), Sample("kmu2", "na62", {"kmu2": 1.0}))


# ----------------------------------------------------------------- physics of the written events


def test_signal_missing_mass_peaks_at_the_hnl_mass(hnl_300):
    df, _, _ = hnl_300
    sel, flow = positron_candidates(df, load_cuts("na62_en"), NOMINAL_KAON)
    assert flow[-1]["events"] == len(sel) > 10_000
    m = sel["m_miss_mev"].to_numpy()
    _, sigma = robust_sigma(m)
    # the nominal-kaon approximation smears m² symmetrically to first order in δp_K:
    # the peak stays at m_N, to far better than the 1 MeV scan step
    assert abs(np.median(m) - 300.0) < max(5 * 1.25 * sigma / math.sqrt(len(m)), 0.05)
    # resolution of a few MeV (spectrometer ⊕ 1% beam momentum spread)
    assert 1.0 < sigma < 8.0
    # selected signal is positron-like and in the positron stream with unit weight
    assert np.all(sel["true_pid_1"] == -11)
    np.testing.assert_array_equal(sel["weight"], 1.0)


def test_nominal_kaon_momentum_costs_little_resolution(hnl_300):
    """m²_miss depends on p_K only through p_ℓ(1 − cos θ) at small angles: using the nominal
    kaon instead of the true one neither shifts the peak nor broadens it appreciably."""
    df, _, _ = hnl_300
    cuts = load_cuts("na62_en")["common"]
    p = np.sqrt(df["px_1"] ** 2 + df["py_1"] ** 2 + df["pz_1"] ** 2)
    ev = df[
        (df["stream"] == na62.STREAM_POSITRON)
        & df["z_vtx"].between(*cuts["z_vtx"])
        & p.between(*cuts["momentum"])
        & (df["cda"] < cuts["cda_max"])
    ]
    assert len(ev) > 10_000
    track = (ev["px_1"], ev["py_1"], ev["pz_1"])
    nominal = np.sqrt(missing_mass_squared(NOMINAL_KAON, *track, M_E)) * 1e3
    zeros = np.zeros(len(ev))
    true_kaon = (
        np.sqrt(missing_mass_squared((zeros, zeros, ev["true_pk"].to_numpy()), *track, M_E)) * 1e3
    )
    _, sigma_nominal = robust_sigma(nominal)
    _, sigma_true = robust_sigma(true_kaon)
    assert sigma_true <= sigma_nominal
    assert sigma_true > 0.9 * sigma_nominal
    assert abs(np.median(true_kaon) - 300.0) < 0.1
    assert abs(np.median(nominal) - np.median(true_kaon)) < 0.1


def test_kmu2_missing_mass_peaks_at_zero_under_muon_hypothesis(kmu2):
    df, _, _ = kmu2
    one = df[(df["n_tracks"] == 1) & (df["charge_1"] == 1)]
    assert len(one) > 1000
    m2 = missing_mass_squared(NOMINAL_KAON, one["px_1"], one["py_1"], one["pz_1"], M_MU)
    _, sigma = robust_sigma(m2)
    assert abs(np.median(m2)) < 5 * 1.25 * sigma / math.sqrt(len(m2))
    assert sigma < 0.01  # GeV²: well separated from the π+π0 peak at m²_π0 = 0.018


def test_written_events_are_positive_single_tracks_or_three_tracks(kmu2, hnl_300):
    for df, _, _ in (kmu2, hnl_300):
        assert set(df["n_tracks"]) <= {1, 3}
        one = df[df["n_tracks"] == 1]
        assert np.all(one["charge_1"] == 1)
        assert np.all(one["stream"].isin([na62.STREAM_POSITRON, na62.STREAM_CONTROL]))
        # each stream carries its downscale factor as weight (no forced decays here)
        g = na62.GEOMETRY
        allowed = {
            na62.STREAM_POSITRON: {1.0, g.trigger_downscale_vetoed},
            na62.STREAM_CONTROL: {g.trigger_downscale_control},
            na62.STREAM_THREE_TRACK: {g.trigger_downscale_three_track},
        }
        for stream, weights in df.groupby("stream")["weight"]:
            assert set(np.unique(weights)) <= allowed[stream]
        # vertices are in the generated decay range
        assert df["true_z"].between(g.beam_z_start, g.beam_z_end).all()


def test_positron_like_events_with_photon_activity_carry_the_veto_downscale(tmp_path):
    """K⁺→π⁰e⁺ν: a positron-like event is written with weight 20 exactly when a veto saw
    its photons (the vetoes meet it before the track fit), and most are vetoed."""
    df, _, _ = _run(tmp_path, Sample("ke3", "na62", {"ke3": 1.0}))
    pos = df[df["stream"] == na62.STREAM_POSITRON]
    assert len(pos) > 1000
    vetoed = (pos["n_lkr_extra"] > 0) | pos["lav"] | pos["irc_sac"]
    w = pos["weight"].to_numpy()
    assert np.all(w[vetoed.to_numpy()] == na62.GEOMETRY.trigger_downscale_vetoed)
    assert np.all(w[~vetoed.to_numpy()] == 1.0)
    # both photons of the π⁰ are missed about once in 6,000 positron-like decays
    assert w[vetoed.to_numpy()].sum() > 1000 * w[~vetoed.to_numpy()].sum()


def test_muons_are_mostly_in_the_downscaled_control_stream(kmu2):
    df, meta, _ = kmu2
    control = df["stream"] == na62.STREAM_CONTROL
    # E/p of a muon is ~0.45 GeV/p: almost never positron-like
    assert control.mean() > 0.98
    assert np.all(df.loc[control, "eop_1"] < na62.GEOMETRY.trigger_eop_positron_like)


def test_event_ids_are_unique_and_in_range(hnl_300):
    df, meta, _ = hnl_300
    ev = df["event"].to_numpy()
    assert len(np.unique(ev)) == len(ev)
    assert ev.min() >= 0 and ev.max() < N
    assert meta["n_written"] == len(df)


# ----------------------------------------------------------------- counts


def test_fiducial_fraction_matches_the_decay_law(hnl_300):
    _, meta, path = hnl_300
    assert meta["n_generated"] == N
    f = fiducial_fraction("na62")
    assert 0.7 < f < 0.8
    frac = meta["n_fiducial"] / meta["n_generated"]
    assert abs(frac - f) < 5 * math.sqrt(f * (1 - f) / N)
    # the counts are in the file's footer too
    on_disk = storage.read_metadata(path)
    for key in (
        "n_generated",
        "n_fiducial",
        "n_written",
        "n_generated_per_mass",
        "n_fiducial_per_mass",
    ):
        assert on_disk[key] == meta[key]


def test_signal_masses_share_the_sample(tmp_path):
    masses = (0.2, 0.3, 0.4)
    sample = Sample("hnl_e", "na62", {"hnl_e": 1.0}, masses=masses)
    df, meta, _ = _run(tmp_path, sample)
    per_mass = np.array(meta["n_generated_per_mass"])
    assert per_mass.sum() == N
    p = 1 / 3
    assert np.all(np.abs(per_mass / N - p) < 5 * math.sqrt(p * (1 - p) / N))
    assert sum(meta["n_fiducial_per_mass"]) == meta["n_fiducial"]
    # each written event carries its mass, and its missing mass peaks there
    sel, _ = positron_candidates(df, load_cuts("na62_en"), NOMINAL_KAON)
    for m in masses:
        rows = sel[np.isclose(sel["true_mass_n"], m, rtol=1e-6)]
        assert len(rows) > 1000
        assert abs(np.median(rows["m_miss_mev"]) - m * 1e3) < 0.3


def test_pseudo_data_carry_no_truth(tmp_path):
    sample = Sample("data", "na62", {"kmu2": 0.6356, "ke3": 0.0507}, is_data=True)
    df, meta, _ = _run(tmp_path, sample, n=BLOCK_SIZE)
    assert not any(c.startswith("true_") for c in df.columns)
    assert list(df.columns) == [name for name, _ in na62.RECO_COLUMNS]
    assert meta["sample"] == "data"


# ----------------------------------------------------------------- reproducibility


def test_same_sample_twice_gives_identical_files(tmp_path):
    sample = Sample("k3pi", "na62", {"k3pi": 1.0})
    a, meta_a, _ = _run(tmp_path, sample, name="a.parquet")
    b, meta_b, _ = _run(tmp_path, sample, name="b.parquet")
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)
    assert meta_a == meta_b
    # a different seed gives a different sample
    c, _, _ = _run(tmp_path, sample, seed=2, name="c.parquet")
    assert len(c) != len(a) or not a.equals(c)


def test_chunks_reproduce_the_single_job(tmp_path):
    n = 3 * BLOCK_SIZE - 1000  # a partial last block
    assert n_blocks(n) == 3
    sample = Sample("k2pi", "na62", {"k2pi": 1.0})
    whole, meta, _ = _run(tmp_path, sample, n=n, name="whole.parquet")
    parts = [
        _run(
            tmp_path, sample, n=n, first_block=first, blocks=count, chunk=i, name=f"part{i}.parquet"
        )
        for i, (first, count) in enumerate([(0, 2), (2, 1)])
    ]
    union = pd.concat([p[0] for p in parts], ignore_index=True).sort_values(
        "event", ignore_index=True
    )
    pd.testing.assert_frame_equal(whole.sort_values("event", ignore_index=True), union)
    for key in ("n_generated", "n_fiducial", "n_written"):
        assert sum(p[1][key] for p in parts) == meta[key]
    assert meta["n_generated"] == n
    assert parts[1][1]["n_generated"] == n - 2 * BLOCK_SIZE


def test_chunk_ranges_cover_every_block_once():
    for n, chunk in [
        (1, 10),
        (BLOCK_SIZE, BLOCK_SIZE),
        (10 * BLOCK_SIZE + 5, 3 * BLOCK_SIZE),
        (5 * BLOCK_SIZE, 1),
    ]:
        ranges = chunk_ranges(n, chunk)
        blocks = [b for first, count in ranges for b in range(first, first + count)]
        assert blocks == list(range(n_blocks(n)))


@pytest.fixture
def restore_threads():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


def test_results_do_not_depend_on_the_thread_count(tmp_path, restore_threads):
    """The same file, byte for byte, from one or two threads.

    K+ → e+ν writes a sixth of its decays (the positrons below the 35 GeV/c
    preselection ceiling): 16 blocks fill two Parquet row groups, which one
    thread reaches in batches of 4 blocks and two in batches of 8.
    """
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two Numba threads")
    sample = Sample("ke2", "na62", {"ke2": 1.0})
    numba.set_num_threads(1)
    one, meta_one, path_one = _run(tmp_path, sample, n=16 * BLOCK_SIZE, name="t1.parquet")
    numba.set_num_threads(2)
    two, meta_two, path_two = _run(tmp_path, sample, n=16 * BLOCK_SIZE, name="t2.parquet")
    assert len(one) > (1 << 17)
    pd.testing.assert_frame_equal(one, two)
    assert meta_one == meta_two
    assert path_one.read_bytes() == path_two.read_bytes()


# ----------------------------------------------------------------- refusals


def test_invalid_requests_are_refused(tmp_path):
    sample = Sample("kmu2", "na62", {"kmu2": 1.0})
    with pytest.raises(ValueError, match="positive"):
        simulate(sample, 0, 1, tmp_path / "x.parquet", progress=False)
    with pytest.raises(ValueError, match="outside"):
        simulate(sample, BLOCK_SIZE, 1, tmp_path / "x.parquet", first_block=1, progress=False)
    assert not (tmp_path / "x.parquet").exists()
    with pytest.raises(ValueError, match="unknown channel"):
        Sample("x", "na62", {"k4pi": 1.0})
    with pytest.raises(ValueError, match="positive"):
        Sample("x", "na62", {"kmu2": 0.0})
    with pytest.raises(ValueError, match="non-negative"):
        Sample("x", "na62", {"hnl_e": 1.0}, masses=(-0.1,))
    with pytest.raises(ValueError):
        Sample("x", "na62", {})
    with pytest.raises(ValueError, match="unknown experiment"):
        simulate(Sample("x", "na99", {"kmu2": 1.0}), 10, 1, tmp_path / "y.parquet", progress=False)


@pytest.mark.parametrize(("channel", "end_point_mev"), [("hnl_e", 493.166), ("hnl_mu", 388.019)])
def test_signal_mass_beyond_the_kinematic_end_point_is_refused(channel, end_point_mev):
    with pytest.raises(ValueError, match="end point"):
        Sample("x", "na62", {channel: 1.0}, masses=(end_point_mev * 1e-3 + 1e-4,))
    Sample("x", "na62", {channel: 1.0}, masses=(end_point_mev * 1e-3 - 1e-3,))


def test_pseudo_data_cannot_use_forced_decays():
    with pytest.raises(ValueError, match="without forced decays"):
        Sample("data", "na62", {"kmu2": 1.0}, is_data=True, forced_decays=0.2)


def test_model_digest_follows_what_shapes_the_events():
    base = Sample("kmu2", "na62", {"kmu2": 1.0})
    same = Sample("kmu2", "na62", {"kmu2": 1.0}, description="another description")
    assert base.model_digest() == same.model_digest()
    changed = [
        Sample("kmu2", "na62", {"kmu2": 1.0, "ke2": 1e-5}),  # the channel mixture
        Sample("kmu2", "na62", {"kmu2": 1.0}, forced_decays=0.5),
        Sample("kmu2", "na62", {"kmu2": 1.0}, is_data=True),
        Sample("kmu2", "na62", {"kmu2": 1.0}, geometry={"beam_momentum": 74.0}),  # the table
        Sample("kmu2", "na62", {"kmu2": 1.0}, run="pnn"),
        Sample("kmu2", "na62rk", {"kmu2": 1.0}),
    ]
    digests = {s.model_digest() for s in changed}
    assert base.model_digest() not in digests and len(digests) == len(changed)
