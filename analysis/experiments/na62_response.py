"""NA62 detector response, per event.

The straw spectrometer (acceptance of the four chambers with their beam holes,
the MNP33 kick, momentum and slope resolution with non-Gaussian tails), the LKr
(E/p per particle species, extra clusters), the LAV, IRC/SAC and MUV3, and the
track finding the triggers start from.  The minimum-bias trigger itself is
:mod:`analysis.experiments.na62_trigger`.
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.detectors import calorimeter
from analysis.detectors.transport import position_at
from analysis.rng import NORMAL_MAX, normal, uniform

# scratch track record: q, px, py, pz, x1, y1, z1, j_lkr, root, muv3, pid_mag
_T_Q, _T_PX, _T_PY, _T_PZ, _T_X1, _T_Y1, _T_Z1, _T_JLKR, _T_ROOT, _T_MUV3, _T_PID = range(11)
_T_N = 11
_MAX_TRACKS = 4


@jit
def alive_at(table, i, z):
    """Row of the member of particle i's decay chain that is flying at plane z (−1 if none)."""
    j = i
    while table[j, pt.DECAY_Z] <= z:
        j = int(table[j, pt.CHILD])
        if j < 0:
            return -1
    return j


@jit
def _position(table, j, z, g):
    q = pt.charge(int(table[j, pt.PID]))
    return position_at(
        table[j, pt.X],
        table[j, pt.Y],
        table[j, pt.Z],
        table[j, pt.PX],
        table[j, pt.PY],
        table[j, pt.PZ],
        q,
        z,
        g.spectrometer_z_magnet,
        g.spectrometer_kick,
    )


@jit
def true_momentum_at_magnet(table, i, g):
    jm = alive_at(table, i, g.spectrometer_z_magnet)
    return pt.momentum(table, jm), jm


@jit
def chamber_planes(g):
    """z of the four straw chambers."""
    return (
        g.spectrometer_z_chambers_0,
        g.spectrometer_z_chambers_1,
        g.spectrometer_z_chambers_2,
        g.spectrometer_z_chambers_3,
    )


@jit
def in_acceptance(table, i, g):
    """Whether charged particle i (or its decay chain) crosses all four straw chambers.

    Slopes are computed once per member of the chain (divisions dominate the cost
    of this innermost check).
    """
    z_mag = g.spectrometer_z_magnet
    kick = g.spectrometer_kick
    hole_slope = kick / g.beam_momentum
    r_in2 = g.spectrometer_r_inner**2
    r_out2 = g.spectrometer_r_outer**2
    chambers = chamber_planes(g)
    member = -1
    tx = ty = tx_kicked = x0 = y0 = z0 = 0.0
    for c in range(4):
        zc = chambers[c]
        j = alive_at(table, i, zc)
        if j < 0:
            return False
        if j != member:
            member = j
            pz = table[j, pt.PZ]
            if pz <= 0.0:
                return False
            inv = 1.0 / pz
            tx = table[j, pt.PX] * inv
            ty = table[j, pt.PY] * inv
            tx_kicked = (table[j, pt.PX] + pt.charge(int(table[j, pt.PID])) * kick) * inv
            x0, y0, z0 = table[j, pt.X], table[j, pt.Y], table[j, pt.Z]
        if z0 < z_mag <= zc:
            x = x0 + tx * (z_mag - z0) + tx_kicked * (zc - z_mag)
        else:
            x = x0 + tx * (zc - z0)
        y = y0 + ty * (zc - z0)
        xc = hole_slope * (zc - z_mag) if zc > z_mag else 0.0
        r2 = (x - xc) ** 2 + y * y
        if r2 < r_in2 or r2 > r_out2:
            return False
    p_true, _ = true_momentum_at_magnet(table, i, g)
    return p_true >= g.spectrometer_p_min


@jit(inline="always")
def measured_momentum_min(p_true, g):
    """The lowest momentum :func:`measure_track` can return for a true momentum ``p_true``.

    The measurement is p(1 + σ z) with σ at most the tail's width and |z| at most
    :data:`analysis.rng.NORMAL_MAX`; a relative 10⁻⁹ covers the rounding.  A
    track whose bound lies above a momentum cut fails it whatever the deviates.
    """
    sigma_p = math.sqrt(
        g.spectrometer_sigma_p_const**2 + (g.spectrometer_sigma_p_slope * p_true) ** 2
    )
    return p_true * (1.0 - max(g.spectrometer_tail_scale, 1.0) * sigma_p * NORMAL_MAX - 1e-9)


