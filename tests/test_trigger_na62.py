"""The early decisions of the NA62 and NA62-RK chains, checked against the full chain.

A K+ → μ+ν decay of the natural simulation draws the deviates that decide its
trigger before it is generated, and is not generated at all when no decay
direction could get it written
(:func:`analysis.experiments.na62_early.kmu2_may_be_written`); without the
software filter, K+ → π+π0, π+π+π−, π0μ+ν, π+π0π0 and π0e+ν decays are decided
likewise (:func:`analysis.experiments.na62_early.decide`; K2π and K+ → π+π0π0
draw their π+ where the bounds leave the decision open, K+ → π0e+ν with π0 → γγ its
e+).  Here every decay is generated and
followed through the detector and the trigger whatever the decision says, with
the same deviates, as in :func:`analysis.experiments.na62.simulate_batch`: no
decay the decision drops may be written.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import decays, rng
from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_E, M_K, M_MU
from analysis.decays import dispatch, k2pi, k3pi, kl2, kl3
from analysis.experiments import na62, na62rk
from analysis.experiments.na62_early import (
    ASK_LEPTON,
    ASK_PION,
    ASK_TRACKS,
    E_CATASTROPHIC,
    E_FLIGHT,
    E_MIP,
    E_PI0,
    E_PI0_1,
    E_TRIGGER,
    GENERATE,
    N_EARLY,
    decide,
    draw_early_kmu2,
    filtering,
    kmu2_may_be_written,
    lone_positron_may_be_written,
    pion_may_be_written,
    three_pion_may_be_written,
)
from analysis.experiments.na62_layout import (
    C_STREAM,
    N_OUT,
    STREAM_CONTROL,
    STREAM_POSITRON,
    STREAM_THREE_TRACK,
)
from analysis.experiments.na62_response import _MAX_TRACKS, _T_N
from analysis.kinematics import energy, mass_squared

N = 1_000_000


@jit(allocates=True)
def _chain_scratch(key):
    """What the chain's kernel holds per block: the random state (block 0 of ``key``),
    the particle table, the track and acceptance buffers, the early deviates, a row."""
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    tracks = np.zeros((_MAX_TRACKS, _T_N))
    accepted = np.zeros(_MAX_TRACKS, np.int64)
    return state, table, tracks, accepted, np.full(N_EARLY, -1.0), np.zeros(N_OUT)


@jit
def _written_stream(state, table, n, g, tracks, accepted, row, early):
    """The stream the natural chain writes a generated event to (0: none; −1: a
    written row that does not carry its stream)."""
    stream, _ = na62.detect(state, table, n, g, 0.0, tracks, accepted, row, early)
    return -1 if stream > 0 and row[C_STREAM] != stream else stream


@jit(allocates=True)
def _kmu2_decisions(key, n, geometry):
    """Per K_μ2 decay: early decision, stream written (0: none), m²_miss vs its range, p_z ratio.

    m²_miss is (P₀ − p_μ)² with the nominal kaon P₀ and the generated muon; the
    ratio is the muon's p_z over :func:`kl2.kmu2_muon_pz_min`.
    """
    g = geometry[0]
    state, table, tracks, accepted, early, row = _chain_scratch(key)
    may = np.zeros(n, np.bool_)
    stream = np.zeros(n, np.int64)
    m2 = np.zeros((n, 3))
    pz_ratio = np.zeros(n)
    for ev in range(n):
        px, py, pz, vz = na62.kaon_momentum_and_z(state, g)
        e = energy(px, py, pz, M_K)
        draw_early_kmu2(state, g, early)
        may[ev] = kmu2_may_be_written(g, px, py, pz, vz, early)
        x0, y0 = na62.beam_spot(state, g)
        vx, vy = na62.decay_point(g, px, py, pz, x0, y0, vz)
        table[:] = 0.0
        m = dispatch.generate(dispatch.KMU2, state, table, px, py, pz, e, vx, vy, vz, 0.0, -1.0)
        mx, my, mz = table[0, pt.PX], table[0, pt.PY], table[0, pt.PZ]
        pz_ratio[ev] = mz / kl2.kmu2_muon_pz_min(px, py, pz)
        e_miss = energy(0.0, 0.0, g.beam_momentum, M_K) - energy(mx, my, mz, M_MU)
        m2[ev, 0] = mass_squared(-mx, -my, g.beam_momentum - mz, e_miss)
        m2[ev, 1], m2[ev, 2] = kl2.nominal_m2_miss_range(
            px, py, pz, e, g.beam_momentum, kl2.KMU2_P_STAR
        )
        stream[ev] = _written_stream(state, table, m, g, tracks, accepted, row, early)
    return may, stream, m2, pz_ratio


@pytest.fixture(scope="module", params=["na62", "na62rk"])
def decisions(request):
    module = na62 if request.param == "na62" else na62rk
    key = rng.sample_key(3, f"early kmu2 {request.param}")
    return request.param, _kmu2_decisions(key, N, module.geometry_record())


# written K_μ2 events in 10⁶ (measured: 5,484 and 39,094 — NA62 2015 writes single
# tracks below its 35 GeV/c preselection ceiling only; of its events, 63 positron-like,
# from μ → e decays and catastrophic bremsstrahlung) and the fraction of decays the
# decision drops (measured: 0.9753 and 0.9467)
EXPECTED = {"na62": (5_000, 0.97, 0.98), "na62rk": (35_000, 0.94, 0.95)}


def test_early_decision_never_drops_a_decay_that_is_written(decisions):
    name, (may, stream, _, _) = decisions
    assert not np.any(stream < 0)
    assert not np.any((stream > 0) & ~may)
    n_written, lo, hi = EXPECTED[name]
    assert np.count_nonzero(stream > 0) > n_written
    assert lo < 1.0 - may.mean() < hi, 1.0 - may.mean()


@pytest.mark.parametrize("decisions", ["na62"], indirect=True)
def test_positron_like_muons_are_kept_by_the_early_decision(decisions):
    """NA62 2015: K_μ2 events written as positron-like (μ → e in flight, catastrophic loss).

    (NA62-RK writes its muon events by the software filter, not by E/p.)
    """
    _, (may, stream, _, _) = decisions
    positron = stream == STREAM_POSITRON
    assert np.count_nonzero(positron) > 50  # 63 in this sample
    assert np.all(may[positron])


def test_nominal_missing_mass_range_holds_and_is_reached(decisions):
    """(P₀ − p_μ)² lies in the range computed from the kaon alone; decays reach both ends."""
    _, (_, _, m2, _) = decisions
    value, lo, hi = m2[:, 0], m2[:, 1], m2[:, 2]
    width = hi - lo
    assert np.all(width > 0.0)
    position = (value - lo) / width
    assert position.min() > -1e-6 and position.max() < 1.0 + 1e-6
    assert position.min() < 0.01 and position.max() > 0.99


@pytest.mark.parametrize("module", [na62, na62rk], ids=["na62", "na62rk"])
def test_sqrt_free_peak_test_agrees_with_the_range(module):
    """nominal_m2_miss_within against the range's end points, for cuts on both sides."""
    g = module.GEOMETRY
    rs = np.random.default_rng(1)
    for _ in range(2000):
        p = g.beam_momentum + g.beam_momentum_spread * rs.normal()
        ax, ay = 3e-4 * rs.normal(size=2)
        pz = p / math.sqrt(1.0 + ax * ax + ay * ay)
        px, py = ax * pz, ay * pz
        e = math.sqrt(p * p + M_K * M_K)
        lo, hi = kl2.nominal_m2_miss_range(px, py, pz, e, g.beam_momentum, kl2.KMU2_P_STAR)
        cut = float(rs.uniform(0.0, 2.0) * max(-lo, hi))
        inside = kl2.nominal_m2_miss_within(px, py, pz, e, g.beam_momentum, kl2.KMU2_P_STAR, cut)
        if abs(max(-lo, hi) - cut) > 1e-9 * cut:
            assert inside == (max(-lo, hi) < cut), (lo, hi, cut)


