"""The NA48/2 three-track trigger: its two streams and the downscale of the normalisation one.

The downscale of the three-track (K3π) stream is drawn before the event reaches
the detector, and events it drops are followed only while they can still be
dimuon-like (:func:`analysis.experiments.na48_2.muon_signals_possible`).  If that
bound were wrong, dimuon-like events would be lost with the downscale on.  A K3π
decay of the pseudo-data is not even generated when the deviates drawn before it
show that it cannot be dimuon-like (:func:`analysis.experiments.na48_2.k3pi_may_be_dimuon`):
that decision is checked against the full chain, event by event.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import particles as pt
from analysis import rng, storage
from analysis._jit import jit
from analysis.constants import M_K
from analysis.decays import dispatch, k3pi
from analysis.experiments import na48_2
from analysis.experiments.na62 import beam_spot, decay_point, kaon_momentum_and_z
from analysis.experiments.na62_response import muv3_fires, muv3_reach
from analysis.kinematics import energy
from analysis.samples import load_cuts
from analysis.simulate import Sample, simulate

N = 2_000_000
# forced pion decays before the MUV: about 0.15% of the decays become dimuon-like
FORCED = 0.3


def _streams(tmp_path, downscale):
    sample = Sample(
        "k3pi",
        "na48_2",
        {"k3pi": 1.0},
        forced_decays=FORCED,
        geometry={"trigger_downscale_three_track": float(downscale), "blind_enabled": 0.0},
    )
    path = tmp_path / f"d{downscale}.parquet"
    simulate(sample, N, 11, path, progress=False)
    table = storage.read_table(path)
    out = {}
    for name, code in (("dimuon", na48_2.STREAM_DIMUON), ("three", na48_2.STREAM_THREE_TRACK)):
        w = table.loc[table["stream"] == code, "weight"].to_numpy(np.float64)
        out[name] = (w.sum(), math.sqrt((w**2).sum()), w)
    return out


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("na48_2")
    return _streams(tmp, 1), _streams(tmp, 1000)


def test_dimuon_stream_does_not_depend_on_the_three_track_downscale(streams):
    full, downscaled = streams
    (a, a_err, wa), (b, b_err, wb) = full["dimuon"], downscaled["dimuon"]
    assert len(wa) > 1500 and len(wb) > 1500
    assert abs(a - b) < 4.0 * math.hypot(a_err, b_err), (a, b)


def test_three_track_stream_is_downscaled_and_weighted_by_the_factor(streams):
    full, downscaled = streams
    n_full, n_down = len(full["three"][2]), len(downscaled["three"][2])
    # roughly one event in a thousand of the full stream, each weighted back up
    assert 0.5 * n_full / 1000 < n_down < 1.5 * n_full / 1000
    # every weight carries the factor on top of the importance weight of the forced decays
    assert downscaled["three"][2].min() > 100.0 * full["three"][2].min()
    a, a_err, _ = full["three"]
    b, b_err, _ = downscaled["three"]
    assert abs(a - b) < 4.0 * math.hypot(a_err, b_err), (a, b)


@jit(allocates=True)
def _early_decisions(key, n, geometry, forced):
    """Per K3π decay: early decision, MUV3 signals, their bound, p_z ratio.

    The ratio is the smallest p_z of the three pions over :func:`k3pi.pion_pz_min`;
    ``forced`` > 0 forces the pion decays as in the Monte Carlo.

    Every decay is generated and followed whatever the early decision, with the
    deviates drawn before it, as in :func:`analysis.experiments.na48_2.simulate_batch`.
    """
    g = geometry[0]
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    u_muv = np.zeros(pt.MAX_PARTICLES)
    u_flight = np.zeros(na48_2.EARLY_ROWS)
    may = np.zeros(n, np.bool_)
    fires = np.zeros(n, np.int64)
    possible = np.zeros(n, np.int64)
    pz_ratio = np.zeros(n)
    for ev in range(n):
        px, py, pz, vz = kaon_momentum_and_z(state, g)
        e = energy(px, py, pz, M_K)
        na48_2.draw_early(state, u_flight, u_muv)
        may[ev] = na48_2.k3pi_may_be_dimuon(g, px, py, pz, vz, u_flight, u_muv, forced)
        x0, y0 = beam_spot(state, g)
        vx, vy = decay_point(g, px, py, pz, x0, y0, vz)
        table[:] = 0.0
        m = dispatch.generate(dispatch.K3PI, state, table, px, py, pz, e, vx, vy, vz, 0.0, 0.0)
        pz_ratio[ev] = min(table[0, pt.PZ], table[1, pt.PZ], table[2, pt.PZ]) / k3pi.pion_pz_min(
            px, py, pz
        )
        na48_2.fly_to_muv3(state, table, m, g, forced, u_flight)
        possible[ev] = na48_2.muon_signals_possible(state, table, m, g, u_muv, na48_2.EARLY_ROWS)
        for i in range(m):
            fires[ev] += muv3_fires(muv3_reach(table, i, g), u_muv[i], g)
    return may, fires, possible, pz_ratio


@pytest.fixture(scope="module")
def early():
    geometry = na48_2.geometry_record(na48_2.make_geometry())
    return _early_decisions(rng.sample_key(5, "early"), 1_000_000, geometry, 0.0)


@pytest.fixture(scope="module")
def early_forced():
    """The Monte Carlo: pion decays before the MUV forced with the selections' probability."""
    geometry = na48_2.geometry_record(na48_2.make_geometry())
    forced = float(load_cuts("na48_2_lnv")["monte_carlo"]["forced_pion_decays"])
    return _early_decisions(rng.sample_key(5, "early forced"), 300_000, geometry, forced)


def _assert_no_dimuon_like_dropped(decisions, n_two_signals_min, dropped_range):
    """No dropped decay has two possible or actual MUV3 signals; enough have; the dropped share."""
    may, fires, possible, _ = decisions
    n_min = na48_2.GEOMETRY.trigger_muons_min
    # the bound the full chain uses, and the signals themselves, are both covered
    assert not np.any((possible >= n_min) & ~may)
    assert not np.any((fires >= n_min) & ~may)
    assert np.count_nonzero(fires >= n_min) > n_two_signals_min
    lo, hi = dropped_range
    assert lo < 1.0 - may.mean() < hi, may.mean()


def test_early_decision_never_drops_a_decay_that_can_be_dimuon_like(early):
    # two MUV3 signals (decay muons, punch-through) in 2% of the decays: 22,490 of 10⁶;
    # the point of it: most decays (86%) need not be generated
    _assert_no_dimuon_like_dropped(early, 10_000, (0.80, 0.92))


def test_early_decision_with_forced_pion_decays(early_forced):
    """With forced decays a pion decays exactly when its deviate is below the probability."""
    # measured: 130,001 decays of 3·10⁵ with two MUV3 signals; 50.4% of them dropped
    _assert_no_dimuon_like_dropped(early_forced, 100_000, (0.45, 0.56))


def test_pion_momentum_bound_holds_and_is_tight(early):
    """Every pion's p_z lies above the bound; the softest of 1e6 decays come within 2% of it."""
    ratio = early[3]
    assert ratio.min() >= 1.0
    assert ratio.min() < 1.02
