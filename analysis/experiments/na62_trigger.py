"""NA62 minimum-bias trigger and software filter, per event.

Decides which events are written and with which downscale weight, on top of the
detector response of :mod:`analysis.experiments.na62_response`: single-track
events are classified by E/p (positron-like or control), three-track events
form the downscaled K3π stream; the software (L3) filter downscales events
without a muon-veto signal and muon events in the K_μ2 peak.

K+ → μ+ν, the most frequent decay, is mostly dropped by a downscale: its
deviates that decide the trigger are drawn before the decay is generated
(:func:`draw_early_kmu2`), and a decay that no direction could get written
(:func:`kmu2_may_be_written`) is counted but not generated.  Without the
software filter, a K+ → π+π0 decay likewise draws its trigger deviates first,
then its π+ where they leave the decision open, and is generated in full only
if it could be written (:func:`k2pi_decision`, :func:`k2pi_pion_may_be_written`).
"""

from __future__ import annotations

import math

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import BR_PI0_DALITZ, CTAU_MU, CTAU_PI, M_K, M_MU, M_PI
from analysis.decays import k2pi, kl2
from analysis.detectors import calorimeter
from analysis.experiments.na62_layout import (
    C_CDA,
    C_IRC,
    C_LAV,
    C_LKR,
    C_NTRK,
    C_STREAM,
    C_TPID,
    C_TRK0,
    C_WEIGHT,
    C_ZVTX,
    STREAM_CONTROL,
    STREAM_POSITRON,
    STREAM_THREE_TRACK,
)
from analysis.experiments.na62_response import (
    _T_MUV3,
    _T_PID,
    _T_PX,
    _T_PY,
    _T_PZ,
    _T_Q,
    _p,
    beam_axis_vertex,
    in_acceptance,
    lkr_energy,
    measure_track,
    muv3_signal,
    pion_lkr_deposit,
    reaches_lkr,
    track_muv3,
    true_momentum_at_magnet,
    vetoes,
)
from analysis.kinematics import energy, mass_squared
from analysis.rng import drawn_or_uniform, uniform


@jit
def _write_tracks(row, tracks, n_tracks):
    for t in range(3):
        base = C_TRK0 + 6 * t
        if t < n_tracks:
            row[base] = tracks[t, _T_Q]
            row[base + 1] = tracks[t, _T_PX]
            row[base + 2] = tracks[t, _T_PY]
            row[base + 3] = tracks[t, _T_PZ]
            row[base + 5] = tracks[t, _T_MUV3]
        else:
            for c in range(6):
                row[base + c] = np.nan if c in (1, 2, 3, 4) else 0.0


#: Deviates of an event drawn before its decay is generated.  K_μ2
#: (:func:`draw_early_kmu2`), in this order: the muon's decay in flight
#: (:func:`analysis.decays.inflight.propagate`), the trigger's downscale (the
#: software filter where it runs, else the control downscale) and the muon's
#: LKr deposit (catastrophic bremsstrahlung, MIP tail).  K+ → π+π0
#: (:func:`draw_early_k2pi`): the control downscale, the π0 decay mode, the π+'s
#: decay in flight and its LKr deposit (:func:`pion_lkr_deposit`: whether it
#: interacts, then its MIP or shower deviate).  −1: not drawn.
E_FLIGHT, E_TRIGGER, E_CATASTROPHIC, E_MIP, E_PI0, E_PION_U, E_PION_V = range(7)
N_EARLY = 7

#: Mean flight of a muon and of a pion per GeV/c of momentum, cτ/m (m).
_MUON_FLIGHT = CTAU_MU / M_MU
_PION_FLIGHT = CTAU_PI / M_PI


@jit(inline="always")
def _filtering(g):
    return g.trigger_downscale_no_muon > 1.0 or g.trigger_downscale_kmu2_peak > 1.0


@jit(inline="always")
def draw_early_kmu2(state, g, early):
    """Draw the deviates of :data:`E_FLIGHT` … of a K+ → μ+ν event, in that order.

    With the software filter (NA62-RK) the decision needs only the first two;
    the LKr deviates are then left to be drawn when needed.
    """
    flight, trigger = uniform(state), uniform(state)
    catastrophic = mip = -1.0
    if not _filtering(g):
        catastrophic, mip = uniform(state), uniform(state)
    # stored after the draws: a store into ``early`` would make the compiler
    # reload the generator state from memory
    early[E_FLIGHT], early[E_TRIGGER] = flight, trigger
    early[E_CATASTROPHIC], early[E_MIP] = catastrophic, mip