@jit
def measure_track(state, table, i, g, trk):
    """Spectrometer measurement of an accepted charged particle i; fills ``trk``.

    Momentum from the particle crossing the magnet, slopes and position from the
    one crossing the first chamber (a decay in flight inside the spectrometer
    thus distorts the track as in the real fit), Gaussian resolution
    σ(p)/p = a ⊕ b·p with a non-Gaussian tail, slope resolution a ⊕ b/p.
    """
    p_true, jm = true_momentum_at_magnet(table, i, g)
    j1 = alive_at(table, i, g.spectrometer_z_chambers_0)
    x1, y1 = _position(table, j1, g.spectrometer_z_chambers_0, g)
    sigma_p = math.sqrt(
        g.spectrometer_sigma_p_const**2 + (g.spectrometer_sigma_p_slope * p_true) ** 2
    )
    if uniform(state) < g.spectrometer_tail_fraction:
        sigma_p *= g.spectrometer_tail_scale
    sigma_a = math.sqrt(
        g.spectrometer_sigma_angle_const**2 + (g.spectrometer_sigma_angle_ms / p_true) ** 2
    )
    p_meas = p_true * (1.0 + sigma_p * normal(state))
    tx = table[j1, pt.PX] / table[j1, pt.PZ] + sigma_a * normal(state)
    ty = table[j1, pt.PY] / table[j1, pt.PZ] + sigma_a * normal(state)
    pz = p_meas / math.sqrt(1.0 + tx * tx + ty * ty)
    trk[_T_Q] = pt.charge(int(table[i, pt.PID]))
    trk[_T_PX] = tx * pz
    trk[_T_PY] = ty * pz
    trk[_T_PZ] = pz
    trk[_T_X1] = x1
    trk[_T_Y1] = y1
    trk[_T_Z1] = g.spectrometer_z_chambers_0
    trk[_T_JLKR] = alive_at(table, i, g.lkr_z)
    trk[_T_ROOT] = i
    trk[_T_PID] = table[jm, pt.PID]
    trk[_T_MUV3] = 0.0


@jit
def _lkr_impact(table, j, g):
    if j < 0 or table[j, pt.PZ] <= 0.0:
        return False, 0.0, 0.0
    x, y = _position(table, j, g.lkr_z, g)
    r2 = x * x + y * y
    return g.lkr_r_inner**2 <= r2 <= g.lkr_r_outer**2, x, y


@jit
def reaches_lkr(table, j, g):
    """Whether particle j, flying on, hits the LKr outside its beam hole."""
    ok, _, _ = _lkr_impact(table, j, g)
    return ok


@jit
def pion_lkr_deposit(state, p, g, u=-1.0, v=0.0):
    """LKr deposit (≥ 0) of a charged pion of momentum p that reaches the LKr.

    ``u``, ``v``: its deviates if drawn in advance
    (:func:`analysis.detectors.calorimeter.pion_deposit`).
    """
    e = calorimeter.pion_deposit(
        state,
        p,
        g.lkr_mip_energy,
        g.lkr_mip_width,
        g.lkr_pion_noninteracting,
        g.lkr_pion_shower_mean,
        g.lkr_pion_shower_sigma,
        g.lkr_pion_shower_max_eop,
        u,
        v,
    )
    return max(e, 0.0)


@jit
def lkr_energy(state, table, i, g, u_catastrophic=-1.0, u_mip=-1.0, u_pion=-1.0, v_pion=0.0):
    """Energy deposited in the LKr by the member of i's chain reaching it (0 outside).

    A muon takes the deviates of its deposit from ``u_catastrophic`` and ``u_mip``
    where they were drawn in advance (:func:`analysis.detectors.calorimeter.muon_deposit`),
    a pion from ``u_pion`` and ``v_pion`` (:func:`pion_lkr_deposit`).
    """
    j = alive_at(table, i, g.lkr_z)
    ok, _, _ = _lkr_impact(table, j, g)
    if not ok:
        return 0.0
    p_true = pt.momentum(table, j)
    apid = abs(int(table[j, pt.PID]))
    if apid == 11:
        e = calorimeter.electron_deposit(
            state,
            table[j, pt.E],
            g.lkr_stochastic,
            g.lkr_noise,
            g.lkr_constant,
            g.lkr_electron_tail_fraction,
            g.lkr_electron_tail_max_loss,
        )
    elif apid == 13:
        e = calorimeter.muon_deposit(
            state,
            p_true,
            g.lkr_mip_energy,
            g.lkr_mip_width,
            g.lkr_muon_catastrophic_prob,
            u_catastrophic,
            u_mip,
        )
    else:
        return pion_lkr_deposit(state, p_true, g, u_pion, v_pion)
    return max(e, 0.0)


