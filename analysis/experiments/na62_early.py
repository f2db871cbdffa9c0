"""Early decisions of the NA62 chains: which decays the trigger could write, before generating them.

Most decays of the minimum-bias trigger are dropped by a downscale.  For the
frequent channels the chain draws the deviates that decide the trigger first
(the downscales, the π0 decay modes, the decays in flight, the LKr deposits),
decides from them and the kaon alone whether any decay could be written, and
generates only those that could (:func:`decide`).  A decision drops an event
only where every outcome of the rest of the decay is dropped by the trigger,
so the output is that of the full chain:

* K+ → μ+ν (:func:`kmu2_may_be_written`), with and without the software filter
  of NA62-RK, and without it the signal K+ → μ+N (the same muon, with the p* of
  the N mass);
* without the software filter (NA62 2015): K+ → π+π0, K+ → π+π+π−,
  K+ → π0μ+ν and K+ → π+π0π0 (for K2π and K+ → π+π0π0, where the bounds leave
  it open, :func:`decide` says :data:`ASK_PION`: the chain draws the π+ and
  asks :func:`pion_may_be_written`; for K3π it says :data:`ASK_TRACKS`: the
  chain generates the decay and asks :func:`three_pion_may_be_written`).
  Unless a downscale keeps the event (control, three-track) or a π0 Dalitz
  decay gives e± tracks, only a positron-like single track can be written: a
  π+ or μ+ of the decay, or what it decays into.  A π+ or μ+ that reaches the
  LKr undecayed with a deposit below the positron-like E/p cannot be one.
  A K+ → π0e+ν decay with π0 → γγ is asked after its e+ (:data:`ASK_LEPTON`,
  :func:`lone_positron_may_be_written`): 44% of all K_e3 decays stop there.

A particle cannot decay before a plane ΔZ downstream when u_flight·λ ≥ ΔZ (the
flight is −λ ln(1 − u) ≥ λu, λ = (p_z/m)cτ); lower bounds of the daughters' p_z
(``pz_min`` of the decay modules) bound λ before the decay is generated.  The
trigger (:mod:`analysis.experiments.na62_trigger`) takes the early deviates.
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import BR_PI0_DALITZ, CTAU_MU, CTAU_PI, M_K, M_MU, M_PI
from analysis.decays import dispatch, k2pi, k3pi, kl2, kl3
from analysis.detectors import calorimeter
from analysis.experiments.na62_response import (
    in_acceptance,
    measured_momentum_min,
    pion_lkr_deposit,
    reaches_lkr,
)
from analysis.kinematics import energy
from analysis.rng import uniform

#: Slots of the deviates drawn before a decay is generated (−1: not drawn):
#: the first rows' decays in flight (:func:`analysis.decays.inflight.propagate`,
#: rows 0, 1 and 2), the trigger's downscale (the software filter where it runs,
#: else the control downscale), the three-track downscale, the LKr deposit of a
#: muon (catastrophic bremsstrahlung, MIP tail), the π0 decay modes, and the LKr
#: deposits of the pions of rows 0 and 1 (:func:`pion_deviates`).  The π0 decay
#: modes go to :func:`analysis.decays.dispatch.generate`.
(
    E_FLIGHT,
    E_FLIGHT_1,
    E_FLIGHT_2,
    E_TRIGGER,
    E_THREE_TRACK,
    E_CATASTROPHIC,
    E_MIP,
    E_PI0,
    E_PI0_1,
    E_PION_U,
    E_PION_V,
    E_PION_U_1,
    E_PION_V_1,
) = range(13)
N_EARLY = 13
#: Rows whose pion deposit may be drawn early (the π+ of K2π and of K+ → π+π0π0,
#: the two π+ of K3π).
N_PION_ROWS = 2

#: Mean flight of a muon and of a pion per GeV/c of momentum, cτ/m (m).
_MUON_FLIGHT = CTAU_MU / M_MU
_PION_FLIGHT = CTAU_PI / M_PI


@jit(inline="always")
def filtering(g):
    """Whether the software (L3) filter of NA62-RK runs."""
    return g.trigger_downscale_no_muon > 1.0 or g.trigger_downscale_kmu2_peak > 1.0


@jit(inline="always")
def flight_deviates(early):
    """The in-flight deviates drawn early, of rows 0 (, 1 and 2), for ``propagate``."""
    if early[E_FLIGHT_2] >= 0.0:
        return early[:3]
    if early[E_FLIGHT_1] >= 0.0:
        return early[:2]
    if early[E_FLIGHT] >= 0.0:
        return early[:1]
    return early[:0]


@jit(inline="always")
def pion_deviates(early, i):
    """The LKr-deposit deviates (u, v) drawn early for the pion of row i; (−1, 0): none."""
    if i < N_PION_ROWS:
        return early[E_PION_U + 2 * i], early[E_PION_V + 2 * i]
    return -1.0, 0.0


#: Outcomes of :func:`decide`: drop the event; generate it; draw the π+ of the
#: K2π or K+ → π+π0π0 decay and ask :func:`pion_may_be_written`; generate the
#: K3π decay and ask :func:`three_pion_may_be_written` before it meets the detector;
#: draw the e+ of the K_e3 decay and ask :func:`lone_positron_may_be_written`.
DROP, GENERATE, ASK_PION, ASK_TRACKS, ASK_LEPTON = range(5)


@jit(inline="always")
def _muon_may_be_positron_like(g, pz_min, vz, u_flight, u_catastrophic, u_mip):
    """Whether a μ+ with p_z ≥ ``pz_min`` from a decay at ``vz`` could be positron-like.

    It cannot when it reaches the LKr undecayed, without catastrophic
    bremsstrahlung, and with a MIP deposit below E/p·p_min: the deposit −ln u
    grows above x only for u < e^(−x) ≤ 1/(1 + x), and a logarithm is taken only
    in that rare case.
    """
    if u_flight * pz_min * _MUON_FLIGHT < g.lkr_z - vz:
        return True
    if u_catastrophic < g.lkr_muon_catastrophic_prob:
        return True
    # the MIP deposit E_mip + w(x − 1), x = −ln u, must exceed eop·p ≥ eop·p_min:
    # x > x_max = 1 + margin/w; since −ln u ≤ 1/u − 1, u(1 + x_max) ≥ 1 rules it out
    w = g.lkr_mip_width
    margin = g.trigger_eop_positron_like * pz_min - g.lkr_mip_energy
    if u_mip * (2.0 * w + margin) >= w:
        return False
    return w * (-math.log(u_mip) - 1.0) > margin


@jit(inline="always")
def _lone_muon_may_be_written(g, pz_min, vz, early):
    """Without the software filter: whether a single μ+ with p_z ≥ ``pz_min`` from a
    decay at ``vz`` could be written, given the deviates of :func:`draw_early_kmu2`:
    when the control downscale keeps it, or when it could be positron-like."""
    if early[E_TRIGGER] * g.trigger_downscale_control < 1.0 or pz_min <= 0.0:
        return True
    return _muon_may_be_positron_like(
        g, pz_min, vz, early[E_FLIGHT], early[E_CATASTROPHIC], early[E_MIP]
    )


@jit(inline="always")
def _pion_may_be_positron_like(state, g, pz_min, vz, early, r):
    """Whether the π+ of row r, with p_z ≥ ``pz_min`` from a decay at ``vz``, could be
    positron-like (or decay into a particle that is).

    It cannot when it reaches the LKr undecayed with a deposit (deviates of
    :func:`pion_deviates`) below the positron-like E/p.  A shower's E/p is its
    fraction, whatever the momentum; a MIP deposit does not grow with it, so its
    E/p is at most deposit/p_min.  The trigger divides the deposit by the
    momentum: a 0.1% margin covers the rounding.
    """
    if early[E_FLIGHT + r] * pz_min * _PION_FLIGHT < g.lkr_z - vz:
        return True
    u, v = pion_deviates(early, r)
    cut = 0.999 * g.trigger_eop_positron_like
    if u >= g.lkr_pion_noninteracting:
        return g.lkr_pion_shower_mean + g.lkr_pion_shower_sigma * v >= cut
    return pion_lkr_deposit(state, pz_min, g, u, v) >= cut * pz_min


@jit(inline="always")
def draw_early_kmu2(state, g, early):
    """Draw the deviates of :data:`E_FLIGHT`, :data:`E_TRIGGER`, :data:`E_CATASTROPHIC`
    and :data:`E_MIP` of a K+ → μ+ν (or K+ → μ+N) event, in that order.

    With the software filter (NA62-RK) the decision needs only the first two;
    the LKr deviates are then left to be drawn when needed.
    """
    flight, trigger = uniform(state), uniform(state)
    catastrophic = mip = -1.0
    if not filtering(g):
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
    drops.  The muon flies with p_z ≥ :func:`analysis.decays.kl2.kmu2_muon_pz_min`.

    * With the software filter (NA62-RK), an event is dropped when both of its
      downscales drop it and its muon is in the K_μ2 peak whatever the decay
      direction (:func:`analysis.decays.kl2.nominal_m2_miss_within`, the muon
      alive at the magnet).
    * Without it (NA62 2015), a single track is written when positron-like or
      when the control downscale keeps it.
    """
    pz_min = kl2.kmu2_muon_pz_min(px, py, pz)
    if filtering(g):
        d = min(g.trigger_downscale_no_muon, g.trigger_downscale_kmu2_peak)
        if d <= 1.0 or early[E_TRIGGER] * d < 1.0:
            return True
        # decay_length(pz_min, M_MU, CTAU_MU), without a division
        if early[E_FLIGHT] * pz_min * _MUON_FLIGHT < g.spectrometer_z_magnet - vz:
            return True
        peak = g.trigger_kmu2_peak_m2 * (1.0 - 1e-9)  # a margin for rounding
        e = energy(px, py, pz, M_K)
        return not kl2.nominal_m2_miss_within(px, py, pz, e, g.beam_momentum, kl2.KMU2_P_STAR, peak)
    return _lone_muon_may_be_written(g, pz_min, vz, early)