@jit(inline="always")
def kmu2_may_be_written(g, px, py, pz, vz, early):
    """Whether a K+ → μ+ν decay of this kaon could be written, given its early deviates.

    Decided from the kaon and :func:`draw_early_kmu2` alone, before the decay is
    generated; False only where every decay direction gives an event the trigger
    drops, so skipping those events changes nothing in the output.  The muon
    flies with p_z ≥ :func:`analysis.decays.kl2.kmu2_muon_pz_min`, so it cannot
    decay before a plane ΔZ downstream when u_flight·λ_min ≥ ΔZ (the flight is
    −λ ln(1 − u) ≥ λu).

    * With the software filter (NA62-RK), an event is dropped when both of its
      downscales drop it and its muon is in the K_μ2 peak whatever the decay
      direction (:func:`analysis.decays.kl2.nominal_m2_miss_within`, the muon
      alive at the magnet).
    * Without it (NA62 2015), a single track is written when positron-like or
      when the control downscale keeps it; the muon cannot be positron-like when
      it reaches the LKr undecayed, without catastrophic bremsstrahlung, and with
      a MIP deposit below E/p·p_min: the deposit −ln u grows above x only for
      u < e^(−x) ≤ 1/(1 + x), and a logarithm is taken only in that rare case.
    """
    pz_min = kl2.kmu2_muon_pz_min(px, py, pz)
    lam_min = pz_min * _MUON_FLIGHT  # decay_length(pz_min, M_MU, CTAU_MU), without a division
    if _filtering(g):
        d = min(g.trigger_downscale_no_muon, g.trigger_downscale_kmu2_peak)
        if d <= 1.0 or early[E_TRIGGER] * d < 1.0:
            return True
        if early[E_FLIGHT] * lam_min < g.spectrometer_z_magnet - vz:
            return True
        peak = g.trigger_kmu2_peak_m2 * (1.0 - 1e-9)  # a margin for rounding
        e = energy(px, py, pz, M_K)
        return not kl2.nominal_m2_miss_within(px, py, pz, e, g.beam_momentum, kl2.KMU2_P_STAR, peak)
    if early[E_TRIGGER] * g.trigger_downscale_control < 1.0:
        return True
    if early[E_FLIGHT] * lam_min < g.lkr_z - vz:
        return True
    if early[E_CATASTROPHIC] < g.lkr_muon_catastrophic_prob:
        return True
    # the MIP deposit E_mip + w(x − 1), x = −ln u, must exceed eop·p ≥ eop·p_min:
    # x > x_max = 1 + margin/w; since −ln u ≤ 1/u − 1, u(1 + x_max) ≥ 1 rules it out
    w = g.lkr_mip_width
    margin = g.trigger_eop_positron_like * pz_min - g.lkr_mip_energy
    u = early[E_MIP]
    if u * (2.0 * w + margin) >= w:
        return False
    return w * (-math.log(u) - 1.0) > margin


@jit(inline="always")
def early_k2pi(g):
    """Whether the chain decides on a K+ → π+π0 decay early: the trigger without software filter."""
    return not _filtering(g)


@jit(inline="always")
def draw_early_k2pi(state, g, early):
    """Draw the deviates :data:`E_TRIGGER`, :data:`E_PI0`, :data:`E_FLIGHT`, :data:`E_PION_U`
    and :data:`E_PION_V` of a K+ → π+π0 event, in that order."""
    trigger, mode, flight = uniform(state), uniform(state), uniform(state)
    u, v = calorimeter.draw_pion_deposit(state, g.lkr_pion_noninteracting)
    early[E_TRIGGER], early[E_PI0], early[E_FLIGHT] = trigger, mode, flight
    early[E_PION_U], early[E_PION_V] = u, v


#: Outcomes of :func:`k2pi_decision`.
K2PI_DROP, K2PI_GENERATE, K2PI_ASK_PION = range(3)


