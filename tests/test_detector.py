"""NA62 detector response: transport, spectrometer acceptance and resolution, LKr, vetoes, beam.

Kernels are driven on hand-made particle tables, so that every expectation is
known in closed form: a zero-resolution spectrometer returns the true momentum,
the default one smears it with σ(p)/p = 0.30% ⊕ 0.005%·p (PHYSICS.md §2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sampling import draw
from scipy import stats

from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.constants import CTAU_K, M_E, M_K, M_MU, M_PI
from analysis.detectors import calorimeter, transport
from analysis.experiments import na62, na62_response
from analysis.scan import robust_sigma

G = na62.GEOMETRY
PERFECT = G._replace(
    spectrometer_sigma_p_const=0.0,
    spectrometer_sigma_p_slope=0.0,
    spectrometer_tail_fraction=0.0,
    spectrometer_sigma_angle_const=0.0,
    spectrometer_sigma_angle_ms=0.0,
)
GAUSSIAN = G._replace(spectrometer_tail_fraction=0.0)


def _record(geometry):
    """The geometry in the form the kernels take (a record where the package provides one)."""
    if hasattr(na62, "geometry_record"):
        return na62.geometry_record(geometry)[0]
    return geometry


def _key(name):
    return rng.sample_key(99, f"test/detector/{name}")


def _table(*particles):
    """A particle table from (pid, (px, py, pz), (x, y, z)) tuples, in order."""
    table = pt.new_table()
    n = 0
    for pid, p, v in particles:
        m = {
            pt.POSITRON: M_E,
            pt.MUON_PLUS: M_MU,
            pt.MUON_MINUS: M_MU,
            pt.PI_PLUS: M_PI,
            pt.PI_MINUS: M_PI,
            pt.PHOTON: 0.0,
            pt.ELECTRON: M_E,
        }[pid]
        e = math.sqrt(p[0] ** 2 + p[1] ** 2 + p[2] ** 2 + m * m)
        n = pt.add(table, n, *p, e, *v, pid, True)
    return table, n


def _along(p, tx, ty):
    pz = p / math.sqrt(1 + tx * tx + ty * ty)
    return (tx * pz, ty * pz, pz)


# ----------------------------------------------------------------- compiled drivers


@jit(allocates=True)
def _measure_many(key, table, i, g, n):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    trk = np.zeros(na62._T_N)
    out = np.empty((n, na62._T_N))
    for k in range(n):
        na62.measure_track(state, table, i, g, trk)
        out[k] = trk
    return out


@jit(allocates=True)
def _acceptance(table, i, g):
    return na62.in_acceptance(table, i, g)


@jit(allocates=True)
def _momentum_at_magnet(table, i, g):
    p, j = na62.true_momentum_at_magnet(table, i, g)
    return p, j


@jit(allocates=True)
def _lkr_many(key, table, i, g, n):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    out = np.empty(n)
    for k in range(n):
        out[k] = na62.lkr_energy(state, table, i, g)
    return out


@jit(allocates=True)
def _vertex(trk):
    return na62.beam_axis_vertex(trk)


@jit(allocates=True)
def _vetoes_many(key, table, n_primary, tracks, n_tracks, g, n):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    out = np.empty((n, 3))
    for k in range(n):
        extra, lav, irc = na62.vetoes(state, table, n_primary, tracks, n_tracks, g)
        out[k, 0] = extra
        out[k, 1] = lav
        out[k, 2] = irc
    return out


# ----------------------------------------------------------------- transport


def test_straight_line_for_neutral_and_upstream_of_magnet():
    f = transport.position_at
    for q in (0, 1, -1):
        # z before the magnet: straight line for every charge
        x, y = f(0.01, -0.02, 120.0, 0.1, 0.05, 20.0, q, 180.0, 197.0, 0.27)
        assert x == pytest.approx(0.01 + 0.1 / 20 * 60.0, rel=1e-14)
        assert y == pytest.approx(-0.02 + 0.05 / 20 * 60.0, rel=1e-14)
    x, _ = f(0.0, 0.0, 120.0, 0.1, 0.0, 20.0, 0, 220.0, 197.0, 0.27)
    assert x == pytest.approx(0.1 / 20 * 100.0, rel=1e-14)


@pytest.mark.parametrize("q", [1, -1])
def test_thin_lens_magnet_kick(q):
    kick, zm = 0.27, 197.0
    px, py, pz = 0.1, 0.05, 20.0
    x, y = transport.position_at(0.0, 0.0, 120.0, px, py, pz, q, 220.0, zm, kick)
    assert x == pytest.approx(
        px / pz * (zm - 120.0) + (px + q * kick) / pz * (220.0 - zm), rel=1e-14
    )
    assert y == pytest.approx(py / pz * 100.0, rel=1e-14)
    assert transport.momentum_at(px, py, pz, q, 120.0, 220.0, zm, kick) == (px + q * kick, py, pz)
    # no kick before the magnet, or for a particle produced behind it
    assert transport.momentum_at(px, py, pz, q, 120.0, 190.0, zm, kick) == (px, py, pz)
    assert transport.momentum_at(px, py, pz, q, 200.0, 220.0, zm, kick) == (px, py, pz)
    assert transport.momentum_at(px, py, pz, 0, 120.0, 220.0, zm, kick) == (px, py, pz)


# ----------------------------------------------------------------- spectrometer acceptance


def _accepted_reference(x0, y0, z0, px, py, pz, q, p):
    """Four straw chambers with beam holes following the deflected beam (written out here)."""
    zm, kick = G.spectrometer_z_magnet, G.spectrometer_kick
    for zc in (
        G.spectrometer_z_chambers_0,
        G.spectrometer_z_chambers_1,
        G.spectrometer_z_chambers_2,
        G.spectrometer_z_chambers_3,
    ):
        if z0 < zm <= zc:
            x = x0 + px / pz * (zm - z0) + (px + q * kick) / pz * (zc - zm)
        else:
            x = x0 + px / pz * (zc - z0)
        y = y0 + py / pz * (zc - z0)
        xc = kick / G.beam_momentum * (zc - zm) if zc > zm else 0.0
        r2 = (x - xc) ** 2 + y**2
        if not G.spectrometer_r_inner**2 <= r2 <= G.spectrometer_r_outer**2:
            return False
    return p >= G.spectrometer_p_min


def test_acceptance_matches_the_chamber_geometry():
    g = np.random.default_rng(17)
    record = _record(G)
    n_acc = 0
    for _ in range(4000):
        pid = int(g.choice([pt.POSITRON, pt.MUON_MINUS, pt.PI_PLUS]))
        p = g.uniform(0.5, 60.0)
        tx, ty = g.normal(0, 0.006, 2)
        v = (g.normal(0, 0.01), g.normal(0, 0.01), g.uniform(105.0, 180.0))
        mom = _along(p, tx, ty)
        table, _ = _table((pid, mom, v))
        got = _acceptance(table, 0, record)
        want = _accepted_reference(*v, *mom, pt.charge(pid), p)
        assert got == want, (pid, p, tx, ty, v)
        n_acc += got
    assert 500 < n_acc < 3500  # both outcomes are exercised


@pytest.mark.parametrize(
    ("what", "particle", "accepted"),
    [
        ("down the beam hole", (pt.POSITRON, (0.0, 0.0, 20.0), (0.0, 0.0, 120.0)), False),
        ("outside the chambers", (pt.POSITRON, _along(20.0, 0.05, 0.0), (0.0, 0.0, 120.0)), False),
        ("below p_min", (pt.POSITRON, _along(0.8, 0.003, 0.002), (0.0, 0.0, 175.0)), False),
        ("backward", (pt.POSITRON, (0.01, 0.0, -20.0), (0.0, 0.0, 120.0)), False),
        ("typical", (pt.POSITRON, _along(20.0, 0.004, 0.003), (0.0, 0.0, 120.0)), True),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_acceptance_cases(what, particle, accepted):
    table, _ = _table(particle)
    assert _acceptance(table, 0, _record(G)) is accepted


def test_decay_chain_is_followed_through_the_spectrometer():
    """A π+ decaying at z = 150 m: its μ+ crosses the chambers and sets the momentum measured."""
    table, _ = _table(
        (pt.PI_PLUS, _along(30.0, 0.004, 0.003), (0.0, 0.0, 120.0)),
        (pt.MUON_PLUS, _along(25.0, 0.0042, 0.0031), (0.12, 0.09, 150.0)),
    )
    table[0, pt.DECAY_Z] = 150.0
    table[0, pt.CHILD] = 1
    assert na62.alive_at(table, 0, 140.0) == 0
    assert na62.alive_at(table, 0, 160.0) == 1
    p, j = _momentum_at_magnet(table, 0, _record(G))
    assert j == 1 and p == pytest.approx(25.0, rel=1e-12)
    assert _acceptance(table, 0, _record(G))
    # a chain that ends (muon decaying with no stored daughter) leaves nothing downstream
    table[1, pt.DECAY_Z] = 190.0
    assert na62.alive_at(table, 0, 200.0) == -1
    assert not _acceptance(table, 0, _record(G))


# ----------------------------------------------------------------- spectrometer measurement


def test_zero_resolution_returns_the_true_track():
    v = (0.003, -0.002, 130.0)
    mom = _along(20.0, 0.004, 0.003)
    table, _ = _table((pt.POSITRON, mom, v))
    out = _measure_many(_key("perfect"), table, 0, _record(PERFECT), 5)
    for trk in out:
        np.testing.assert_allclose(trk[[na62._T_PX, na62._T_PY, na62._T_PZ]], mom, rtol=1e-13)
        assert trk[na62._T_Q] == 1
        z1 = G.spectrometer_z_chambers_0
        assert trk[na62._T_Z1] == z1
        assert trk[na62._T_X1] == pytest.approx(v[0] + 0.004 * (z1 - v[2]), rel=1e-12)
        assert trk[na62._T_Y1] == pytest.approx(v[1] + 0.003 * (z1 - v[2]), rel=1e-12)
        # the track extrapolates back to its vertex
        z, cda = _vertex(trk)
        x_true = v[0] + 0.004 * (z - v[2])
        y_true = v[1] + 0.003 * (z - v[2])
        assert cda == pytest.approx(math.hypot(x_true, y_true), abs=1e-12)


def test_vertex_on_the_beam_axis_is_found():
    for z0, tx, ty in [(110.0, 0.004, 0.0), (150.0, -0.002, 0.005), (165.0, 0.01, -0.01)]:
        table, _ = _table((pt.POSITRON, _along(20.0, tx, ty), (0.0, 0.0, z0)))
        trk = _measure_many(_key("vtx"), table, 0, _record(PERFECT), 1)[0]
        z, cda = _vertex(trk)
        assert z == pytest.approx(z0, abs=1e-9)
        assert cda == pytest.approx(0.0, abs=1e-12)
    # off-axis vertex: closest approach of the line to the z axis, computed by hand
    table, _ = _table((pt.POSITRON, _along(20.0, 0.004, 0.0), (0.01, 0.002, 120.0)))
    trk = _measure_many(_key("vtx"), table, 0, _record(PERFECT), 1)[0]
    z, cda = _vertex(trk)
    assert z == pytest.approx(120.0 - 0.01 / 0.004, rel=1e-12)
    assert cda == pytest.approx(0.002, rel=1e-9)


def _sigma_p(p):
    return math.hypot(G.spectrometer_sigma_p_const, G.spectrometer_sigma_p_slope * p)


@pytest.mark.parametrize("p", [10.0, 40.0])
def test_momentum_resolution_follows_its_formula(p):
    n = 40_000
    table, _ = _table((pt.POSITRON, _along(p, 0.003, 0.002), (0.0, 0.0, 120.0)))
    out = _measure_many(_key(f"res/{p}"), table, 0, _record(GAUSSIAN), n)
    p_meas = np.linalg.norm(out[:, [na62._T_PX, na62._T_PY, na62._T_PZ]], axis=1)
    pull = (p_meas - p) / p
    sigma = _sigma_p(p)
    assert sigma == pytest.approx(math.sqrt(0.003**2 + (5e-5 * p) ** 2), rel=1e-12)
    assert abs(pull.mean()) < 5 * sigma / math.sqrt(n)
    assert abs(pull.std() / sigma - 1) < 5 / math.sqrt(2 * n)
    # robust core width agrees too
    _, core = robust_sigma(pull)
    assert core == pytest.approx(sigma, rel=5 * 1.2 / math.sqrt(2 * n))


@pytest.mark.parametrize("p", [10.0, 40.0])
def test_momentum_resolution_core_and_tail_with_default_geometry(p):
    n = 40_000
    table, _ = _table((pt.POSITRON, _along(p, 0.003, 0.002), (0.0, 0.0, 120.0)))
    out = _measure_many(_key(f"tail/{p}"), table, 0, _record(G), n)
    pull = (np.linalg.norm(out[:, [na62._T_PX, na62._T_PY, na62._T_PZ]], axis=1) - p) / p
    sigma = _sigma_p(p)
    _, core = robust_sigma(pull)
    # 1% of tracks with a 5× wider error bias the clipped core width by < 1%
    assert core == pytest.approx(sigma, rel=0.025)
    # beyond 5σ of the core only the tail contributes: f · 2Φ(−5/scale)
    f, scale = G.spectrometer_tail_fraction, G.spectrometer_tail_scale
    expected = f * 2 * stats.norm.sf(5 / scale) + (1 - f) * 2 * stats.norm.sf(5)
    observed = np.mean(np.abs(pull) > 5 * sigma)
    assert abs(observed - expected) < 5 * math.sqrt(expected / n)
    assert observed > 0.5 * expected  # the tail exists


@pytest.mark.parametrize("scale", [0.5, 5.0])
def test_measured_momentum_never_falls_below_its_bound(scale):
    """measured_momentum_min: p(1 − max(1, tail scale)·σ(p)·NORMAL_MAX), below every
    measurement (here all in the tail, whose deviates reach ~5σ in 10⁵ draws)."""
    p = 45.0
    geometry = G._replace(spectrometer_tail_fraction=1.0, spectrometer_tail_scale=scale)
    bound = na62_response.measured_momentum_min.py_func(p, geometry)
    width = max(scale, 1.0) * _sigma_p(p)
    assert bound == pytest.approx(p * (1 - width * rng.NORMAL_MAX), rel=1e-8)
    table, _ = _table((pt.POSITRON, _along(p, 0.003, 0.002), (0.0, 0.0, 120.0)))
    out = _measure_many(_key(f"bound/{scale}"), table, 0, _record(geometry), 100_000)
    p_meas = np.linalg.norm(out[:, [na62._T_PX, na62._T_PY, na62._T_PZ]], axis=1)
    assert p_meas.min() > bound
    assert p_meas.min() < p * (1 - 3.5 * scale * _sigma_p(p))  # the sample does reach the tail
    # the default geometry drops a single track before the LKr above ~48 GeV/c
    assert na62_response.measured_momentum_min.py_func(50.0, G) > G.trigger_p_max
    assert na62_response.measured_momentum_min.py_func(45.0, G) < G.trigger_p_max


@pytest.mark.parametrize("p", [2.0, 10.0, 50.0])
def test_slope_resolution_follows_its_formula(p):
    n = 20_000
    tx, ty = 0.003, 0.002
    table, _ = _table((pt.POSITRON, _along(p, tx, ty), (0.0, 0.0, 120.0)))
    out = _measure_many(_key(f"slope/{p}"), table, 0, _record(GAUSSIAN), n)
    sigma = math.hypot(G.spectrometer_sigma_angle_const, G.spectrometer_sigma_angle_ms / p)
    for col, true in [(na62._T_PX, tx), (na62._T_PY, ty)]:
        slope = out[:, col] / out[:, na62._T_PZ]
        assert abs(np.mean(slope) - true) < 5 * sigma / math.sqrt(n)
        assert abs(np.std(slope) / sigma - 1) < 5 / math.sqrt(2 * n)


# ----------------------------------------------------------------- LKr


def test_em_resolution_hand_value():
    # σ(E)/E = 3.2%/√E ⊕ 9%/E ⊕ 0.42% at 10 GeV
    expected = math.sqrt(0.032**2 / 10 + 0.009**2 + 0.0042**2)
    for f in (calorimeter.em_resolution, calorimeter.em_resolution.py_func):
        assert f(10.0, G.lkr_stochastic, G.lkr_noise, G.lkr_constant) == pytest.approx(
            expected, rel=1e-14
        )
        assert f(10.0, 0.032, 0.09, 0.0042) == pytest.approx(0.014179, rel=1e-4)


@pytest.mark.parametrize("energy", [5.0, 20.0])
def test_electron_shower_energy_resolution(energy):
    n = 50_000
    shower = (G.lkr_stochastic, G.lkr_noise, G.lkr_constant)
    loss = G.lkr_electron_tail_max_loss
    e = draw(calorimeter.electron_deposit, _key(f"em/{energy}"), n, energy, *shower, 0.0, loss)
    sigma = energy * calorimeter.em_resolution(
        energy, G.lkr_stochastic, G.lkr_noise, G.lkr_constant
    )
    assert abs(e.mean() - energy) < 5 * sigma / math.sqrt(n)
    assert abs(e.std() / sigma - 1) < 5 / math.sqrt(2 * n)
    # the upstream-loss tail only lowers the energy: mean loss = fraction × max loss / 2
    f = 0.2
    e_tail = draw(calorimeter.electron_deposit, _key(f"em/{energy}"), n, energy, *shower, f, loss)
    assert abs(e_tail.mean() / energy - (1 - 0.5 * loss * f)) < 5 * math.hypot(
        sigma / energy, loss * 0.4
    ) / math.sqrt(n)


def test_muon_and_pion_deposits():
    n = 50_000
    mu = draw(calorimeter.muon_deposit, _key("mu"), n, 20.0, G.lkr_mip_energy, G.lkr_mip_width, 0.0)
    assert abs(mu.mean() - G.lkr_mip_energy) < 5 * G.lkr_mip_width / math.sqrt(n)
    assert mu.min() >= G.lkr_mip_energy - G.lkr_mip_width - 1e-12
    pi = draw(
        calorimeter.pion_deposit,
        _key("pi"),
        n,
        20.0,
        G.lkr_mip_energy,
        G.lkr_mip_width,
        G.lkr_pion_noninteracting,
        G.lkr_pion_shower_mean,
        G.lkr_pion_shower_sigma,
        G.lkr_pion_shower_max_eop,
    )
    # P(E/p > 0.9): showers above 0.9 out of the interacting fraction
    p_fake = (1 - G.lkr_pion_noninteracting) * stats.norm.sf(
        0.9, G.lkr_pion_shower_mean, G.lkr_pion_shower_sigma
    )
    assert abs(np.mean(pi / 20.0 > 0.9) - p_fake) < 5 * math.sqrt(p_fake / n)
    assert np.all(pi / 20.0 <= G.lkr_pion_shower_max_eop + 1e-12)


@jit(allocates=True)
def _silence(table, n_primary, tracks, n_tracks, g):
    return na62_response.veto_silence_probability(table, n_primary, tracks, n_tracks, g)


def test_lkr_photon_threshold_and_inefficiency():
    """An LKr photon is missed with the inefficiency of its energy bin, never below threshold.

    The drawn decision (:func:`vetoes`) and the factorised weight of the Monte
    Carlo (:func:`veto_silence_probability`) agree.
    """
    n = 20_000
    g = G._replace(
        lkr_photon_threshold=0.5,
        lkr_photon_inefficiency_edges_0=5.0,
        lkr_photon_inefficiency_edges_1=10.0,
        lkr_photon_inefficiency_0=0.1,
        lkr_photon_inefficiency_1=0.01,
        lkr_photon_inefficiency_2=0.001,
    )
    tracks = np.zeros((4, na62._T_N))
    for energy, ineff in [(0.4, 1.0), (2.0, 0.1), (7.0, 0.01), (20.0, 0.001)]:
        table, n_primary = _table((pt.PHOTON, _along(energy, 0.003, 0.002), (0.0, 0.0, 120.0)))
        seen = _vetoes_many(_key(f"g{energy}"), table, n_primary, tracks, 0, _record(g), n)[:, 0]
        assert _silence(table, n_primary, tracks, 0, _record(g)) == ineff
        if ineff == 1.0:
            assert seen.sum() == 0
        else:
            assert abs((1 - seen.mean()) - ineff) < 5 * math.sqrt(ineff / n) + 1 / n


def test_lkr_energy_of_positron_track_gives_eop_one():
    n = 20_000
    p = 20.0
    table, _ = _table((pt.POSITRON, _along(p, 0.003, 0.002), (0.0, 0.0, 120.0)))
    e = _lkr_many(_key("lkr"), table, 0, _record(G._replace(lkr_electron_tail_fraction=0.0)), n)
    sigma = calorimeter.em_resolution(p, G.lkr_stochastic, G.lkr_noise, G.lkr_constant)
    eop = e / p
    assert abs(np.median(eop) - 1) < 5 * 1.25 * sigma / math.sqrt(n)
    # a positron steered by the magnet into the LKr beam hole deposits nothing
    a, b = G.spectrometer_z_magnet - 120.0, G.lkr_z - G.spectrometer_z_magnet
    px = -G.spectrometer_kick * b / (a + b)
    table, _ = _table((pt.POSITRON, (px, 0.0, p), (0.0, 0.0, 120.0)))
    assert np.all(_lkr_many(_key("lkr"), table, 0, _record(G), 10) == 0.0)


# ----------------------------------------------------------------- photon vetoes


@pytest.mark.parametrize(
    ("photon", "expected"),
    [
        (_along(10.0, 0.003, 0.002), (1, 0, 0)),  # into the LKr, far from the track
        (_along(5.0, 0.03, 0.0), (0, 1, 0)),  # at 30 mrad: misses the LKr, hits the LAV
        ((0.0, 0.0, 10.0), (0, 0, 1)),  # down the beam pipe: IRC/SAC
        (_along(5.0, 0.1, 0.0), (0, 0, 0)),  # beyond the LAV coverage (50 mrad)
    ],
    ids=["lkr", "lav", "irc_sac", "escapes"],
)
def test_photon_vetoes(photon, expected):
    table, n = _table(
        (pt.POSITRON, _along(20.0, -0.003, -0.002), (0.0, 0.0, 120.0)),
        (pt.PHOTON, photon, (0.0, 0.0, 120.0)),
    )
    tracks = np.zeros((4, na62._T_N))
    tracks[0] = _measure_many(_key("veto"), table, 0, _record(G), 1)[0]
    out = _vetoes_many(_key("veto"), table, n, tracks, 1, _record(G), 2000)
    # inefficiencies are at most 2e-3: the majority answer is the geometric one
    majority = (np.median(out, axis=0) > 0.5).astype(int)
    assert tuple(majority) == expected
    # the track itself never counts as an extra cluster
    only_track = _vetoes_many(_key("veto"), table, 1, tracks, 1, _record(G), 100)
    assert np.all(only_track == 0)


# ----------------------------------------------------------------- beam


@pytest.fixture(scope="module")
def kaons():
    return draw(na62.sample_kaon, _key("beam"), 100_000, _record(G), width=7)


def test_beam_kaon_momentum_and_divergence(kaons):
    k = kaons
    n = len(k)
    p = np.linalg.norm(k[:, :3], axis=1)
    assert abs(p.mean() - G.beam_momentum) < 5 * G.beam_momentum_spread / math.sqrt(n)
    assert abs(p.std() / G.beam_momentum_spread - 1) < 5 / math.sqrt(2 * n)
    np.testing.assert_allclose(k[:, 3] ** 2 - p**2, M_K**2, rtol=1e-9)
    for col in (0, 1):
        slope = k[:, col] / k[:, 2]
        assert abs(slope.std() / G.beam_divergence - 1) < 5 / math.sqrt(2 * n)
    # transverse position = spot + slope × distance from the start of the decay volume
    dz = k[:, 6] - G.beam_z_start
    for col, spot in ((4, G.beam_spot_x), (5, G.beam_spot_y)):
        offset = k[:, col] - k[:, col - 4] / k[:, 2] * dz
        assert abs(offset.std() / spot - 1) < 5 / math.sqrt(2 * n)


def _truncated_cdf(z, span):
    """CDF of the decay z, averaged over the Gaussian beam momentum (Gauss–Hermite)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(20)
    cdf = 0.0
    for x, w in zip(nodes, weights):
        lam = (G.beam_momentum + G.beam_momentum_spread * x) / M_K * CTAU_K
        cdf = cdf + w * -np.expm1(-(z - G.beam_z_start) / lam) / -math.expm1(-span / lam)
    return cdf / weights.sum()