@jit(inline="always")
def _draw_and_decide(state, g, code, px, py, pz, vz, early):
    """Draw the early deviates of a decay without the software filter and decide.

    Per channel, in this order: K2π — :data:`E_TRIGGER`, :data:`E_PI0`,
    :data:`E_FLIGHT`, the π+ deposit; K3π — :data:`E_TRIGGER`,
    :data:`E_THREE_TRACK`, :data:`E_FLIGHT`, :data:`E_FLIGHT_1`,
    :data:`E_FLIGHT_2` (the π−), the deposits of rows 0 and 1; K_μ3 —
    :data:`E_TRIGGER`, :data:`E_PI0`, :data:`E_FLIGHT`, :data:`E_CATASTROPHIC`,
    :data:`E_MIP`; K+ → π+π0π0 — :data:`E_TRIGGER`,
    :data:`E_PI0`, :data:`E_PI0_1`, :data:`E_FLIGHT`, the π+ deposit.  The
    deviates are stored after they are all drawn: a store into ``early`` would
    make the compiler reload the generator state from memory.
    """
    nonint = g.lkr_pion_noninteracting
    trigger = uniform(state)
    control = trigger * g.trigger_downscale_control < 1.0
    if code == dispatch.K3PI:
        three, f0, f1, f2 = uniform(state), uniform(state), uniform(state), uniform(state)
        u0, v0 = calorimeter.draw_pion_deposit(state, nonint)
        u1, v1 = calorimeter.draw_pion_deposit(state, nonint)
        early[E_TRIGGER], early[E_THREE_TRACK] = trigger, three
        early[E_FLIGHT], early[E_FLIGHT_1], early[E_FLIGHT_2] = f0, f1, f2
        early[E_PION_U], early[E_PION_V], early[E_PION_U_1], early[E_PION_V_1] = u0, v0, u1, v1
        if control or three * g.trigger_downscale_three_track < 1.0:
            return GENERATE
        # the two π+ are rows 0 and 1 of analysis.decays.k3pi.generate
        pz_min = k3pi.pion_pz_min(px, py, pz)
        if pz_min <= 0.0:
            return GENERATE
        for r in range(N_PION_ROWS):
            if _pion_may_be_positron_like(state, g, pz_min, vz, early, r):
                return ASK_TRACKS
        return DROP
    mode = uniform(state)
    if code == dispatch.KMU3:
        flight, catastrophic, mip = uniform(state), uniform(state), uniform(state)
        early[E_TRIGGER], early[E_PI0], early[E_FLIGHT] = trigger, mode, flight
        early[E_CATASTROPHIC], early[E_MIP] = catastrophic, mip
        if control or mode < BR_PI0_DALITZ:
            return GENERATE
        pz_min = kl3.muon_pz_min(px, py, pz)
        if pz_min <= 0.0 or _muon_may_be_positron_like(g, pz_min, vz, flight, catastrophic, mip):
            return GENERATE
        return DROP
    mode_1 = uniform(state) if code == dispatch.K3PI0 else 1.0
    flight = uniform(state)
    u, v = calorimeter.draw_pion_deposit(state, nonint)
    early[E_TRIGGER], early[E_PI0], early[E_FLIGHT] = trigger, mode, flight
    early[E_PION_U], early[E_PION_V] = u, v
    if code == dispatch.K3PI0:
        early[E_PI0_1] = mode_1
    if control or mode < BR_PI0_DALITZ or mode_1 < BR_PI0_DALITZ:
        return GENERATE
    if code == dispatch.K2PI:
        pz_min = k2pi.pion_pz_min(px, py, pz)
        return ASK_PION if _pion_may_be_positron_like(state, g, pz_min, vz, early, 0) else DROP
    pz_min = k3pi.charged_pion_pz_min_neutral(px, py, pz)  # the π+ is row 0
    if pz_min <= 0.0:
        return GENERATE
    return ASK_PION if _pion_may_be_positron_like(state, g, pz_min, vz, early, 0) else DROP


