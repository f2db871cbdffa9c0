"""NA62 (2015 setup): beam, detector response and minimum-bias trigger, fused per event.

One call of :func:`simulate_batch` takes whole blocks of kaon decays (see
:mod:`analysis.rng`) through

1. the beam: K+ momentum with its spread, divergence and spot size, decay vertex
   from the exponential decay law between the final collimator and the first
   straw chamber (so decays before, inside and after the fiducial region occur);
2. the decay (:mod:`analysis.decays`) and π/μ decays in flight;
3. the detector response (:mod:`analysis.experiments.na62_response`) and the
   trigger (:mod:`analysis.experiments.na62_trigger`), writing one row per
   triggered event; most decays that the trigger would drop are dropped before
   they are generated (:mod:`analysis.experiments.na62_early`).

This module is the experiment's public face: it re-exports the geometry, the
event-table layout (:mod:`analysis.experiments.na62_layout`) and the response
kernels.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from analysis import beam_halo
from analysis import particles as pt
from analysis._jit import jit, pjit
from analysis.constants import CTAU_K, M_E, M_K
from analysis.decays import dispatch, inflight, k2pi, k3pi, kl3
from analysis.experiments.na62_early import (
    ASK_LEPTON,
    ASK_PION,
    ASK_TRACKS,
    DROP,
    E_PI0,
    E_PI0_1,
    GENERATE,
    N_EARLY,
    decide,
    flight_deviates,
    lone_positron_may_be_written,
    pion_may_be_written,
    three_pion_may_be_written,
)
from analysis.experiments.na62_layout import (
    C_EVENT,
    C_TCH,
    C_TM,
    C_TPK,
    C_TZ,
    C_WEIGHT,
    COLUMNS,
    GEOMETRY,
    N_OUT,
    RECO_COLUMNS,
    STREAM_CONTROL,
    STREAM_POSITRON,
    STREAM_THREE_TRACK,
    TRUTH_COLUMNS,
    Geometry,
    geometry_record,
    make_geometry,
)
from analysis.experiments.na62_response import (
    _MAX_TRACKS,
    _T_N,
    _T_PX,
    _T_PY,
    _T_PZ,
    _T_Q,
    _T_X1,
    _T_Y1,
    _T_Z1,
    accepted_tracks,
    alive_at,
    beam_axis_vertex,
    in_acceptance,
    lkr_energy,
    measure_track,
    track_muv3,
    true_momentum_at_magnet,
    vetoes,
)
from analysis.experiments.na62_trigger import trigger_and_record
from analysis.kinematics import decay_length, energy
from analysis.rng import BLOCK_SIZE, normal, seed_block, truncated_exponential

__all__ = [
    "_T_N",
    "_T_PX",
    "_T_PY",
    "_T_PZ",
    "_T_Q",
    "_T_X1",
    "_T_Y1",
    "_T_Z1",
    "accepted_tracks",
    "alive_at",
    "beam_axis_vertex",
    "beam_spot",
    "decay_point",
    "detect",
    "in_acceptance",
    "kaon_at_start",
    "kaon_momentum_and_z",
    "lkr_energy",
    "measure_track",
    "track_muv3",
    "trigger_and_record",
    "true_momentum_at_magnet",
    "vetoes",
    "COLUMNS",
    "GEOMETRY",
    "Geometry",
    "N_OUT",
    "RECO_COLUMNS",
    "STREAM_CONTROL",
    "STREAM_POSITRON",
    "STREAM_THREE_TRACK",
    "TRUTH_COLUMNS",
    "geometry_record",
    "make_geometry",
    "sample_kaon",
    "simulate_batch",
]


@jit(inline="always")
def kaon_momentum_and_z(state, g):
    """Beam K+ momentum and decay z: (px, py, pz, z).

    Momentum with its spread and divergence; decay z from the exponential decay
    law truncated to [z_start, z_end]; the mean flight is βγcτ = p/m_K · cτ_K.
    """
    p = g.beam_momentum + g.beam_momentum_spread * normal(state)
    ax = g.beam_divergence * normal(state)
    ay = g.beam_divergence * normal(state)
    dz = truncated_exponential(state, decay_length(p, M_K, CTAU_K), g.beam_z_end - g.beam_z_start)
    pz = p / math.sqrt(1.0 + ax * ax + ay * ay)
    return ax * pz, ay * pz, pz, g.beam_z_start + dz


@jit
def beam_spot(state, g):
    """Transverse position (x0, y0) of a beam particle at ``beam.z_start`` (the spot size)."""
    return g.beam_spot_x * normal(state), g.beam_spot_y * normal(state)


@jit
def kaon_at_start(state, g):
    """Beam K+ and its decay z: (px, py, pz, x0, y0, z), (x0, y0) at the start of the volume."""
    px, py, pz, z = kaon_momentum_and_z(state, g)
    x0, y0 = beam_spot(state, g)
    return px, py, pz, x0, y0, z


@jit
def decay_point(g, px, py, pz, x0, y0, z):
    """(x, y) at z of the kaon that crossed ``beam.z_start`` at (x0, y0)."""
    dz = z - g.beam_z_start
    return x0 + px / pz * dz, y0 + py / pz * dz


@jit
def sample_kaon(state, g):
    """Beam K+ at its decay point: (px, py, pz, E, x, y, z)."""
    px, py, pz, x0, y0, z = kaon_at_start(state, g)
    x, y = decay_point(g, px, py, pz, x0, y0, z)
    return px, py, pz, energy(px, py, pz, M_K), x, y, z


@jit
def detect(state, table, n_primary, g, forced, tracks, accepted, row, early):
    """Decays in flight, spectrometer acceptance and trigger of a generated event.

    Returns (stream, importance weight); a written event (stream > 0) is in
    ``row``.  ``early`` holds the deviates drawn before the decay
    (:mod:`analysis.experiments.na62_early`; −1 where not): the first rows'
    decays in flight take theirs when drawn.
    """
    flight = flight_deviates(early)
    _, mc_weight = inflight.propagate(
        state,
        table,
        n_primary,
        g.muv3_z,
        g.spectrometer_z_magnet,
        g.spectrometer_kick,
        forced,
        0.0,
        flight,
    )
    n_tracks = accepted_tracks(table, n_primary, g, accepted, 1)
    if n_tracks != 1 and n_tracks != 3:
        return 0, mc_weight
    stream = trigger_and_record(state, table, n_primary, g, tracks, accepted, n_tracks, row, early)
    return stream, mc_weight


@jit
def _generate_asked(state, table, g, code, px, py, pz, e, vz, early):
    """Generate a K+ → π+π0 or π+π0π0 decay that the early decision left open
    (:data:`analysis.experiments.na62_early.ASK_PION`): its π+ and vertex first,
    then the decision with them, then the rest; likewise a K+ → π0e+ν decay with
    its e+ (:data:`analysis.experiments.na62_early.ASK_LEPTON`).  Returns the
    particle count, −1 for a decay dropped after all."""
    if code == dispatch.KE3:
        x0, y0 = beam_spot(state, g)
        vx, vy = decay_point(g, px, py, pz, x0, y0, vz)
        mom = kl3.draw_momenta(state, M_E)
        lep = kl3.lepton_lab(px, py, pz, e, mom)
        pt.add(table, 0, lep[0], lep[1], lep[2], lep[3], vx, vy, vz, pt.POSITRON, True)
        if not lone_positron_may_be_written(table, g):
            return -1
        return kl3.generate_from_momenta(
            state, table, 0, px, py, pz, e, vx, vy, vz, mom, pt.POSITRON, early[E_PI0]
        )
    if code == dispatch.K2PI:
        pion = k2pi.draw_pion(state, px, py, pz, e)
        x0, y0 = beam_spot(state, g)
        vx, vy = decay_point(g, px, py, pz, x0, y0, vz)
        if not pion_may_be_written(state, table, g, pion, vx, vy, vz, early):
            return -1
        return k2pi.generate_from_pion(
            state, table, 0, px, py, pz, e, vx, vy, vz, pion, early[E_PI0]
        )
    pion3 = k3pi.draw_neutral_pion(state, px, py, pz, e)
    x0, y0 = beam_spot(state, g)
    vx, vy = decay_point(g, px, py, pz, x0, y0, vz)
    if not pion_may_be_written(state, table, g, pion3, vx, vy, vz, early):
        return -1
    u_pi0 = early[E_PI0], early[E_PI0_1]
    return k3pi.generate_neutral_from_pion(
        state, table, 0, px, py, pz, e, vx, vy, vz, pion3, *u_pi0
    )


@pjit
def simulate_batch(
    key,
    first_block,
    n_blocks,
    n_total,
    codes,
    cumulative,
    masses,
    forced,
    geometry,
    out,
    n_out,
    counters,
):
    """Simulate blocks ``first_block … first_block + n_blocks − 1`` of a sample.

    ``out[b]`` receives the rows written by block b (``n_out[b]`` of them);
    ``counters[b, m]`` = (decays generated, decays in the fiducial region) for
    signal-mass index m (a beam-halo muon counts as generated, never as
    fiducial); ``geometry`` is :func:`geometry_record`.  ``forced`` > 0
    turns on forced decays in flight for
    Monte Carlo (:func:`analysis.decays.inflight.propagate`); written rows then
    carry weight = trigger downscale × importance weight.  Blocks run in
    parallel; each owns its random stream.

    A K+ → μ+ν decay of the natural simulation draws the deviates that decide
    its trigger first; one that no decay direction could get written (most of
    them: the trigger downscales K_μ2) is counted but not generated
    (:func:`analysis.experiments.na62_early.kmu2_may_be_written`).  Without
    the software filter, K+ → μ+N, π+π0, π+π+π−, π0μ+ν, π+π0π0 and π0e+ν
    decays are decided likewise (:func:`analysis.experiments.na62_early.decide`).
    """
    n_masses = masses.shape[0]
    for b in prange(n_blocks):
        g = geometry[0]  # a record, passed by reference (bound inside the parallel body)
        block = first_block + b
        start = block * BLOCK_SIZE
        stop = min(start + BLOCK_SIZE, n_total)
        state = np.empty(4, np.uint64)
        seed_block(state, key, block)
        table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
        tracks = np.zeros((_MAX_TRACKS, _T_N))
        accepted = np.zeros(_MAX_TRACKS, np.int64)
        early = np.full(N_EARLY, -1.0)
        rows = out[b]
        k = 0
        for ev in range(start, stop):
            early[:] = -1.0
            code, m = dispatch.choose_event(state, codes, cumulative, n_masses)
            counters[b, m, 0] += 1
            if code == dispatch.HALO_MU:  # not a kaon decay: a muon of the beam halo
                n_primary = beam_halo.generate(state, table, g, 1)
                px, py, pz = table[0, pt.PX], table[0, pt.PY], table[0, pt.PZ]
                vz = table[0, pt.Z]
            else:
                px, py, pz, vz = kaon_momentum_and_z(state, g)
                if g.fiducial_z_min <= vz < g.fiducial_z_max:
                    counters[b, m, 1] += 1
                decision = GENERATE
                if forced == 0.0:  # the natural simulation decides before generating
                    decision = decide(state, g, code, px, py, pz, vz, early, masses[m])
                    if decision == DROP:
                        continue
                e = energy(px, py, pz, M_K)
                if decision == ASK_PION or decision == ASK_LEPTON:
                    n_primary = _generate_asked(state, table, g, code, px, py, pz, e, vz, early)
                    if n_primary < 0:
                        continue
                else:
                    x0, y0 = beam_spot(state, g)
                    vx, vy = decay_point(g, px, py, pz, x0, y0, vz)
                    if early[E_PI0] >= 0.0:  # the pi0 decay modes drawn early
                        u_pi0 = early[E_PI0], early[E_PI0_1]
                        n_primary = dispatch.generate(
                            code, state, table, px, py, pz, e, vx, vy, vz, masses[m], -1.0, *u_pi0
                        )
                    else:
                        n_primary = dispatch.generate(
                            code, state, table, px, py, pz, e, vx, vy, vz, masses[m], -1.0
                        )
                        if decision == ASK_TRACKS and not three_pion_may_be_written(
                            state, table, g, vz, early
                        ):
                            continue
            stream, mc_weight = detect(
                state, table, n_primary, g, forced, tracks, accepted, rows[k], early
            )
            if stream > 0:
                rows[k, C_WEIGHT] *= mc_weight
                rows[k, C_EVENT] = ev
                rows[k, C_TCH] = code
                rows[k, C_TZ] = vz
                rows[k, C_TM] = masses[m]
                rows[k, C_TPK] = math.sqrt(px * px + py * py + pz * pz)
                k += 1
        n_out[b] = k
