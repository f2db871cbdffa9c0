"""NA62 minimum-bias trigger and software filter, per event.

Decides which events are written and with which downscale weight, on top of the
detector response of :mod:`analysis.experiments.na62_response`: single-track
events are classified by E/p (positron-like or control), three-track events
form the downscaled K3π stream; the software (L3) filter downscales events
without a muon-veto signal and muon events in the K_μ2 peak.

The frequent decays that the trigger drops are mostly not generated at all:
:mod:`analysis.experiments.na62_early` decides from deviates drawn before the
decay, which this trigger then takes.
"""

from __future__ import annotations

import numpy as np

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_K, M_MU
from analysis.experiments.na62_early import (
    E_CATASTROPHIC,
    E_MIP,
    E_THREE_TRACK,
    E_TRIGGER,
    filtering,
    pion_deviates,
)
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
    _T_JLKR,
    _T_MUV3,
    _T_PID,
    _T_PX,
    _T_PY,
    _T_PZ,
    _T_Q,
    _T_ROOT,
    _p,
    alive_at,
    beam_axis_vertex,
    lkr_energy,
    measure_track,
    measured_momentum_min,
    muv3_signal,
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
def _vetoed_downscale(state, table, n_primary, tracks, i, g):
    """The vetoes of a positron-like single-track event (track i) and their downscale:
    (weight factor, 0 if dropped; extra LKr clusters; LAV; IRC/SAC).

    Positron-like events with in-time photon activity (mostly K_e3, and K2π or
    K+ → π+π0π0 with a positron-like π+) are kept downscaled by
    ``trigger.downscale_vetoed``: the signal selection vetoes them anyway.
    """
    tracks[0, _T_ROOT] = i
    tracks[0, _T_JLKR] = alive_at(table, i, g.lkr_z)
    n_extra, lav, irc = vetoes(state, table, n_primary, tracks, 1, g)
    if n_extra > 0 or lav or irc:
        if uniform(state) * g.trigger_downscale_vetoed >= 1.0:
            return 0.0, n_extra, lav, irc
        return g.trigger_downscale_vetoed, n_extra, lav, irc
    return 1.0, n_extra, lav, irc


@jit
def trigger_and_record(state, table, n_primary, g, tracks, accepted, n_tracks, row, early):
    """Reconstruct an event and apply the minimum-bias trigger; returns the stream (0: rejected).

    Single-track events are classified by E/p, with the momentum at the magnet
    standing in for the online estimate; events that are not positron-like are
    downscaled *before* the offline measurement, as the trigger decides before
    reconstruction; without the software filter (NA62 2015), positron-like events
    meet the vetoes before the measurement too, so that the vetoed ones their
    downscale drops (:func:`_vetoed_downscale`) need no track fit.  Kept events get
    the full measurement and are written into
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
        filtered = filtering(g)
        muon = False
        factor = 1.0
        u_control = early[E_TRIGGER]
        if filtered:
            muon = muv3_signal(state, table, i, g)
            factor = _software_filter(state, table, jm, muon, g, u_control)
            if factor == 0.0:
                return 0
            u_control = -1.0
        # a track that no measurement error brings below the momentum ceiling of the
        # preselection needs neither the LKr nor the vetoes nor the track fit
        if measured_momentum_min(p_online, g) > g.trigger_p_max:
            return 0
        # deviates drawn early: those of the K_mu2 muon, of the pions of rows 0 and 1
        u_pion, v_pion = pion_deviates(early, i)
        u_muon, v_muon = early[E_CATASTROPHIC], early[E_MIP]
        energy = lkr_energy(state, table, i, g, u_muon, v_muon, u_pion, v_pion)
        vetoed_first = False
        n_extra, lav, irc = 0, False, False
        if energy / p_online > g.trigger_eop_positron_like:
            stream, weight = STREAM_POSITRON, factor
            if not filtered:
                f, n_extra, lav, irc = _vetoed_downscale(state, table, n_primary, tracks, i, g)
                if f == 0.0:
                    return 0
                weight *= f
                vetoed_first = True
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
        if not filtered:
            muon = muv3_signal(state, table, i, g)
        tracks[0, _T_MUV3] = 1.0 if muon else 0.0
        if stream == STREAM_POSITRON and not vetoed_first:
            f, n_extra, lav, irc = _vetoed_downscale(state, table, n_primary, tracks, i, g)
            if f == 0.0:
                return 0
            weight *= f
        elif stream != STREAM_POSITRON:
            n_extra, lav, irc = vetoes(state, table, n_primary, tracks, 1, g)
        _write_tracks(row, tracks, 1)
        row[C_TRK0 + 4] = energy / p
    elif n_tracks == 3:
        q = 0
        for t in range(3):
            q += pt.charge(int(table[accepted[t], pt.PID]))
        u_three = drawn_or_uniform(state, early[E_THREE_TRACK]) if q == 1 else 1.0
        if u_three * g.trigger_downscale_three_track >= 1.0:
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