@jit(inline="always")
def kmun_may_be_written(g, px, py, pz, vz, early, m_hnl):
    """Whether a K+ → μ+N decay (N of mass ``m_hnl``, invisible) of this kaon could be
    written without the software filter, given the deviates of :func:`draw_early_kmu2`.

    As for K+ → μ+ν (:func:`kmu2_may_be_written`): the single μ+ is written when
    positron-like or when the control downscale keeps it; its p_z is at least
    :func:`analysis.decays.kl2.muon_pz_min` for that mass.
    """
    return _lone_muon_may_be_written(g, kl2.muon_pz_min(px, py, pz, m_hnl), vz, early)


@jit(inline="always")
def decide(state, g, code, px, py, pz, vz, early, m_hnl):
    """The early decision on a decay of the natural simulation: :data:`DROP`,
    :data:`GENERATE`, :data:`ASK_PION` or :data:`ASK_TRACKS`, with the deviates it
    drew in ``early``.

    Decided from the kaon (px, py, pz), its decay z and deviates drawn first
    (``m_hnl``: the N mass of the signal K+ → μ+N); channels without an early
    decision are generated.
    """
    if code == dispatch.KMU2:
        draw_early_kmu2(state, g, early)
        return GENERATE if kmu2_may_be_written(g, px, py, pz, vz, early) else DROP
    if filtering(g):
        return GENERATE
    if code == dispatch.HNL_MU:
        draw_early_kmu2(state, g, early)
        return GENERATE if kmun_may_be_written(g, px, py, pz, vz, early, m_hnl) else DROP
    if (
        code == dispatch.K2PI
        or code == dispatch.K3PI
        or code == dispatch.KMU3
        or code == dispatch.K3PI0
    ):
        return _draw_and_decide(state, g, code, px, py, pz, vz, early)
    if code == dispatch.KE3:
        # a π0 → γγ leaves the e+ as the only charged particle; a Dalitz decay may not
        mode = uniform(state)
        early[E_PI0] = mode
        return GENERATE if mode < BR_PI0_DALITZ else ASK_LEPTON
    return GENERATE


