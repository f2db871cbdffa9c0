"""Early decisions of the NA62 chains: which decays the trigger could write, before generating them.

Most decays of the minimum-bias trigger are dropped by a downscale.  For the
frequent channels the chain draws the deviates that decide the trigger first
(the downscales, the decays in flight, the LKr deposits), decides from them and
the kaon alone whether any decay could be written, and generates only those
that could — each decision is False only where every outcome of the rest of
the decay is dropped, so the output is that of the full chain:

* K+ → μ+ν (:func:`draw_early_kmu2`, :func:`kmu2_may_be_written`), with and
  without the software filter of NA62-RK;
* without the software filter (NA62 2015), K+ → π+π0 (:func:`draw_early_k2pi`,
  :func:`k2pi_decision`, then :func:`k2pi_pion_may_be_written` with the π+
  drawn) and K+ → π+π+π− (:func:`draw_early_k3pi`, :func:`k3pi_may_be_written`).

A particle cannot decay before a plane ΔZ downstream when u_flight·λ ≥ ΔZ (the
flight is −λ ln(1 − u) ≥ λu, λ = (p_z/m)cτ); lower bounds of the daughters' p_z
bound λ before the decay is generated.  The trigger
(:mod:`analysis.experiments.na62_trigger`) takes the early deviates where drawn.
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import BR_PI0_DALITZ, CTAU_MU, CTAU_PI, M_K, M_MU, M_PI
from analysis.decays import k2pi, k3pi, kl2
from analysis.detectors import calorimeter
from analysis.experiments.na62_response import in_acceptance, pion_lkr_deposit, reaches_lkr
from analysis.kinematics import energy
from analysis.rng import uniform

#: Slots of the deviates drawn before a decay is generated (−1: not drawn):
#: the first rows' decays in flight (:func:`analysis.decays.inflight.propagate`,
#: rows 0 and 1), the trigger's downscale (the software filter where it runs,
#: else the control downscale), the three-track downscale, the LKr deposit of a
#: muon (catastrophic bremsstrahlung, MIP tail), the π0 decay mode, and the LKr
#: deposits of the pions of rows 0 and 1 (:func:`pion_deviates`).
(
    E_FLIGHT,
    E_FLIGHT_1,
    E_TRIGGER,
    E_THREE_TRACK,
    E_CATASTROPHIC,
    E_MIP,
    E_PI0,
    E_PION_U,
    E_PION_V,
    E_PION_U_1,
    E_PION_V_1,
) = range(11)
N_EARLY = 11
#: Rows whose pion deposit may be drawn early (the π+ of K2π, the two π+ of K3π).
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
    """The in-flight deviates drawn early, of rows 0 (and 1), for ``propagate``."""
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


@jit(inline="always")
def draw_early_kmu2(state, g, early):
    """Draw the deviates of :data:`E_FLIGHT`, :data:`E_TRIGGER`, :data:`E_CATASTROPHIC`
    and :data:`E_MIP` of a K+ → μ+ν event, in that order.

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
      when the control downscale keeps it; the muon cannot be positron-like when
      it reaches the LKr undecayed, without catastrophic bremsstrahlung, and with
      a MIP deposit below E/p·p_min: the deposit −ln u grows above x only for
      u < e^(−x) ≤ 1/(1 + x), and a logarithm is taken only in that rare case.
    """
    pz_min = kl2.kmu2_muon_pz_min(px, py, pz)
    lam_min = pz_min * _MUON_FLIGHT  # decay_length(pz_min, M_MU, CTAU_MU), without a division
    if filtering(g):
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
def early_pions(g):
    """Whether the chain decides on K+ → π+π0 and K+ → π+π+π− early: no software filter."""
    return not filtering(g)


@jit(inline="always")
def _pion_may_be_positron_like(state, g, u, v, p_min):
    """Whether a π+ of momentum ≥ ``p_min`` that reaches the LKr with deposit deviates
    (u, v) (:func:`pion_deviates`) could be positron-like for the trigger.

    A shower's E/p is its fraction, whatever the momentum; a MIP deposit does not
    grow with it, so its E/p is at most deposit/p_min.  The trigger divides the
    deposit by the momentum: a 0.1% margin covers the rounding.
    """
    cut = 0.999 * g.trigger_eop_positron_like
    if u >= g.lkr_pion_noninteracting:
        return g.lkr_pion_shower_mean + g.lkr_pion_shower_sigma * v >= cut
    return pion_lkr_deposit(state, p_min, g, u, v) >= cut * p_min


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
def k2pi_decision(state, g, px, py, pz, vz, early):
    """The early decision on a K+ → π+π0 decay from its kaon and early deviates
    (:func:`draw_early_k2pi`): :data:`K2PI_DROP`, :data:`K2PI_GENERATE`, or
    :data:`K2PI_ASK_PION` — draw the π+ and ask :func:`k2pi_pion_may_be_written`.

    The event can be written only if the control downscale keeps it, or the π0
    decays into e+e−γ (with γγ the π+ is the only charged particle: one track
    at most, never the three-track stream), or the π+ is positron-like, which
    it cannot be when it reaches the LKr undecayed with a deposit below the
    positron-like E/p.  Here the π+ is not drawn yet: its p_z is at least
    :func:`analysis.decays.k2pi.pion_pz_min`.
    """
    if early[E_TRIGGER] * g.trigger_downscale_control < 1.0 or early[E_PI0] < BR_PI0_DALITZ:
        return K2PI_GENERATE
    pz_min = k2pi.pion_pz_min(px, py, pz)
    if early[E_FLIGHT] * pz_min * _PION_FLIGHT < g.lkr_z - vz or _pion_may_be_positron_like(
        state, g, early[E_PION_U], early[E_PION_V], pz_min
    ):
        return K2PI_ASK_PION
    return K2PI_DROP


@jit
def k2pi_pion_may_be_written(state, table, g, pion, vx, vy, vz, early):
    """Whether a K+ → π+π0 decay at (vx, vy, vz) that :func:`k2pi_decision` left
    open could be written, now that its π+ is drawn
    (:func:`analysis.decays.k2pi.draw_pion`).

    False only where the π+ reaches the LKr undecayed (the flight bound with its
    own p_z) and cannot be positron-like: its deposit — the same, from the same
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