def test_decay_vertices_follow_the_truncated_exponential_law(kaons):
    z = kaons[:, 6]
    span = G.beam_z_end - G.beam_z_start
    assert z.min() >= G.beam_z_start and z.max() <= G.beam_z_end
    assert stats.kstest(z, lambda v: _truncated_cdf(v, span)).pvalue > 1e-4
    # not uniform: a flat z distribution is excluded
    assert stats.kstest(z, stats.uniform(G.beam_z_start, span).cdf).pvalue < 1e-6


def test_mean_kaon_decay_length():
    """With a 3 km decay volume the mean flight is close to βγcτ = 563.8 m at 75 GeV/c."""
    span = 3000.0
    g = G._replace(beam_z_end=G.beam_z_start + span)
    n = 100_000
    z = draw(na62.sample_kaon, _key("long"), n, _record(g), width=7)[:, 6] - G.beam_z_start
    lam0 = G.beam_momentum / M_K * CTAU_K
    assert lam0 == pytest.approx(563.8, abs=0.1)
    nodes, weights = np.polynomial.hermite_e.hermegauss(20)
    mean = 0.0
    for x, w in zip(nodes, weights):
        lam = (G.beam_momentum + G.beam_momentum_spread * x) / M_K * CTAU_K
        mean += w * (lam - span * math.exp(-span / lam) / -math.expm1(-span / lam))
    mean /= weights.sum()
    assert abs(z.mean() - mean) < 5 * z.std() / math.sqrt(n)
    # the resolution of this test on λ: a 3% shorter decay length would be excluded
    assert abs(z.mean() - 0.97 * mean) > 5 * z.std() / math.sqrt(n)