@jit
def lone_positron_may_be_written(table, g):
    """Whether an event whose only charged particle is the e+ in row 0 (a K_e3 decay
    with π0 → γγ, :data:`ASK_LEPTON`) could be written, now that the e+ is drawn.

    The e+ does not decay: unless it crosses the four straw chambers the event has
    no track, and a track whose momentum no measurement error brings below the
    preselection's ceiling is dropped by the trigger.  Exact: False only where the
    full chain writes nothing.
    """
    if not in_acceptance(table, 0, g):
        return False
    return measured_momentum_min(pt.momentum(table, 0), g) <= g.trigger_p_max


@jit
def pion_may_be_written(state, table, g, pion, vx, vy, vz, early):
    """Whether a K+ → π+π0 or π+π0π0 decay at (vx, vy, vz) that :func:`decide` left
    open (:data:`ASK_PION`) could be written, now that its π+ (row 0) is drawn:
    ``pion`` starts with its lab (p_x, p_y, p_z, E)
    (:func:`analysis.decays.k2pi.draw_pion`, :func:`analysis.decays.k3pi.draw_neutral_pion`).

    False only where the π+ reaches the LKr undecayed (the flight bound with its
    own p_z) and cannot be positron-like: its deposit — the same, from the same
    deviates, as the trigger's — is below the positron-like E/p, or it misses
    the LKr or the straw chambers; or where no measurement error brings its
    momentum below the preselection's ceiling.  The last check writes the π+
    into row 0 of ``table``.
    """
    if early[E_FLIGHT] * pion[2] * _PION_FLIGHT < g.lkr_z - vz:
        return True
    p = math.sqrt(pion[0] ** 2 + pion[1] ** 2 + pion[2] ** 2)  # as particles.momentum
    if measured_momentum_min(p, g) > g.trigger_p_max:
        return False
    deposit = pion_lkr_deposit(state, p, g, early[E_PION_U], early[E_PION_V])
    if deposit / p <= g.trigger_eop_positron_like:
        return False
    pt.add(table, 0, pion[0], pion[1], pion[2], pion[3], vx, vy, vz, pt.PI_PLUS, True)
    return reaches_lkr(table, 0, g) and in_acceptance(table, 0, g)