@jit
def _p(trk):
    return math.sqrt(trk[_T_PX] ** 2 + trk[_T_PY] ** 2 + trk[_T_PZ] ** 2)


# what reaches the MUV3 (:func:`muv3_reach`)
MUV_NONE, MUV_MUON, MUV_PION = 0, 1, 2


@jit
def _muv3_species(table, j, g):
    apid = abs(int(table[j, pt.PID]))
    if apid == 13 and pt.momentum(table, j) > g.muv3_p_min:
        return MUV_MUON
    if apid == 211:
        return MUV_PION
    return MUV_NONE


@jit
def muv3_reach(table, i, g):
    """What of particle i's decay chain crosses the active area of MUV3: MUV_* code.

    A muon above ``muv3.p_min`` (which then fires with the muon efficiency), a
    pion (which fires only by punching through), or nothing that can fire.
    """
    j = alive_at(table, i, g.muv3_z)
    if j < 0 or table[j, pt.PZ] <= 0.0:
        return MUV_NONE
    x, y = _position(table, j, g.muv3_z, g)
    if abs(x) > g.muv3_half_size or abs(y) > g.muv3_half_size or x * x + y * y < g.muv3_r_hole**2:
        return MUV_NONE
    return _muv3_species(table, j, g)


@jit
def muv3_fires(species, u, g):
    """Whether MUV3 fires for what reaches it (:func:`muv3_reach`), given a uniform deviate u."""
    if species == MUV_MUON:
        return u < g.muv3_muon_efficiency
    if species == MUV_PION:
        return u < g.muv3_pion_punch_through
    return False


@jit
def muv3_may_fire(table, i, g, u):
    """Whether MUV3 could fire for particle i given u, wherever the chain crosses its plane.

    An upper bound of ``muv3_fires(muv3_reach(table, i, g), u, g)`` that needs no
    track position: events that cannot have enough muon signals are known
    before their tracks are followed through the detector.
    """
    j = alive_at(table, i, g.muv3_z)
    if j < 0 or table[j, pt.PZ] <= 0.0:
        return False
    return muv3_fires(_muv3_species(table, j, g), u, g)


@jit
def muv3_signal(state, table, i, g):
    """Whether MUV3 fires for charged particle i's chain (one uniform drawn if it can)."""
    species = muv3_reach(table, i, g)
    if species == MUV_NONE:
        return False
    return muv3_fires(species, uniform(state), g)


@jit
def track_muv3(state, table, trk, g):
    """Whether the fast muon veto MUV3 fires for a measured track (see :func:`muv3_signal`)."""
    return muv3_signal(state, table, int(trk[_T_ROOT]), g)


# veto detectors a particle that is not a track can reach (:func:`veto_target`)
VETO_NONE, VETO_IRC_SAC, VETO_LKR, VETO_LAV = 0, 1, 2, 3


@jit
def veto_target(table, i, tracks, n_tracks, g):
    """Which veto detector particle i (not one of the tracks) reaches: VETO_* code.

    Photons and charged particles outside the spectrometer acceptance are projected
    to the LKr plane: inside the beam hole they reach the IRC/SAC, inside the LKr
    they make a cluster (unless within ``cluster_separation`` of a track impact,
    where a photon merges with the track's cluster: unseen, or seen as if it were a
    cluster where ``lkr.merged_photon_seen``), beyond it the LAV sees them up to
    ``lav.angle_max``.
    """
    if table[i, pt.VISIBLE] == 0.0 or table[i, pt.PZ] <= 0.0:
        return VETO_NONE
    pid = int(table[i, pt.PID])
    for t in range(n_tracks):
        if int(tracks[t, _T_ROOT]) == i:
            return VETO_NONE
    if pid != pt.PHOTON and pt.charge(pid) == 0:
        return VETO_NONE
    # photons fly straight; charged particles that missed the straws (e.g. the
    # e± of a π0 Dalitz decay) are deflected by the magnet on their way
    x, y = _position(table, i, g.lkr_z, g)
    r2 = x * x + y * y
    if r2 < g.lkr_r_inner**2:
        return VETO_IRC_SAC
    if r2 <= g.lkr_r_outer**2:
        for t in range(n_tracks):
            ok, tx, ty = _lkr_impact(table, int(tracks[t, _T_JLKR]), g)
            if ok and (tx - x) ** 2 + (ty - y) ** 2 < g.lkr_cluster_separation**2:
                if pid == pt.PHOTON and g.lkr_merged_photon_seen > 0.0:
                    return VETO_LKR
                return VETO_NONE
        return VETO_LKR
    theta = math.sqrt(table[i, pt.PX] ** 2 + table[i, pt.PY] ** 2) / table[i, pt.PZ]
    if theta < g.lav_angle_max:
        return VETO_LAV
    return VETO_NONE


