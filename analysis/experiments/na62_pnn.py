"""NA62 in its 2016 K+ → π+νν̄ run: beam tracker, kaon tagger, RICH, PID and the PNN trigger.

The experiment is ``na62`` (the apparatus of :mod:`analysis.experiments.na62`);
this module is its ``pnn`` run.  One call of :func:`simulate_batch` takes whole
blocks of K+ decays through

1. the beam and the decay (:func:`analysis.experiments.na62.kaon_momentum_and_z`,
   :mod:`analysis.decays`), π/μ decays in flight;
2. the straw spectrometer (one positive track in its acceptance, also inside the
   LKr and MUV3), the GTK measurement of the beam particle associated with it —
   with probability ``gtk.mismatch_probability`` an accidental beam particle of
   the pile-up rather than the kaon —, the KTAG, and the RICH Cherenkov angle;
3. the veto and identification conditions of the PNN stream: no signal in the
   photon and multiplicity vetoes (LKr, LAV, IRC/SAC;
   :func:`~analysis.experiments.na62_response.veto_silence_probability`), no MUV3
   signal, no extra charged particle in the straw chambers (multiplicity), a
   pion-like calorimetric response, no accidental (random) veto and the PNN
   trigger efficiency.

For the pseudo-data these conditions are drawn event by event, so it stays a
Poisson realisation of the model: one deviate, drawn right after the kaon's
momentum and decay z, keeps the event when it lies below the product of their
probabilities; a decay whose deviate is above any such product
(:func:`analysis.experiments.na62_pnn_pid.pnn_pass_bound`, about half of
them) is counted but not generated.  Above the identification probability of any
lepton (:func:`~analysis.experiments.na62_pnn_pid.lepton_pid_max`) only a pion
reaching the MUV3 can pass, so the π+ of a K+ → π+π0 decay is drawn first and
the rest of the decay only when, flying undecayed, it could fire the trigger
(momentum range, straw chambers) and be identified (LKr and MUV3 acceptance).
Monte Carlo (``run.weighted``) writes every event of the trigger acceptance and
carries the probabilities of passing them as ``true_w_veto`` and ``true_w_pid``:
rejections of 1e-7–1e-8 factorise into kinematics × veto inefficiency ×
identification, which no brute-force sample could populate.  The minimum-bias
stream (``run.trigger`` 2) writes every event of the trigger acceptance without
veto or identification condition.

Every stream writes only events inside the loose ranges of the selection
(``preselection``: vertex z and straw momentum), judged after the last random
draw, so that the events written do not depend on it.  While ``blind.enabled``,
pseudo-data events in the signal boxes (15 < p < 35
GeV/c and m²_miss in Region 1 or 2) are never written.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from analysis import particles as pt
from analysis._jit import jit, pjit
from analysis.constants import M_K, M_PI
from analysis.decays import dispatch, inflight, k2pi
from analysis.experiments import na62_layout
from analysis.experiments.geometry import flatten, geometry_type, load_table
from analysis.experiments.na62 import beam_spot, decay_point, kaon_at_start, kaon_momentum_and_z
from analysis.experiments.na62_pnn_pid import (
    cherenkov_angle,
    in_pid_acceptance,
    lepton_pid_max,
    pion_id_probability,
    pnn_pass_bound,
    rich_importance,
)
from analysis.experiments.na62_response import (
    _T_JLKR,
    _T_N,
    _T_PX,
    _T_PY,
    _T_PZ,
    _T_ROOT,
    _T_X1,
    _T_Y1,
    _T_Z1,
    _position,
    accepted_tracks,
    alive_at,
    chamber_planes,
    in_acceptance,
    measure_track,
    true_momentum_at_magnet,
    veto_silence_probability,
)
from analysis.kinematics import energy, mass_squared
from analysis.rng import BLOCK_SIZE, normal, seed_block, uniform

NAME = "na62_pnn"


def _merged_table() -> dict:
    """na62.yaml with the 2016 sections of na62_pnn.yaml merged in (key by key)."""
    table = load_table("na62")
    for section, values in load_table(NAME).items():
        if section in table:
            unknown = sorted(set(values) - set(table[section]))
            if unknown:
                raise ValueError(f"{NAME}.yaml: unknown key(s) of [{section}]: {unknown}")
            table[section] = {**table[section], **values}
        else:
            table[section] = values
    return table


TABLE = _merged_table()
_FLAT = flatten(TABLE)
#: The geometry as a flat named tuple: the keys of na62.yaml plus the 2016 sections.
Geometry, make_geometry = geometry_type(_FLAT, "NA62 2016")

GEOMETRY = make_geometry()
#: The geometry as the one-element record array the kernels take (any geometry tuple).
geometry_record = na62_layout.geometry_record


STREAM_PNN, STREAM_MINBIAS = 1, 2

#: Reconstructed single-track events (name, dtype): the schema real data must follow.
RECO_COLUMNS = [
    ("event", np.uint64),
    ("stream", np.uint8),
    ("weight", np.float32),
    # the positive straw track (GeV/c) and the GTK beam track associated with it
    ("px", np.float64),
    ("py", np.float64),
    ("pz", np.float64),
    ("gtk_px", np.float64),
    ("gtk_py", np.float64),
    ("gtk_pz", np.float64),
    # vertex: closest approach of the beam and straw tracks (m)
    ("z_vtx", np.float32),
    ("cda", np.float32),
    ("ktag", np.bool_),
    ("rich_theta", np.float32),  # Cherenkov angle (rad), NaN without a ring
]
#: Monte Carlo truth: channel, decay z, kaon and track momenta, the species
#: crossing the magnet, whether the GTK track is an accidental, and the
#: probabilities of passing the vetoes and the pion identification.
TRUTH_COLUMNS = [
    ("true_channel", np.uint8),
    ("true_z", np.float32),
    ("true_pk", np.float32),
    ("true_p", np.float32),
    ("true_pid_1", np.int32),
    ("true_gtk_mismatch", np.bool_),
    ("true_w_veto", np.float64),
    ("true_w_pid", np.float32),
]
COLUMNS = RECO_COLUMNS + TRUTH_COLUMNS
N_OUT = len(COLUMNS)
_C = {name: i for i, (name, _) in enumerate(COLUMNS)}
_C_TRK = _C["px"]
_C_GTK = _C["gtk_px"]
_C_TRUTH = _C["true_channel"]


@jit
def gtk_measurement(state, px, py, pz, x, y, g):
    """The GTK measurement of a beam particle (momentum, slopes, position at GTK3)."""
    p = math.sqrt(px * px + py * py + pz * pz) + g.gtk_sigma_p * normal(state)
    tx = px / pz + g.gtk_sigma_angle * normal(state)
    ty = py / pz + g.gtk_sigma_angle * normal(state)
    mz = p / math.sqrt(1.0 + tx * tx + ty * ty)
    xm = x + g.gtk_sigma_position * normal(state)
    ym = y + g.gtk_sigma_position * normal(state)
    return tx * mz, ty * mz, mz, xm, ym


@jit
def closest_approach(x1, y1, z1, tx1, ty1, x2, y2, z2, tx2, ty2):
    """Vertex z and distance of closest approach of two straight lines given by slopes."""
    # points r_i(z) = (x_i + tx_i (z − z_i), y_i + ty_i (z − z_i)); minimise |r1 − r2|² in z
    dx0 = (x1 - tx1 * z1) - (x2 - tx2 * z2)
    dy0 = (y1 - ty1 * z1) - (y2 - ty2 * z2)
    dtx = tx1 - tx2
    dty = ty1 - ty2
    d2 = dtx * dtx + dty * dty
    z = -(dx0 * dtx + dy0 * dty) / d2 if d2 > 0.0 else z1
    dx = dx0 + dtx * z
    dy = dy0 + dty * z
    return z, math.sqrt(dx * dx + dy * dy)


@jit
def multiplicity_silence_probability(table, n_primary, i, g):
    """P(no multiplicity veto): other charged particles leaving hits in a straw chamber.

    A charged particle other than the track ``i`` that crosses the active area of
    at least one straw chamber (a partial track, or segments in several chambers)
    is seen with probability 1 − ``multiplicity.inefficiency``.
    """
    prob = 1.0
    r_in2 = g.spectrometer_r_inner**2
    r_out2 = g.spectrometer_r_outer**2
    chambers = chamber_planes(g)
    for k in range(n_primary):
        if k == i or table[k, pt.VISIBLE] == 0.0 or pt.charge(int(table[k, pt.PID])) == 0:
            continue
        for zc in chambers:
            j = alive_at(table, k, zc)
            if j < 0 or table[j, pt.PZ] <= 0.0:
                break
            x, y = _position(table, j, zc, g)
            if r_in2 <= x * x + y * y <= r_out2:
                prob *= g.multiplicity_inefficiency
                break
    return prob


def lepton_pid_bound(g: Geometry = GEOMETRY) -> float:
    """Upper bound of :func:`pion_id_probability` for a track that is a lepton (μ or e).

    Decays whose only positive track is a lepton (K_μ2, K_e2, K_e3, K_μ3) reach the
    PNN stream with at most this probability, so their pseudo-data is simulated as
    the exact binomial thinning by it (:func:`analysis.samples.plan_pnn`).
    """
    return lepton_pid_max.py_func(g)


@jit
def trigger_track(table, n, g, accepted):
    """The track of the PNN trigger and the row of the particle crossing the magnet.

    One track in the straw acceptance, positive, with the momentum of the particle
    crossing the magnet inside the trigger's range, and inside the LKr and MUV3
    acceptance; ``(-1, -1)`` when the event has none.  ``accepted`` is scratch.
    """
    if accepted_tracks(table, n, g, accepted, 1) != 1:
        return -1, -1
    i = accepted[0]
    if pt.charge(int(table[i, pt.PID])) <= 0:
        return -1, -1
    p_online, jm = true_momentum_at_magnet(table, i, g)
    if not (g.pnn_trigger_p_min <= p_online <= g.pnn_trigger_p_max):
        return -1, -1
    if not in_pid_acceptance(table, i, g):
        return -1, -1
    return i, jm


@jit
def pion_may_trigger(px, py, pz, g):
    """Whether a π+ of this momentum can be inside the PNN trigger's momentum range.

    The trigger takes the momentum of the particle crossing the magnet, which is
    the π+'s own unless it decayed before; a margin of 10⁻⁹ GeV/c covers rounding.
    """
    p = math.sqrt(px * px + py * py + pz * pz)
    return g.pnn_trigger_p_min - 1e-9 <= p <= g.pnn_trigger_p_max + 1e-9


@jit
def in_blind_box(m2, p, g):
    """Whether (m²_miss, p) lies in a signal box of the blind analysis."""
    if not (g.blind_p_lo < p < g.blind_p_hi):
        return False
    return (g.blind_r1_lo < m2 < g.blind_r1_hi) or (g.blind_r2_lo < m2 < g.blind_r2_hi)


@jit
def in_peak(m2, g):
    """Whether m²_miss lies in a background peak (K2π, K_μ2 or K3π) sampled by the MC."""
    return (
        g.importance_k2pi_lo < m2 < g.importance_k2pi_hi
        or m2 < g.importance_kmu2_hi
        or m2 > g.importance_k3pi_lo
    )


@jit
def m2_miss(kx, ky, kz, px, py, pz, mass):
    """(P_K − P)² (GeV²/c⁴) with the kaon and track masses m_K and ``mass``."""
    e = energy(kx, ky, kz, M_K) - energy(px, py, pz, mass)
    return mass_squared(kx - px, ky - py, kz - pz, e)


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
    """Simulate blocks ``first_block … first_block + n_blocks − 1`` (see the module docstring).

    Same interface as :func:`analysis.experiments.na62.simulate_batch`.
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
        tracks = np.zeros((1, _T_N))
        accepted = np.zeros(1, np.int64)
        rows = out[b]
        weighted = g.run_weighted > 0.0
        pnn = g.run_trigger == 1.0
        blind = g.blind_enabled > 0.0 and not weighted
        draw_first = pnn and not weighted
        u_max = pnn_pass_bound(g)
        u_lepton = lepton_pid_max(g)
        k = 0
        for ev in range(start, stop):
            code, m = dispatch.choose_event(state, codes, cumulative, n_masses)
            counters[b, m, 0] += 1
            kx, ky, kz, vz = kaon_momentum_and_z(state, g)
            if g.fiducial_z_min <= vz < g.fiducial_z_max:
                counters[b, m, 1] += 1
            u = -1.0
            if draw_first:
                # pseudo-data: the deviate of the stream's decision (on the thinned
                # stream of the leptonic channels, whose pass probability never
                # exceeds run.thinning) before the decay, which need not be
                # generated when no event could pass with it
                u = uniform(state) * g.run_thinning
                if u >= u_max:
                    continue
            ek = energy(kx, ky, kz, M_K)
            if code == dispatch.K2PI and u >= u_lepton:
                # pseudo-data, K+ → π+π0 with a deviate above any lepton's
                # identification probability: only the π+ itself, reaching the
                # MUV3, can pass — the π+ is drawn first and the decay dropped
                # unless, undecayed, it could trigger and be identified
                pion = k2pi.draw_pion(state, kx, ky, kz, ek)
                if not pion_may_trigger(pion[0], pion[1], pion[2], g):
                    continue
                x0, y0 = beam_spot(state, g)
                vx, vy = decay_point(g, kx, ky, kz, x0, y0, vz)
                pt.add(table, 0, pion[0], pion[1], pion[2], pion[3], vx, vy, vz, pt.PI_PLUS, True)
                if not (in_acceptance(table, 0, g) and in_pid_acceptance(table, 0, g)):
                    continue
                n_primary = k2pi.generate_from_pion(
                    state, table, 0, kx, ky, kz, ek, vx, vy, vz, pion
                )
            else:
                x0, y0 = beam_spot(state, g)
                vx, vy = decay_point(g, kx, ky, kz, x0, y0, vz)
                n_primary = dispatch.generate(
                    code, state, table, kx, ky, kz, ek, vx, vy, vz, masses[m], -1.0
                )
            _, mc_weight = inflight.propagate(
                state,
                table,
                n_primary,
                g.muv3_z,
                g.spectrometer_z_magnet,
                g.spectrometer_kick,
                forced,
            )
            i, jm = trigger_track(table, n_primary, g, accepted)
            if i < 0:
                continue
            w_veto = 1.0
            w_pid = 1.0
            if pnn:
                # pseudo-data: the decision with the deviate drawn first; an event
                # already lost on its identification (w_veto ≤ 1: a muon, a
                # positron) skips the vetoes
                w_pid = pion_id_probability(table, i, g)
                if u >= w_pid:
                    continue
                # the vetoes need the track's particle and its LKr impact only
                tracks[0, _T_ROOT] = i
                tracks[0, _T_JLKR] = alive_at(table, i, g.lkr_z)
                # with the random veto and the trigger efficiency (online conditions);
                # every factor is ≤ 1, so an event lost on a partial product is lost
                w_veto = veto_silence_probability(table, n_primary, tracks, 1, g, w_pid, u)
                if u >= w_veto * w_pid:
                    continue
                w_veto = (
                    w_veto
                    * multiplicity_silence_probability(table, n_primary, i, g)
                    * (1.0 - g.pid_random_veto)
                    * g.pnn_trigger_efficiency
                )
                if u >= w_veto * w_pid:
                    continue
            measure_track(state, table, i, g, tracks[0])
            # the beam track associated with the pion: the kaon, or a pile-up accidental
            mismatch = uniform(state) < g.gtk_mismatch_probability
            if mismatch:  # an independent beam particle (its decay point is not used)
                bx, by, bz, bx0, by0, _ = kaon_at_start(state, g)
            else:
                bx, by, bz, bx0, by0 = kx, ky, kz, x0, y0
            gx, gy, gz, gx0, gy0 = gtk_measurement(state, bx, by, bz, bx0, by0, g)
            # the straw track is extrapolated back as a straight line (upstream of the magnet)
            tx = tracks[0, _T_PX] / tracks[0, _T_PZ]
            ty = tracks[0, _T_PY] / tracks[0, _T_PZ]
            z_vtx, cda = closest_approach(
                gx0,
                gy0,
                g.gtk_z,
                gx / gz,
                gy / gz,
                tracks[0, _T_X1],
                tracks[0, _T_Y1],
                tracks[0, _T_Z1],
                tx,
                ty,
            )
            px, py, pz = tracks[0, _T_PX], tracks[0, _T_PY], tracks[0, _T_PZ]
            p_meas = math.sqrt(px * px + py * py + pz * pz)
            m2 = m2_miss(gx, gy, gz, px, py, pz, M_PI)
            weight = g.run_downscale * mc_weight
            if weighted and g.importance_peak_downscale > 1.0 and in_peak(m2, g):
                # Monte Carlo keeps the tails whole and samples the peaks
                if uniform(state) * g.importance_peak_downscale >= 1.0:
                    continue
                weight *= g.importance_peak_downscale
            ktag = uniform(state) < g.ktag_efficiency
            jr = alive_at(table, i, g.rich_z)
            theta = np.nan
            if jr >= 0 and uniform(state) < g.rich_ring_efficiency:
                theta = cherenkov_angle(
                    pt.momentum(table, jr), pt.mass(int(table[jr, pt.PID])), g.rich_n_minus_1
                )
                if not math.isnan(theta):
                    if weighted and g.importance_rich > 0.0:
                        theta, w_rich = rich_importance(state, theta, p_meas, g)
                        weight *= w_rich
                    else:
                        theta += g.rich_sigma_theta * normal(state)
            # blinding last: every random draw is made, so the pseudo-data outside the
            # boxes is the same blind or unblinded
            if blind and in_blind_box(m2, p_meas, g):
                continue
            # the software preselection, also after every draw: events outside the
            # loose ranges of the selection are not written
            if not (
                g.preselection_z_lo <= z_vtx <= g.preselection_z_hi
                and g.preselection_p_lo <= p_meas <= g.preselection_p_hi
            ):
                continue
            row = rows[k]
            row[0] = ev
            row[1] = g.run_trigger
            row[2] = weight
            row[_C_TRK] = px
            row[_C_TRK + 1] = py
            row[_C_TRK + 2] = pz
            row[_C_GTK] = gx
            row[_C_GTK + 1] = gy
            row[_C_GTK + 2] = gz
            row[_C_GTK + 3] = z_vtx
            row[_C_GTK + 4] = cda
            row[_C_GTK + 5] = 1.0 if ktag else 0.0
            row[_C_GTK + 6] = theta
            row[_C_TRUTH] = code
            row[_C_TRUTH + 1] = vz
            row[_C_TRUTH + 2] = math.sqrt(kx * kx + ky * ky + kz * kz)
            row[_C_TRUTH + 3] = pt.momentum(table, jm)
            row[_C_TRUTH + 4] = table[jm, pt.PID]
            row[_C_TRUTH + 5] = 1.0 if mismatch else 0.0
            row[_C_TRUTH + 6] = w_veto
            row[_C_TRUTH + 7] = w_pid
            k += 1
        n_out[b] = k