@jit
def three_pion_may_be_written(state, table, g, vz, early):
    """Whether a K+ → π+π+π− decay at ``vz`` that :func:`decide` left open
    (:data:`ASK_TRACKS`) could be written, now that it is generated (the π+ in
    rows 0 and 1, the π− in row 2, not yet flown through the detector).

    Both downscales drop it, so only a single positive positron-like track can be
    written: a π+ or what it decays into.  A pion whose deviate says that it
    cannot decay before MUV3 (the test of :func:`analysis.decays.inflight.propagate`,
    with a margin for rounding) flies on undecayed, so whether it crosses the
    straw chambers is known.  Such a π− track leaves either more than one track
    or a negative one.  Two such π+ tracks leave no single-track event; with
    one, the event is single-track only with that π+ as its track, positron-like
    only if its deposit (the trigger's, from the same deviates and momentum) is
    above the positron-like E/p and its momentum can be measured below the
    preselection's ceiling; with none, and neither π+ able to decay, there is
    no positive track.  False only where the full chain writes nothing.
    """
    flight = (g.muv3_z - vz) * (1.0 + 1e-9)
    if early[E_FLIGHT_2] * table[2, pt.PZ] * _PION_FLIGHT >= flight and in_acceptance(table, 2, g):
        return False
    sure = -1
    may_decay = False
    for r in range(N_PION_ROWS):
        if early[E_FLIGHT + r] * table[r, pt.PZ] * _PION_FLIGHT < flight:
            may_decay = True
            continue
        if not in_acceptance(table, r, g):
            continue
        if sure >= 0:
            return False  # two tracks whatever the π− does
        sure = r
    if sure < 0:
        return may_decay
    p = pt.momentum(table, sure)
    if measured_momentum_min(p, g) > g.trigger_p_max:
        return False
    u, v = pion_deviates(early, sure)
    return pion_lkr_deposit(state, p, g, u, v) / p > g.trigger_eop_positron_like