@jit
def _veto_response(target, energy, g):
    """(armed, inefficiency) of veto ``target`` for a particle of ``energy``.

    A detector is armed above its energy threshold; it then misses the particle
    with the inefficiency.
    """
    if target == VETO_IRC_SAC:
        return energy > g.irc_sac_threshold, g.irc_sac_inefficiency
    if target == VETO_LKR:
        ineff = calorimeter.photon_inefficiency(
            energy,
            g.lkr_photon_threshold,
            g.lkr_photon_inefficiency_edges_0,
            g.lkr_photon_inefficiency_edges_1,
            g.lkr_photon_inefficiency_0,
            g.lkr_photon_inefficiency_1,
            g.lkr_photon_inefficiency_2,
        )
        return energy >= g.lkr_photon_threshold, ineff
    if target == VETO_LAV:
        return energy > g.lav_threshold, g.lav_inefficiency
    return False, 1.0


@jit
def vetoes(state, table, n_primary, tracks, n_tracks, g):
    """Extra LKr clusters, LAV and IRC/SAC signals from particles that are not tracks.

    Each detector (:func:`veto_target`) has an energy threshold and an
    inefficiency (:func:`_veto_response`); one uniform draw per armed detector.
    """
    n_extra = 0
    lav = False
    irc = False
    for i in range(n_primary):
        target = veto_target(table, i, tracks, n_tracks, g)
        armed, ineff = _veto_response(target, table[i, pt.E], g)
        if armed and uniform(state) >= ineff:
            if target == VETO_IRC_SAC:
                irc = True
            elif target == VETO_LKR:
                n_extra += 1
            else:
                lav = True
    return min(n_extra, 255), lav, irc


@jit
def veto_silence_probability(table, n_primary, tracks, n_tracks, g, factor=1.0, cut=-1.0):
    """Probability that no veto fires: the product of the inefficiencies of :func:`vetoes`.

    The factorised form of the photon and multiplicity vetoes, used as an event
    weight by Monte Carlo that cannot afford to sample rejections of 1e-8.
    A caller that only compares ``factor`` × the probability with ``cut`` gets the
    partial product as soon as ``factor`` × it is ≤ ``cut``: the product of
    factors ≤ 1 only falls (with rounding too), so the comparison is the same.
    """
    prob = 1.0
    for i in range(n_primary):
        armed, ineff = _veto_response(veto_target(table, i, tracks, n_tracks, g), table[i, pt.E], g)
        if armed:
            prob *= ineff
            if prob * factor <= cut:
                return prob
    return prob


@jit
def beam_axis_vertex(trk):
    """Closest approach of the (upstream) track line to the nominal beam axis: (z, cda)."""
    tx = trk[_T_PX] / trk[_T_PZ]
    ty = trk[_T_PY] / trk[_T_PZ]
    x1, y1 = trk[_T_X1], trk[_T_Y1]
    t2 = tx * tx + ty * ty
    d = -(x1 * tx + y1 * ty) / t2 if t2 > 0.0 else 0.0
    xd, yd = x1 + tx * d, y1 + ty * d
    return trk[_T_Z1] + d, math.sqrt(xd * xd + yd * yd)


@jit
def _is_charged_visible(table, i):
    return table[i, pt.VISIBLE] != 0.0 and pt.charge(int(table[i, pt.PID])) != 0


@jit
def accepted_tracks(table, n_primary, g, accepted, needed):
    """Charged particles crossing the spectrometer: rows into ``accepted``; returns the count.

    Counting stops at ``len(accepted) + 1`` (the trigger wants at most
    ``len(accepted)`` tracks) and as soon as fewer than ``needed`` tracks can
    still be found; the count returned is then below ``needed``.
    """
    n_left = 0
    for i in range(n_primary):
        if _is_charged_visible(table, i):
            n_left += 1
    n_tracks = 0
    for i in range(n_primary):
        if not _is_charged_visible(table, i):
            continue
        n_left -= 1
        if in_acceptance(table, i, g):
            if n_tracks == accepted.shape[0]:
                return n_tracks + 1
            accepted[n_tracks] = i
            n_tracks += 1
        elif n_tracks + n_left < needed:
            return n_tracks
    return n_tracks