def test_muon_momentum_bound_holds_and_is_tight(decisions):
    """Every muon's p_z lies above the bound; the softest of 10⁶ come within 5% of it."""
    _, (_, _, _, ratio) = decisions
    assert ratio.min() >= 1.0
    assert ratio.min() < 1.05


def _decide(module, p, deviates, vz=None):
    """kmu2_may_be_written for a kaon of momentum p along the axis, decaying at vz.

    ``deviates``: those of E_FLIGHT, E_TRIGGER, E_CATASTROPHIC and E_MIP, in that order.
    """
    g = module.GEOMETRY
    z = g.fiducial_z_min if vz is None else vz
    early = np.full(N_EARLY, -1.0)
    early[[E_FLIGHT, E_TRIGGER, E_CATASTROPHIC, E_MIP]] = deviates
    return kmu2_may_be_written(module.geometry_record()[0], 0.0, 0.0, p, z, early)


def test_decision_keeps_a_muon_whose_mip_tail_could_look_like_a_positron():
    """NA62 2015: E_mip + w(−ln u − 1) against E/p_cut·p_min, on both sides of the boundary."""
    g = na62.GEOMETRY
    p = g.beam_momentum
    pz_min = kl2.kmu2_muon_pz_min(0.0, 0.0, p)
    x_max = 1.0 + (g.trigger_eop_positron_like * pz_min - g.lkr_mip_energy) / g.lkr_mip_width
    assert 15.0 < x_max < 30.0  # a ~1e-9 tail: never met in a test sample, hence this test
    # deviates in the order of E_FLIGHT, E_TRIGGER, E_CATASTROPHIC, E_MIP: no decay in
    # flight, the control downscale drops it, no bremsstrahlung, a typical MIP deposit
    dropped = [0.9, 0.99, 0.5, 0.5]
    assert not _decide(na62, p, dropped)
    for factor, expected in ((0.999, False), (1.001, True)):
        u_mip = math.exp(-x_max * factor)
        assert _decide(na62, p, dropped[:3] + [u_mip]) == expected, factor
    assert _decide(na62, p, [0.9, 0.01, 0.5, 0.5])  # the control downscale keeps it
    assert _decide(na62, p, [0.9, 0.99, 1e-6, 0.5])  # catastrophic bremsstrahlung
    assert _decide(na62, p, [1e-4, 0.99, 0.5, 0.5])  # a decay before the LKr