@jit(inline="always")
def k2pi_decision(g, px, py, pz, vz, early):
    """The early decision on a K+ → π+π0 decay from its kaon and early deviates
    (:func:`draw_early_k2pi`): :data:`K2PI_DROP`, :data:`K2PI_GENERATE`, or
    :data:`K2PI_ASK_PION` — draw the π+ and ask :func:`k2pi_pion_may_be_written`.

    The event can be written only if the control downscale keeps it, or the π0
    decays into e+e−γ (with γγ the π+ is the only charged particle: one track
    at most, never the three-track stream), or the π+ is positron-like, which
    it cannot be when it reaches the LKr undecayed with a deposit below the
    positron-like E/p.  Here the π+ is not known yet: its flight −λ ln(1 − u) ≥ λu
    with λ = (p_z/m_π)cτ_π ≥ that of :func:`analysis.decays.k2pi.pion_pz_min`,
    and a shower's E/p is its fraction (to rounding, hence a 0.1% margin).
    """
    if early[E_TRIGGER] * g.trigger_downscale_control < 1.0 or early[E_PI0] < BR_PI0_DALITZ:
        return K2PI_GENERATE
    if early[E_FLIGHT] * k2pi.pion_pz_min(px, py, pz) * _PION_FLIGHT < g.lkr_z - vz:
        return K2PI_ASK_PION  # may decay before the LKr, depending on its p_z
    if early[E_PION_U] < g.lkr_pion_noninteracting:
        return K2PI_ASK_PION  # minimum ionising: E/p depends on the momentum
    f = g.lkr_pion_shower_mean + g.lkr_pion_shower_sigma * early[E_PION_V]
    return K2PI_ASK_PION if f >= 0.999 * g.trigger_eop_positron_like else K2PI_DROP


@jit
def k2pi_pion_may_be_written(state, table, g, pion, vx, vy, vz, early):
    """Whether a K+ → π+π0 decay at (vx, vy, vz) that :func:`k2pi_decision` could
    not drop could be written, now that its π+ is drawn
    (:func:`analysis.decays.k2pi.draw_pion`).

    False only where the π+ reaches the LKr undecayed (flight bound with its own
    p_z) and cannot be positron-like: its deposit — the same, from the same
    deviates, as the trigger's — is below the positron-like E/p, or it misses
    the LKr or the straw chambers.  The last check writes the π+ into row 0 of
    ``table``.
    """
    if early[E_FLIGHT] * pion[2] * _PION_FLIGHT < g.lkr_z - vz:
        return True
    p = math.sqrt(pion[0] ** 2 + pion[1] ** 2 + pion[2] ** 2)  # as particles.momentum
    deposit = pion_lkr_deposit(state, p, g, early[E_PION_U], early[E_PION_V])
    if deposit / p <= g.trigger_eop_positron_like:
        return False
    pt.add(table, 0, pion[0], pion[1], pion[2], pion[3], vx, vy, vz, pt.PI_PLUS, True)
    return reaches_lkr(table, 0, g) and in_acceptance(table, 0, g)


@jit
def _software_filter(state, table, jm, muon, g, u=-1.0):
    """Software (L3) filter of single-track events: 0 to drop the event, else its downscale.

    Events without a muon-veto signal are downscaled by ``trigger.downscale_no_muon``
    and muon events in the K_μ2 peak by ``trigger.downscale_kmu2_peak``; 1 switches
    a filter off (and draws nothing).  The filter runs on the on-line
    reconstruction, before the LKr read-out and the offline track fit: the peak
    is |m²_miss| < ``trigger.kmu2_peak_m2`` in the muon hypothesis with the
    nominal beam momentum and the momentum of the particle crossing the magnet,
    row ``jm`` of ``table`` (the on-line estimate, as for the E/p of the trigger).
    ``u`` is the downscale's deviate if drawn in advance.
    """
    if not muon:
        d = g.trigger_downscale_no_muon
    else:
        d = g.trigger_downscale_kmu2_peak
        if d > 1.0:
            px, py, pz = table[jm, pt.PX], table[jm, pt.PY], table[jm, pt.PZ]
            e_miss = energy(0.0, 0.0, g.beam_momentum, M_K) - energy(px, py, pz, M_MU)
            m2 = mass_squared(-px, -py, g.beam_momentum - pz, e_miss)
            if abs(m2) >= g.trigger_kmu2_peak_m2:
                d = 1.0
    if d <= 1.0:
        return 1.0
    return d if drawn_or_uniform(state, u) * d < 1.0 else 0.0


