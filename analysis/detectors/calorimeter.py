"""Electromagnetic calorimeter (LKr) response: energy deposits and photon detection.

The liquid-krypton calorimeter of NA48/NA62 (resolution PHYSICS.md §2) measures
electron and photon energies; for charged tracks E/p identifies positrons.
Deposits are modelled per particle species:

* e±: full shower, Gaussian resolution σ(E)/E = a/√E ⊕ b/E ⊕ c, with a
  fraction losing part of their energy upstream (low E/p tail);
* μ±: a minimum-ionising deposit (Landau-like: most probable value plus an
  exponential tail), and rarely a catastrophic bremsstrahlung that deposits
  a uniform fraction of the momentum — the source of μ → e mis-identification;
* π±: either minimum ionising (no hadronic interaction) or a hadronic shower
  with a Gaussian E/p distribution, whose upper tail fakes positrons.

All parameters come from the experiment's geometry table.
"""

from __future__ import annotations

import math

from analysis._jit import jit
from analysis.rng import drawn_or_uniform, normal, uniform


@jit
def em_resolution(energy, stochastic, noise, constant):
    """σ(E)/E = a/√E ⊕ b/E ⊕ c (E in GeV)."""
    e = max(energy, 1e-3)
    return math.sqrt((stochastic * stochastic) / e + (noise / e) ** 2 + constant * constant)


@jit
def electron_deposit(state, energy, stochastic, noise, constant, tail_fraction, tail_max_loss):
    """Energy measured for an electron/positron/photon shower of true energy ``energy``.

    A fraction ``tail_fraction`` of showers loses a uniform fraction up to
    ``tail_max_loss`` of the energy upstream (the low E/p tail).
    """
    e = energy * (1.0 + em_resolution(energy, stochastic, noise, constant) * normal(state))
    if uniform(state) < tail_fraction:
        e *= 1.0 - tail_max_loss * uniform(state)
    return e


@jit
def mip_deposit(state, mip_energy, mip_width, u=-1.0):
    """A minimum-ionising deposit: most probable value plus an exponential (Landau-like) tail.

    The tail's exponential deviate is −ln u, with ``u`` drawn in advance (0 < u < 1)
    or, by default, now.
    """
    return mip_energy + mip_width * (-math.log(drawn_or_uniform(state, u)) - 1.0)


@jit
def muon_deposit(state, momentum, mip_energy, mip_width, catastrophic_prob, u=-1.0, u_mip=-1.0):
    """Energy deposited by a muon: MIP, or rarely a catastrophic bremsstrahlung.

    ``u`` (whether the bremsstrahlung happens) and ``u_mip`` (the MIP deposit,
    :func:`mip_deposit`) may be uniform deviates drawn in advance; −1 draws them now.
    """
    if drawn_or_uniform(state, u) < catastrophic_prob:
        return momentum * uniform(state)
    return mip_deposit(state, mip_energy, mip_width, u_mip)


@jit(inline="always")
def draw_pion_deposit(state, p_noninteracting):
    """The deviates (u, v) of :func:`pion_deposit`: whether the pion crosses as a
    MIP (u < ``p_noninteracting``), then the MIP deposit's uniform deviate or the
    shower's normal one."""
    u = uniform(state)
    v = uniform(state) if u < p_noninteracting else normal(state)
    return u, v


@jit
def pion_deposit(
    state, momentum, mip_energy, mip_width, p_noninteracting, mean, sigma, max_eop, u=-1.0, v=0.0
):
    """Energy deposited by a charged pion: MIP, or a hadronic shower of E/p ≤ ``max_eop``.

    Its deviates (:func:`draw_pion_deposit`) are drawn now unless given
    (``u`` ≥ 0, with ``v``).
    """
    if u < 0.0:
        u, v = draw_pion_deposit(state, p_noninteracting)
    if u < p_noninteracting:
        return mip_deposit(state, mip_energy, mip_width, v)
    f = mean + sigma * v
    return momentum * min(max(f, 0.0), max_eop)


@jit
def photon_inefficiency(energy, threshold, edge_low, edge_high, ineff_low, ineff_mid, ineff_high):
    """Probability that a photon of ``energy`` leaves no LKr cluster (1 below threshold).

    The inefficiency is ``ineff_low`` below ``edge_low``, ``ineff_mid`` up to
    ``edge_high`` and ``ineff_high`` above (GeV).
    """
    if energy < threshold:
        return 1.0
    if energy < edge_low:
        return ineff_low
    if energy < edge_high:
        return ineff_mid
    return ineff_high