def test_decision_keeps_a_kaon_whose_muon_can_leave_the_kmu2_peak():
    """NA62-RK: a kaon far off the nominal momentum gives muons outside the on-line peak."""
    g = na62rk.GEOMETRY
    dropped = [0.99, 0.9, -1.0, -1.0]  # no decay in flight, both downscales drop it
    assert not _decide(na62rk, g.beam_momentum, dropped)
    for p in (0.8 * g.beam_momentum, 1.2 * g.beam_momentum):
        ek = math.sqrt(p * p + M_K * M_K)
        lo, hi = kl2.nominal_m2_miss_range(0.0, 0.0, p, ek, g.beam_momentum, kl2.KMU2_P_STAR)
        assert max(-lo, hi) > g.trigger_kmu2_peak_m2
        assert _decide(na62rk, p, dropped)
    assert _decide(na62rk, g.beam_momentum, [0.99, 0.01, -1.0, -1.0])  # a downscale keeps it
    assert _decide(na62rk, g.beam_momentum, [1e-6, 0.9, -1.0, -1.0])  # decays before the magnet


@jit
def _pion_first(state, table, g, decision, pion, px, py, pz, vz, early):
    """The vertex and the decision of a decay whose π⁺ is drawn first, as the chain
    makes them when it asks the π⁺: (vx, vy, whether it may be written)."""
    x0, y0 = na62.beam_spot(state, g)
    vx, vy = na62.decay_point(g, px, py, pz, x0, y0, vz)
    asked = decision == ASK_PION
    may = decision == GENERATE or (
        asked and pion_may_be_written(state, table, g, pion, vx, vy, vz, early)
    )
    return vx, vy, may


@jit(allocates=True)
def _pion_channel_decisions(key, n, geometry, code, m_hnl=0.0):
    """Per decay of channel ``code`` (NA62 2015, natural; ``m_hnl`` the N mass of
    K⁺→μ⁺N): early decision, stream written (0: none), and the p_z of its π⁺ (or μ⁺)
    over the bound of the decision."""
    g = geometry[0]
    state, table, tracks, accepted, early, row = _chain_scratch(key)
    may = np.zeros(n, np.bool_)
    stream = np.zeros(n, np.int64)
    pz_ratio = np.zeros(n)
    for ev in range(n):
        early[:] = -1.0
        px, py, pz, vz = na62.kaon_momentum_and_z(state, g)
        e = energy(px, py, pz, M_K)
        decision = decide(state, g, code, px, py, pz, vz, early, m_hnl)
        table[:] = 0.0
        # as the chain does when it asks the pi+: the pi+ first, then its vertex
        if code == dispatch.K2PI:
            pion = k2pi.draw_pion(state, px, py, pz, e)
            pz_ratio[ev] = pion[2] / k2pi.pion_pz_min(px, py, pz)
            vx, vy, may[ev] = _pion_first(state, table, g, decision, pion, px, py, pz, vz, early)
            m = k2pi.generate_from_pion(
                state, table, 0, px, py, pz, e, vx, vy, vz, pion, early[E_PI0]
            )
        elif code == dispatch.KE3:
            # as the chain does when it asks the e+: the vertex, the e+, then the rest
            x0, y0 = na62.beam_spot(state, g)
            vx, vy = na62.decay_point(g, px, py, pz, x0, y0, vz)
            mom = kl3.draw_momenta(state, M_E)
            lep = kl3.lepton_lab(px, py, pz, e, mom)
            pt.add(table, 0, lep[0], lep[1], lep[2], lep[3], vx, vy, vz, pt.POSITRON, True)
            may[ev] = decision == GENERATE or (
                decision == ASK_LEPTON and lone_positron_may_be_written(table, g)
            )
            m = kl3.generate_from_momenta(
                state, table, 0, px, py, pz, e, vx, vy, vz, mom, pt.POSITRON, early[E_PI0]
            )
            pz_ratio[ev] = 1.0  # no momentum bound
        elif code == dispatch.K3PI0:
            pion3 = k3pi.draw_neutral_pion(state, px, py, pz, e)
            pz_ratio[ev] = pion3[2] / k3pi.charged_pion_pz_min_neutral(px, py, pz)
            vx, vy, may[ev] = _pion_first(state, table, g, decision, pion3, px, py, pz, vz, early)
            u0, u1 = early[E_PI0], early[E_PI0_1]
            m = k3pi.generate_neutral_from_pion(
                state, table, 0, px, py, pz, e, vx, vy, vz, pion3, u0, u1
            )
        else:
            x0, y0 = na62.beam_spot(state, g)
            vx, vy = na62.decay_point(g, px, py, pz, x0, y0, vz)
            u0, u1 = early[E_PI0], early[E_PI0_1]
            m = dispatch.generate(
                code, state, table, px, py, pz, e, vx, vy, vz, m_hnl, -1.0, u0, u1
            )
            may[ev] = decision == GENERATE or (
                decision == ASK_TRACKS and three_pion_may_be_written(state, table, g, vz, early)
            )
            if code == dispatch.K3PI:  # the two pi+, rows 0 and 1
                pz_ratio[ev] = min(table[0, pt.PZ], table[1, pt.PZ]) / k3pi.pion_pz_min(px, py, pz)
            elif code == dispatch.HNL_MU:  # the muon of K_muN, row 0
                pz_ratio[ev] = table[0, pt.PZ] / kl2.muon_pz_min(px, py, pz, m_hnl)
            else:  # the muon of K_mu3, row 0
                pz_ratio[ev] = table[0, pt.PZ] / kl3.muon_pz_min(px, py, pz)
        stream[ev] = _written_stream(state, table, m, g, tracks, accepted, row, early)
    return may, stream, pz_ratio


