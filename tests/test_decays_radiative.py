"""Inner bremsstrahlung K+ → μ+νγ and K+ → π+π0γ (analysis.decays.radiative).

Conservation laws, mass shells and isotropy of both channels are checked with every
other channel in tests/test_decays.py; here: the soft-photon limit, a published
rate, the photon spectrum of the generator and the split of the inclusive rates.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from decay_drivers import decays as decay_many

from analysis import constants as C
from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.decays import BACKGROUND_CHANNELS, CHANNELS, branching_ratios, radiative
from analysis.kinematics import two_body_momentum

N_EVENTS = 100_000
#: (channel index, name, charged daughter, its neutral partner, row of the photon)
CASES = [
    (radiative.KMU2G, "kmu2g", C.M_MU, 0.0, 2),
    (radiative.K2PIG, "k2pig", C.M_PI, C.M_PI0, 1),
]
IDS = [c[1] for c in CASES]


def _key(name):
    return rng.sample_key(2024, f"test/radiative/{name}")


@functools.cache
def _at_rest(name):
    """N_EVENTS decays of a K+ at rest through channel ``name``: (tables, counts)."""
    code = CHANNELS[name].code
    return decay_many(_key(name), code, N_EVENTS, 4, 0.0, 0.0, 0.0, 0.0, -1.0)


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def at_rest(request):
    """A case of CASES with its decays at rest."""
    return request.param, *_at_rest(request.param[1])


def _soft_photon_law(ma, mb):
    """dP/d ln E of soft photons: (α/π)[(1/β) ln((1 + β)/(1 − β)) − 2]."""
    p = two_body_momentum.py_func(C.M_K, ma, mb)
    beta = p / math.hypot(p, ma)
    return C.ALPHA_EM / math.pi * (math.log((1 + beta) / (1 - beta)) / beta - 2.0)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_soft_photons_follow_the_universal_law(case):
    channel, _, ma, mb, _ = case
    # P(0.1 MeV < E*_γ < 0.3 MeV): both densities reduce to the eikonal law there
    window = radiative.emission_probability(channel, 1e-4) - radiative.emission_probability(
        channel, 3e-4
    )
    assert window == pytest.approx(_soft_photon_law(ma, mb) * math.log(3.0), rel=5e-3)


def test_k2pig_rate_in_the_reference_window():
    tables, _ = _at_rest("k2pig")
    t_pi = tables[:, 0, pt.E] - C.M_PI  # π+ kinetic energy in the kaon frame
    inside = np.mean((t_pi > 0.055) & (t_pi < 0.090))
    br = CHANNELS["k2pig"].branching_ratio * inside
    # the Low-theorem rate for 55 < T*(π+) < 90 MeV quoted by the K2πγ experiments
    assert br == pytest.approx(C.BR_K2PIG_IB_T55_90, rel=0.04)


@pytest.mark.parametrize("e_cut", [0.010, 0.030, 0.080])
def test_generated_photon_spectrum_follows_the_density(at_rest, e_cut):
    (channel, _, _, _, row), tables, counts = at_rest
    e_gamma = tables[:, row, pt.E]
    assert np.all(tables[:, row, pt.PID] == pt.PHOTON)
    assert e_gamma.min() >= C.IB_E_GAMMA_MIN * (1 - 1e-12)
    assert e_gamma.max() <= radiative.e_gamma_max(channel) * (1 + 1e-12)
    expected = radiative.emission_probability(channel, e_cut) / radiative.emission_probability(
        channel
    )
    got = np.mean(e_gamma > e_cut)
    assert abs(got - expected) < 5 * math.sqrt(expected * (1 - expected) / len(e_gamma))


@jit(allocates=True)
def _max_of_weight(key, channel, log_lo, log_hi, n):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    best = 0.0
    for _ in range(n):
        log_e = log_lo + (log_hi - log_lo) * rng.uniform(state)
        w = radiative._weight(channel, log_e, rng.uniform(state))[0]
        best = max(best, w)
    return best


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_accept_reject_bound_covers_the_density(case):
    channel, name = case[0], case[1]
    log_lo = math.log(C.IB_E_GAMMA_MIN)
    log_hi = math.log(radiative.e_gamma_max(channel))
    best = _max_of_weight(_key("bound/" + name), channel, log_lo, log_hi, 1_000_000)
    assert 0.5 * radiative._W_MAX[channel] < best < radiative._W_MAX[channel]


def test_radiative_channels_split_the_inclusive_rates():
    for name, parent, br in (("kmu2g", "kmu2", C.BR_KMU2), ("k2pig", "k2pi", C.BR_K2PI)):
        share = CHANNELS[name].branching_ratio / br
        # O(α) with a log enhancement: between α/π and 10 α/π of the parent
        assert C.ALPHA_EM / math.pi < share < 10 * C.ALPHA_EM / math.pi
        brs = branching_ratios([parent, name, "k3pi"])
        assert brs[parent] + brs[name] == pytest.approx(br, rel=1e-12)
        assert brs["k3pi"] == C.BR_K3PI
        assert branching_ratios([parent]) == {parent: br}
        # the other experiments' pseudo-data do not mix them in
        assert name not in BACKGROUND_CHANNELS
    # the faster charged daughter radiates more: the muon (β = 0.91) against the pion (0.83)
    assert (
        CHANNELS["kmu2g"].branching_ratio / C.BR_KMU2
        > CHANNELS["k2pig"].branching_ratio / C.BR_K2PI
    )
