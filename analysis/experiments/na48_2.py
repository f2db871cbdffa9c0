"""NA48/2 (2003–2004): simultaneous K± beams, the three-track trigger and preselection, fused.

One call of :func:`simulate_batch` takes whole blocks of K± decays (see
:mod:`analysis.rng`) through

1. the beam: K+ or K− (``beam.kminus_fraction``) of 60 GeV/c with its spread,
   decay vertex from the exponential law along the 114 m decay volume;
2. the decay (:mod:`analysis.decays`; a K− decay is the charge conjugate of the
   K+ one: the detector is charge symmetric) and π/μ decays in flight, including
   decays inside the spectrometer, which distort the measured momentum;
3. the drift-chamber spectrometer, the LKr and the MUV
   (:mod:`analysis.experiments.na62_response`, run on this experiment's table);
4. the three-track trigger and the software preselection (``trigger`` section of
   ``analysis/data/experiments/na48_2.yaml``): dimuon-like events are all
   written; other three-track events (K3π, the normalisation) downscaled, with
   the downscale factor as weight; the blind LNV box of the pseudo-data is never
   written while ``blind.enabled``.

Each written row holds the three measured tracks, their E/p and MUV signals,
and the three-track vertex.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from analysis import particles as pt
from analysis._jit import jit, pjit
from analysis.constants import CTAU_PI, M_K, M_MU, M_PI
from analysis.decays import dispatch, hnl_pimu, inflight, k3pi
from analysis.experiments import na62_layout
from analysis.experiments.geometry import flatten, geometry_type, load_table
from analysis.experiments.na62 import beam_spot, decay_point, kaon_momentum_and_z
from analysis.experiments.na62_layout import Geometry as _NA62Geometry
from analysis.experiments.na62_layout import track_columns
from analysis.experiments.na62_response import (
    _MAX_TRACKS,
    _T_N,
    _T_PID,
    _T_PX,
    _T_PY,
    _T_PZ,
    _T_Q,
    _T_ROOT,
    _T_X1,
    _T_Y1,
    _T_Z1,
    accepted_tracks,
    lkr_energy,
    measure_track,
    muv3_fires,
    muv3_may_fire,
    muv3_reach,
)
from analysis.kinematics import decay_length, energy
from analysis.rng import BLOCK_SIZE, seed_block, uniform

NAME = "na48_2"
TABLE = load_table(NAME)
_FLAT = flatten(TABLE)
_missing = sorted(set(_NA62Geometry._fields) - set(_FLAT))
if _missing:
    raise ValueError(f"{NAME}.yaml lacks keys of na62.yaml: {', '.join(_missing)}")
#: The geometry as a flat named tuple: the keys of na62.yaml plus the NA48/2 sections.
Geometry, make_geometry = geometry_type(_FLAT, "NA48/2")

GEOMETRY = make_geometry()


def geometry_record(geometry: Geometry = GEOMETRY) -> np.recarray:
    """The geometry as the one-element record array the kernels take."""
    return na62_layout.geometry_record(geometry)


STREAM_DIMUON, STREAM_THREE_TRACK = 1, 2

#: Reconstructed three-track events (name, dtype): the schema real data must follow.
RECO_COLUMNS = [
    ("event", np.uint64),
    ("stream", np.uint8),
    ("weight", np.float32),
    *track_columns("muv"),
    ("x_vtx", np.float32),
    ("y_vtx", np.float32),
    ("z_vtx", np.float64),
    ("cda", np.float32),
]
#: Monte Carlo truth: channel, kaon decay z, HNL mass (GeV) and proper time (ps),
#: kaon momentum and charge, the species crossing the magnet per track, and the
#: number of track particles that decayed in flight before the MUV.
TRUTH_COLUMNS = [
    ("true_channel", np.uint8),
    ("true_z", np.float32),
    ("true_mass_n", np.float32),
    ("true_t_n_ps", np.float64),
    ("true_pk", np.float32),
    ("true_kcharge", np.int8),
    ("true_pid_1", np.int32),
    ("true_pid_2", np.int32),
    ("true_pid_3", np.int32),
    ("true_n_decays", np.uint8),
]
COLUMNS = RECO_COLUMNS + TRUTH_COLUMNS
N_OUT = len(COLUMNS)
_C = {name: i for i, (name, _) in enumerate(COLUMNS)}
_C_TRK0 = _C["charge_1"]  # 6 columns per track
_C_VTX = _C["x_vtx"]
_C_TRUTH = _C["true_channel"]


@jit
def charge_conjugate(table, n):
    """Turn the K+ decay in rows [0, n) into the K− one (PDG codes change sign)."""
    for i in range(n):
        pid = int(table[i, pt.PID])
        if pid != pt.PHOTON and pid != pt.PI0 and pid != pt.HNL:
            table[i, pt.PID] = -pid


@jit
def three_track_vertex(tracks):
    """Point closest to the three upstream track lines: (x, y, z, rms distance).

    Lines x = x1 + tx (z − z1): the transverse spread Σ|r_i(z) − r̄(z)|² is
    quadratic in z; its minimum is the vertex z, the mean position there x, y.
    """
    sx = sy = stx = sty = 0.0
    for t in range(3):
        sx += tracks[t, _T_X1]
        sy += tracks[t, _T_Y1]
        stx += tracks[t, _T_PX] / tracks[t, _T_PZ]
        sty += tracks[t, _T_PY] / tracks[t, _T_PZ]
    num = den = 0.0
    for t in range(3):
        dx = tracks[t, _T_X1] - sx / 3.0
        dy = tracks[t, _T_Y1] - sy / 3.0
        dtx = tracks[t, _T_PX] / tracks[t, _T_PZ] - stx / 3.0
        dty = tracks[t, _T_PY] / tracks[t, _T_PZ] - sty / 3.0
        num += dx * dtx + dy * dty
        den += dtx * dtx + dty * dty
    d = -num / den if den > 0.0 else 0.0
    z1 = tracks[0, _T_Z1]
    xv = (sx + stx * d) / 3.0
    yv = (sy + sty * d) / 3.0
    spread = 0.0
    for t in range(3):
        tx = tracks[t, _T_PX] / tracks[t, _T_PZ]
        ty = tracks[t, _T_PY] / tracks[t, _T_PZ]
        spread += (tracks[t, _T_X1] + tx * d - xv) ** 2 + (tracks[t, _T_Y1] + ty * d - yv) ** 2
    return xv, yv, z1 + d, math.sqrt(spread / 3.0)


@jit
def _energy(trk, mass):
    return math.sqrt(trk[_T_PX] ** 2 + trk[_T_PY] ** 2 + trk[_T_PZ] ** 2 + mass * mass)


@jit
def m_pimumu(tracks, pion):
    """M(π μ μ) (GeV) with track ``pion`` as the pion and the other two as muons."""
    px = py = pz = e = 0.0
    for t in range(3):
        px += tracks[t, _T_PX]
        py += tracks[t, _T_PY]
        pz += tracks[t, _T_PZ]
        e += _energy(tracks[t], M_PI if t == pion else M_MU)
    return math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))


@jit
def _preselect(tracks, muv, g):
    """(dimuon stream?, in the blind LNV box?) of three measured tracks with MUV flags."""
    dimuon = False
    blind = False
    q_total = tracks[0, _T_Q] + tracks[1, _T_Q] + tracks[2, _T_Q]
    for pion in range(3):
        n_mu = 0
        for t in range(3):
            if t != pion and muv[t]:
                n_mu += 1
        if n_mu < g.trigger_muons_min:
            continue
        m = m_pimumu(tracks, pion)
        if m > g.trigger_m_pimumu_min:
            dimuon = True
        # LNV: the pion is the odd-sign track, the two muons share the kaon charge
        if tracks[pion, _T_Q] == -q_total and abs(m - M_K) < g.blind_lnv_half_width:
            blind = True
    return dimuon, blind


@jit
def muon_signals_possible(state, table, n, g, u_muv, n_drawn):
    """Draw the MUV3 deviate of every charged primary into ``u_muv``; count those that could fire.

    Rows below ``n_drawn`` already hold theirs (drawn before the decay).  The
    count bounds the MUV3 signals of any three of them (:func:`muv3_may_fire`).
    """
    n_possible = 0
    for i in range(n):
        if table[i, pt.VISIBLE] == 0.0 or pt.charge(int(table[i, pt.PID])) == 0:
            continue
        if i >= n_drawn:
            u_muv[i] = uniform(state)
        if muv3_may_fire(table, i, g, u_muv[i]):
            n_possible += 1
    return n_possible


#: Rows whose in-flight and MUV3 deviates are drawn before the decay is generated:
#: the three pions of K± → π±π+π− (:func:`draw_early` is written out for three).
EARLY_ROWS = 3


@jit
def draw_early(state, u_flight, u_muv):
    """Draw the in-flight and MUV3 deviates of rows 0 … EARLY_ROWS − 1, in that order per row.

    The six deviates are drawn before any is stored: a store into the arrays
    would make the compiler reload the generator state from memory.
    """
    f0, m0 = uniform(state), uniform(state)
    f1, m1 = uniform(state), uniform(state)
    f2, m2 = uniform(state), uniform(state)
    u_flight[0], u_flight[1], u_flight[2] = f0, f1, f2
    u_muv[0], u_muv[1], u_muv[2] = m0, m1, m2


@jit
def fly_to_muv3(state, table, n, g, forced, u_flight):
    """π/μ decays in flight up to MUV3; returns the importance weight.

    Rows below EARLY_ROWS decide with the deviates of :func:`draw_early`;
    ``forced`` > 0 forces the pion decays (Monte Carlo).
    """
    _, weight = inflight.propagate(
        state,
        table,
        n,
        g.muv3_z,
        g.spectrometer_z_magnet,
        g.spectrometer_kick,
        0.0,
        forced,
        u_flight,
    )
    return weight


@jit
def k3pi_may_be_dimuon(g, px, py, pz, vz, u_flight, u_muv, forced=0.0):
    """Whether a K → π±π+π− decay could give the MUV3 signals of a dimuon event.

    Decided from the kaon and the deviates of :func:`draw_early` alone, before the
    decay is generated.  A pion gives a MUV3 signal by punching through
    (u_muv below ``pion_punch_through``) or through its decay muon (u_muv below
    ``muon_efficiency``), and :func:`analysis.decays.inflight.propagate` lets it
    decay before MUV3 only if u_flight·λ_z < z_MUV3 − z_vertex, λ_z = (p_z/m_π)cτ_π;
    with p_z ≥ :func:`analysis.decays.k3pi.pion_pz_min` a pion whose u_flight is
    above that bound's ratio cannot decay.  With forced decays (Monte Carlo,
    ``forced`` > 0) a pion decays before MUV3 exactly when u_flight < ``forced``.
    Never False for an event that the full chain would call dimuon-like:
    skipping these events changes no result.
    """
    if forced > 0.0:  # forced decays: a pion decays before MUV3 exactly when u < forced
        lam_min, flight = 1.0, forced
    else:
        pz_min = k3pi.pion_pz_min(px, py, pz)
        if pz_min <= 0.0:
            return True
        # u·λ_z < z_MUV3 − z_vertex with λ_z ≥ decay_length(pz_min): no division per pion
        lam_min = decay_length(pz_min, M_PI, CTAU_PI)
        flight = g.muv3_z - vz
    n_possible = 0
    for r in range(EARLY_ROWS):  # without branches: the outcomes are random
        n_possible += (u_muv[r] < g.muv3_pion_punch_through) | (
            (u_muv[r] < g.muv3_muon_efficiency) & (u_flight[r] * lam_min < flight)
        )
    return n_possible >= g.trigger_muons_min


@jit
def trigger_and_record(state, table, g, tracks, accepted, muv, row, kept, u_muv):
    """Three-track trigger and preselection of an event with three accepted tracks.

    Returns the stream (0: not written) and fills the reconstructed columns of
    ``row``.  ``kept`` is the downscale decision of the three-track stream, drawn
    before the event reached the detector: an event it drops is still written if
    it is dimuon-like.  The MUV3 signals use the deviates ``u_muv`` drawn by
    :func:`muon_signals_possible`; the tracks are measured only when needed.
    """
    q = 0
    for t in range(3):
        q += pt.charge(int(table[accepted[t], pt.PID]))
    if q != 1 and q != -1:
        return 0
    d = g.trigger_downscale_three_track
    n_muv = 0
    for t in range(3):
        i = accepted[t]
        tracks[t, _T_ROOT] = i
        muv[t] = muv3_fires(muv3_reach(table, i, g), u_muv[i], g)
        n_muv += muv[t]
    measured = False
    stream, weight = 0, 1.0
    if n_muv >= g.trigger_muons_min:
        for t in range(3):
            measure_track(state, table, accepted[t], g, tracks[t])
        measured = True
        dimuon, blind = _preselect(tracks, muv, g)
        if blind and g.blind_enabled > 0.0:
            return 0
        if dimuon:
            stream = STREAM_DIMUON
    if stream == 0:
        if not kept:
            return 0
        stream, weight = STREAM_THREE_TRACK, max(d, 1.0)
        if not measured:
            for t in range(3):
                measure_track(state, table, accepted[t], g, tracks[t])
    row[1] = stream
    row[2] = weight
    for t in range(3):
        base = _C_TRK0 + 6 * t
        p = math.sqrt(tracks[t, _T_PX] ** 2 + tracks[t, _T_PY] ** 2 + tracks[t, _T_PZ] ** 2)
        row[base] = tracks[t, _T_Q]
        row[base + 1] = tracks[t, _T_PX]
        row[base + 2] = tracks[t, _T_PY]
        row[base + 3] = tracks[t, _T_PZ]
        row[base + 4] = lkr_energy(state, table, accepted[t], g) / p
        row[base + 5] = 1.0 if muv[t] else 0.0
    xv, yv, zv, spread = three_track_vertex(tracks)
    row[_C_VTX] = xv
    row[_C_VTX + 1] = yv
    row[_C_VTX + 2] = zv
    row[_C_VTX + 3] = spread
    return stream


@jit
def _decays_in_flight(table, accepted, z):
    n = 0
    for t in range(3):
        if table[accepted[t], pt.DECAY_Z] < z:
            n += 1
    return n


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

    Same contract as :func:`analysis.experiments.na62.simulate_batch`.  For
    Monte Carlo, ``forced`` > 0 forces π± decays in flight before the MUV with
    that probability (importance sampling of K3π with π → μν decays, the LNV
    background); rows then carry weight = downscale × importance weight.

    The kaon's momentum and decay z, the three-track downscale and the deviates
    of :func:`draw_early` are drawn first: a K3π decay that the downscale drops
    and that cannot be dimuon-like (:func:`k3pi_may_be_dimuon`; 86% of those of
    the pseudo-data, about half of the Monte Carlo with forced pion decays) is
    counted, but neither its beam spot nor its decay is generated.
    """
    n_masses = masses.shape[0]
    for b in prange(n_blocks):
        g = geometry[0]
        block = first_block + b
        start = block * BLOCK_SIZE
        stop = min(start + BLOCK_SIZE, n_total)
        state = np.empty(4, np.uint64)
        seed_block(state, key, block)
        table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
        tracks = np.zeros((_MAX_TRACKS, _T_N))
        accepted = np.zeros(_MAX_TRACKS, np.int64)
        muv = np.zeros(3, np.bool_)
        u_muv = np.zeros(pt.MAX_PARTICLES)
        u_flight = np.zeros(EARLY_ROWS)
        rows = out[b]
        k = 0
        for ev in range(start, stop):
            code, m = dispatch.choose_event(state, codes, cumulative, n_masses)
            counters[b, m, 0] += 1
            px, py, pz, vz = kaon_momentum_and_z(state, g)
            if g.fiducial_z_min <= vz < g.fiducial_z_max:
                counters[b, m, 1] += 1
            # the three-track downscale first: an event it drops matters only if it
            # can still be dimuon-like, which most cannot (no pion decays in flight)
            d = g.trigger_downscale_three_track
            kept = d <= 1.0 or uniform(state) * d < 1.0
            draw_early(state, u_flight, u_muv)
            if (
                not kept
                and code == dispatch.K3PI
                and not k3pi_may_be_dimuon(g, px, py, pz, vz, u_flight, u_muv, forced)
            ):
                continue
            # the beam spot only for a decay that is generated
            e = energy(px, py, pz, M_K)
            x0, y0 = beam_spot(state, g)
            vx, vy = decay_point(g, px, py, pz, x0, y0, vz)
            kcharge = -1 if uniform(state) < g.beam_kminus_fraction else 1
            n = dispatch.generate(
                code, state, table, px, py, pz, e, vx, vy, vz, masses[m], g.signal_lifetime_ps
            )
            if kcharge < 0:
                charge_conjugate(table, n)
            for i in range(n):  # daughters of an N decaying beyond DCH1 leave no track
                if table[i, pt.Z] >= g.spectrometer_z_chambers_0:
                    table[i, pt.VISIBLE] = 0.0
            mc_weight = fly_to_muv3(state, table, n, g, forced, u_flight)
            n_possible = muon_signals_possible(state, table, n, g, u_muv, EARLY_ROWS)
            if not kept and n_possible < g.trigger_muons_min:
                continue
            if accepted_tracks(table, n, g, accepted, 3) != 3:
                continue
            row = rows[k]
            stream = trigger_and_record(state, table, g, tracks, accepted, muv, row, kept, u_muv)
            if stream == 0:
                continue
            row[0] = ev
            row[2] *= mc_weight
            c = _C_TRUTH
            row[c] = code
            row[c + 1] = vz
            row[c + 2] = masses[m]
            t_n = 0.0
            for i in range(n):
                if int(table[i, pt.PID]) == pt.HNL:
                    t_n = hnl_pimu.proper_time_ps(table, i)
            row[c + 3] = t_n
            row[c + 4] = math.sqrt(px * px + py * py + pz * pz)
            row[c + 5] = kcharge
            for t in range(3):
                row[c + 6 + t] = tracks[t, _T_PID]
            row[c + 9] = _decays_in_flight(table, accepted, g.muv3_z)
            k += 1
        n_out[b] = k