# per 10⁶ decays of each channel, measured: written events of the positron-like, control
# and three-track streams, and the fraction of the decays the decision drops; K⁺→μ⁺N
# at an N mass of 250 MeV/c² and near the end point m_K − m_μ = 388 MeV/c²; K⁺→π⁰e⁺ν
# (the e⁺ outside the straw chambers or above the momentum ceiling, π⁰ → γγ)
EXPECTED_PION_CHANNELS = {
    "k2pi": ((216, 6_841, 83), 0.896),
    "k3pi": ((52, 1_624, 20_479), 0.901),
    "kmu3": ((17, 11_376, 58), 0.964),
    "k3pi0": ((507, 11_217, 75), 0.871),
    "hnl_mu@0.25": ((92, 9_163, 0), 0.977),
    "hnl_mu@0.38": ((47, 10_109, 0), 0.979),
    "ke3": ((17_134, 2_463, 40), 0.436),
}


@pytest.fixture(scope="module", params=list(EXPECTED_PION_CHANNELS))
def pion_channel_decisions(request):
    name, _, mass = request.param.partition("@")
    code = decays.channel(name).code
    key = rng.sample_key(4, f"early {request.param}")
    decisions = _pion_channel_decisions(
        key, N, na62.geometry_record(), code, float(mass) if mass else 0.0
    )
    return request.param, decisions


def test_early_decision_never_drops_a_decay_of_a_pion_channel_that_is_written(
    pion_channel_decisions,
):
    """NA62 2015 K⁺→π⁺π⁰, π⁺π⁺π⁻, π⁰μ⁺ν, π⁺π⁰π⁰, μ⁺N, π⁰e⁺ν: every written event (all
    three streams) was kept by the decision, and the decision drops what it should."""
    assert filtering(na62rk.geometry_record()[0]) and not filtering(na62.geometry_record()[0])
    name, (may, stream, _) = pion_channel_decisions
    assert not np.any(stream < 0)
    assert not np.any((stream > 0) & ~may)
    counts, dropped = EXPECTED_PION_CHANNELS[name]
    for s, measured in zip((STREAM_POSITRON, STREAM_CONTROL, STREAM_THREE_TRACK), counts):
        n_s = np.count_nonzero(stream == s)
        assert abs(n_s - measured) < 5.0 * math.sqrt(measured) + 5, (s, n_s)
    assert abs((1.0 - may.mean()) - dropped) < 0.01, 1.0 - may.mean()


def test_pion_and_muon_momentum_bounds_hold_and_are_tight(pion_channel_decisions):
    """Every π⁺ (μ⁺) flies with p_z above its bound; the softest of 10⁶ decays come within 5%."""
    name, (_, _, ratio) = pion_channel_decisions
    if name == "ke3":
        return  # decided on its e+, without a momentum bound
    assert ratio.min() >= 1.0
    assert ratio.min() < 1.05