@jit(inline="always")
def draw_early_k3pi(state, g, early):
    """Draw the deviates :data:`E_TRIGGER`, :data:`E_THREE_TRACK`, :data:`E_FLIGHT`,
    :data:`E_FLIGHT_1` and the deposits of rows 0 and 1 of a K+ → π+π+π− event, in that order."""
    trigger, three, f0, f1 = uniform(state), uniform(state), uniform(state), uniform(state)
    u0, v0 = calorimeter.draw_pion_deposit(state, g.lkr_pion_noninteracting)
    u1, v1 = calorimeter.draw_pion_deposit(state, g.lkr_pion_noninteracting)
    early[E_TRIGGER], early[E_THREE_TRACK], early[E_FLIGHT], early[E_FLIGHT_1] = (
        trigger,
        three,
        f0,
        f1,
    )
    early[E_PION_U], early[E_PION_V], early[E_PION_U_1], early[E_PION_V_1] = u0, v0, u1, v1


@jit(inline="always")
def k3pi_may_be_written(state, g, px, py, pz, vz, early):
    """Whether a K+ → π+π+π− decay of this kaon could be written, given its early
    deviates (:func:`draw_early_k3pi`).

    Unless a downscale keeps it (control, three-track), the event is written only
    as a single positive positron-like track: a π+ (rows 0 and 1 of
    :func:`analysis.decays.k3pi.generate`) or what it decays into.  Neither can
    be one when both π+ reach the LKr undecayed (p_z ≥
    :func:`analysis.decays.k3pi.pion_pz_min`) with deposits below the
    positron-like E/p.
    """
    if (
        early[E_TRIGGER] * g.trigger_downscale_control < 1.0
        or early[E_THREE_TRACK] * g.trigger_downscale_three_track < 1.0
    ):
        return True
    pz_min = k3pi.pion_pz_min(px, py, pz)
    if pz_min <= 0.0:
        return True
    lam_min = pz_min * _PION_FLIGHT
    dz = g.lkr_z - vz
    for r in range(N_PION_ROWS):
        if early[E_FLIGHT + r] * lam_min < dz:
            return True
        u, v = pion_deviates(early, r)
        if _pion_may_be_positron_like(state, g, u, v, pz_min):
            return True
    return False