@jit
def trigger_and_record(state, table, n_primary, g, tracks, accepted, n_tracks, row, early):
    """Reconstruct an event and apply the minimum-bias trigger; returns the stream (0: rejected).

    Single-track events are classified by E/p, with the momentum at the magnet
    standing in for the online estimate; events that are not positron-like are
    downscaled *before* the offline measurement, as the trigger decides before
    reconstruction.  Kept events get the full measurement and are written into
    ``row`` with their downscale weight (truth columns are filled by the caller).
    ``tracks`` and ``accepted`` are per-block scratch arrays (no allocation per
    event); ``accepted`` holds the ``n_tracks`` rows found by :func:`accepted_tracks`.
    ``early`` holds the deviates drawn in advance (:data:`E_FLIGHT` …; −1 where not).
    """
    if n_tracks == 1:
        i = accepted[0]
        if pt.charge(int(table[i, pt.PID])) <= 0:
            return 0
        # the software filter (NA62-RK) runs first: an event it drops (19 in 20 K_mu2
        # decays in the peak) needs neither the LKr nor the track fit nor the vetoes
        p_online, jm = true_momentum_at_magnet(table, i, g)
        filtering = _filtering(g)
        muon = False
        factor = 1.0
        u_control = early[E_TRIGGER]
        if filtering:
            muon = muv3_signal(state, table, i, g)
            factor = _software_filter(state, table, jm, muon, g, u_control)
            if factor == 0.0:
                return 0
            u_control = -1.0
        # the deviates drawn early are those of a K_mu2 muon or of a K2pi pi+,
        # the only particle of its kind in the event
        u_muon, v_muon = early[E_CATASTROPHIC], early[E_MIP]
        energy = lkr_energy(state, table, i, g, u_muon, v_muon, early[E_PION_U], early[E_PION_V])
        if energy / p_online > g.trigger_eop_positron_like:
            stream, weight = STREAM_POSITRON, factor
        elif drawn_or_uniform(state, u_control) * g.trigger_downscale_control < 1.0:
            stream, weight = STREAM_CONTROL, factor * g.trigger_downscale_control
        else:
            return 0
        measure_track(state, table, i, g, tracks[0])
        z_vtx, cda = beam_axis_vertex(tracks[0])
        p = _p(tracks[0])
        if (
            not (g.trigger_z_min < z_vtx < g.trigger_z_max)
            or cda > g.trigger_cda_max
            or p > g.trigger_p_max
        ):
            return 0
        if not filtering:
            muon = muv3_signal(state, table, i, g)
        tracks[0, _T_MUV3] = 1.0 if muon else 0.0
        n_extra, lav, irc = vetoes(state, table, n_primary, tracks, 1, g)
        if stream == STREAM_POSITRON and (n_extra > 0 or lav or irc):
            # positron-like events with in-time photon activity (mostly K_e3) are
            # kept downscaled: the signal selection vetoes them anyway
            if uniform(state) * g.trigger_downscale_vetoed >= 1.0:
                return 0
            weight *= g.trigger_downscale_vetoed
        _write_tracks(row, tracks, 1)
        row[C_TRK0 + 4] = energy / p
    elif n_tracks == 3:
        q = 0
        for t in range(3):
            q += pt.charge(int(table[accepted[t], pt.PID]))
        if q != 1 or uniform(state) * g.trigger_downscale_three_track >= 1.0:
            return 0
        stream, weight = STREAM_THREE_TRACK, g.trigger_downscale_three_track
        z_vtx, cda = 0.0, 0.0
        for t in range(3):
            measure_track(state, table, accepted[t], g, tracks[t])
            zt, ct = beam_axis_vertex(tracks[t])
            z_vtx += zt / 3.0
            cda += ct / 3.0
            tracks[t, _T_MUV3] = 1.0 if track_muv3(state, table, tracks[t], g) else 0.0
        _write_tracks(row, tracks, 3)
        for t in range(3):
            row[C_TRK0 + 6 * t + 4] = lkr_energy(state, table, accepted[t], g) / _p(tracks[t])
        n_extra, lav, irc = vetoes(state, table, n_primary, tracks, 3, g)
    else:
        return 0
    row[C_STREAM] = stream
    row[C_WEIGHT] = weight
    row[C_NTRK] = n_tracks
    row[C_ZVTX] = z_vtx
    row[C_CDA] = cda
    row[C_LKR] = n_extra
    row[C_LAV] = 1.0 if lav else 0.0
    row[C_IRC] = 1.0 if irc else 0.0
    row[C_TPID] = tracks[0, _T_PID]
    return stream
