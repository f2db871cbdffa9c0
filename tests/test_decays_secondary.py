"""π0 decays (γγ and the Dalitz decay e+e−γ) and π/μ decays in flight.

The π0 Dalitz decay must follow the Kroll–Wada spectrum with the transition
form factor and the 1 + cos²θ lepton angle; π and μ decays in flight must
follow the exponential decay law, the two-body and Michel kinematics, and the
forced-decay weights must leave expectations unchanged.  Sampled averages are
compared with independently written formulas within 5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fourvectors import m2
from sampling import draw
from scipy import integrate, stats

from analysis import constants as C
from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.constants import M_E, M_K, M_MU, M_PI, M_PI0
from analysis.decays import inflight, pi0
from analysis.kinematics import boost, two_body_momentum


def _key(name):
    return rng.sample_key(2024, f"test/decays/{name}")


# ----------------------------------------------------------------- compiled drivers


@jit(allocates=True)
def _pi0_at_rest(key, n, capacity):
    """Decay n π0 at rest; returns the particle counts and the first ``capacity`` Dalitz decays."""
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    counts = np.empty(n, np.int64)
    dalitz = np.zeros((capacity, 3, 5))
    k = 0
    for i in range(n):
        counts[i] = pi0.generate(state, table, 0, 0.0, 0.0, 0.0, M_PI0, 0.0, 0.0, 0.0)
        if counts[i] == 3 and k < capacity:
            for r in range(3):
                dalitz[k, r, 0] = table[r, pt.PX]
                dalitz[k, r, 1] = table[r, pt.PY]
                dalitz[k, r, 2] = table[r, pt.PZ]
                dalitz[k, r, 3] = table[r, pt.E]
                dalitz[k, r, 4] = table[r, pt.PID]
            k += 1
    return counts, dalitz[:k]


@jit(allocates=True)
def _fly(key, n, pid, mass, p, z_end, forced):
    """Send n particles from the origin along +z through ``propagate`` (no magnet).

    Returns per particle: decay z of the mother, the first daughter's
    (px, py, pz, E, x, y, z, pid) (NaN when it did not decay) and the event weight.
    """
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    out = np.full((n, 10), np.nan)
    e = math.sqrt(p * p + mass * mass)
    for i in range(n):
        nn = pt.add(table, 0, 0.0, 0.0, p, e, 0.0, 0.0, 0.0, pid, True)
        nn, w = inflight.propagate(state, table, nn, z_end, 1e9, 0.0, forced)
        out[i, 9] = w
        if nn > 1:
            out[i, 0] = table[0, pt.DECAY_Z]
            for c in range(8):
                out[i, 1 + c] = table[1, c]
    return out


# ----------------------------------------------------------------- independent physics formulas


def _kroll_wada(x):
    r = (M_E / M_PI0) ** 2
    return (
        (1 - x) ** 3 / x * (1 + 2 * r / x) * np.sqrt(1 - 4 * r / x) * (1 + C.PI0_TFF_SLOPE * x) ** 2
    )


# ----------------------------------------------------------------- π0 decays


@pytest.fixture(scope="module")
def pi0_sample():
    return _pi0_at_rest(_key("pi0"), 500_000, 20_000)


def test_pi0_dalitz_branching_fraction(pi0_sample):
    counts, _ = pi0_sample
    assert set(np.unique(counts)) == {2, 3}
    frac = np.mean(counts == 3)
    p = C.BR_PI0_DALITZ
    assert p == 0.01174
    assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / counts.size)


def test_pi0_dalitz_kinematics(pi0_sample):
    _, d = pi0_sample
    np.testing.assert_array_equal(
        d[:, :, 4], np.broadcast_to([pt.POSITRON, pt.ELECTRON, pt.PHOTON], d.shape[:2])
    )
    p4 = d[:, :, :4]
    np.testing.assert_allclose(
        p4.sum(axis=1), np.broadcast_to([0, 0, 0, M_PI0], (len(d), 4)), atol=1e-12
    )
    np.testing.assert_allclose(m2(p4[:, :2]), M_E**2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(m2(p4[:, 2]), 0.0, atol=1e-15)
    m2_ee = m2(p4[:, 0] + p4[:, 1])
    assert np.all(m2_ee > 4 * M_E**2 * (1 - 1e-9)) and np.all(m2_ee < M_PI0**2)


def test_pi0_dalitz_lepton_angle_is_one_plus_cos2(pi0_sample):
    """In the e+e− frame the e+ follows 1 + cos²θ* about the virtual photon: <cos²θ*> = 2/5."""
    _, d = pi0_sample
    ee = d[:, 0, :4] + d[:, 1, :4]
    beta = ee[:, :3] / ee[:, 3:4]
    ep = np.array([boost(*e, *(-b)) for e, b in zip(d[:, 0, :4], beta)])
    axis = ee[:, :3] / np.linalg.norm(ee[:, :3], axis=1, keepdims=True)
    cos = np.einsum("ij,ij->i", ep[:, :3], axis) / np.linalg.norm(ep[:, :3], axis=1)
    c2 = cos**2
    n = len(c2)
    var = 9 / 35 - 4 / 25  # <c⁴> − <c²>² for 1 + c²
    assert abs(c2.mean() - 0.4) < 5 * math.sqrt(var / n)
    assert abs(cos.mean()) < 5 * math.sqrt(0.4 / n)
    assert abs(c2.mean() - 1 / 3) > 5 * math.sqrt(var / n)  # resolves isotropy


def test_pi0_dalitz_photon_energy(pi0_sample):
    # two-body π0 → γ* γ at rest: E_γ = (m_π0² − m²_ee)/(2 m_π0)
    _, d = pi0_sample
    m2_ee = m2(d[:, 0, :4] + d[:, 1, :4])
    np.testing.assert_allclose(d[:, 2, 3], (M_PI0**2 - m2_ee) / (2 * M_PI0), rtol=1e-10)


def test_kroll_wada_x_spectrum():
    n = 200_000
    x = draw(pi0.sample_dalitz_x, _key("kw"), n)
    x_min = 4 * (M_E / M_PI0) ** 2
    assert x.min() > x_min and x.max() < 1
    # density values of the package agree with the formula written out here
    grid = np.geomspace(x_min * 1.001, 0.999, 50)
    np.testing.assert_allclose([pi0.dalitz_density(v) for v in grid], _kroll_wada(grid), rtol=1e-12)
    # accept–reject bound
    assert np.max(_kroll_wada(grid) * grid) <= (1 + C.PI0_TFF_SLOPE) ** 2
    # binned comparison in log x
    edges = np.geomspace(x_min, 1.0, 21)
    norm = integrate.quad(_kroll_wada, x_min, 1, points=[1e-4, 1e-3, 1e-2], limit=200)[0]
    prob = (
        np.array(
            [
                integrate.quad(_kroll_wada, lo, hi, limit=200)[0]
                for lo, hi in zip(edges[:-1], edges[1:])
            ]
        )
        / norm
    )
    obs, _ = np.histogram(x, edges)
    chi2 = np.sum((obs - n * prob) ** 2 / (n * prob))
    assert stats.chi2.sf(chi2, len(prob) - 1) > 1e-4
    # the spectrum peaks at small x: the first of ten linear bins holds the most, falling after
    lin, _ = np.histogram(x, np.linspace(0, 1, 11))
    assert np.all(np.diff(lin) < 0)
    assert lin[0] > 0.5 * n


# ----------------------------------------------------------------- decays in flight


@pytest.mark.parametrize(
    ("p", "mass", "ctau", "length", "expected"),
    [
        (10.0, M_PI, C.CTAU_PI, 100.0, 0.163755),  # 1 − exp(−100 m_π/(10 GeV · 7.804 m))
        (75.0, M_K, C.CTAU_K, 81.5, 0.134593),  # the generated kaon decay range of NA62
        (10.0, M_MU, C.CTAU_MU, 100.0, 0.001603),
    ],
)
def test_decay_probability_formula(p, mass, ctau, length, expected):
    for f in (inflight.decay_probability, inflight.decay_probability.py_func):
        value = f(p, mass, ctau, length)
        assert value == pytest.approx(1 - math.exp(-length * mass / (p * ctau)), rel=1e-14)
        assert value == pytest.approx(expected, rel=1e-4)


@pytest.fixture(scope="module")
def pion_flights():
    return _fly(_key("pion"), 100_000, pt.PI_PLUS, M_PI, 10.0, 100.0, 0.0)


def test_pion_decay_probability_in_flight(pion_flights):
    out = pion_flights
    decayed = np.isfinite(out[:, 0])
    p = inflight.decay_probability(10.0, M_PI, C.CTAU_PI, 100.0)
    assert abs(decayed.mean() - p) < 5 * math.sqrt(p * (1 - p) / len(out))
    z = out[decayed, 0]
    assert z.min() > 0 and z.max() < 100.0
    # truncated exponential with mean decay length λ = p cτ/m
    lam = 10.0 / M_PI * C.CTAU_PI
    mean = lam - 100.0 * math.exp(-100.0 / lam) / (1 - math.exp(-100.0 / lam))
    assert abs(z.mean() - mean) < 5 * 100.0 / math.sqrt(12 * decayed.sum())


def test_pion_decay_daughter_kinematics(pion_flights):
    out = pion_flights
    d = out[np.isfinite(out[:, 0])]
    pid = d[:, 1 + pt.PID].astype(int)
    assert set(pid) <= {pt.MUON_PLUS, pt.POSITRON}
    assert np.mean(pid == pt.POSITRON) < 10 * C.BR_PI_ENU + 5 / len(d)
    mu = d[pid == pt.MUON_PLUS]
    p4 = mu[:, 1:5]
    np.testing.assert_allclose(m2(p4), M_MU**2, rtol=0, atol=1e-12 * 100)
    # produced at the decay point on the pion's line
    np.testing.assert_allclose(
        mu[:, 1 + pt.X : 1 + pt.Z + 1],
        np.column_stack([0 * mu[:, 0], 0 * mu[:, 0], mu[:, 0]]),
        atol=1e-12,
    )
    # exact two-body limits for a 10 GeV/c pion, and r ≤ p_μ/p_π ≤ 1 in the ultra-relativistic limit
    ratio = np.linalg.norm(p4[:, :3], axis=1) / 10.0
    p_star = two_body_momentum(M_PI, M_MU, 0.0)
    e_star = math.hypot(p_star, M_MU)
    e_pi = math.hypot(10.0, M_PI)
    gamma, beta = e_pi / M_PI, 10.0 / e_pi
    hi = gamma * (p_star + beta * e_star) / 10.0
    lo = gamma * (beta * e_star - p_star) / 10.0
    assert ratio.min() >= lo * (1 - 1e-9) and ratio.max() <= hi * (1 + 1e-9)
    r = (M_MU / M_PI) ** 2
    assert lo == pytest.approx(r, abs=1e-3) and hi == pytest.approx(1.0, abs=1e-3)
    assert ratio.min() < r + 0.01 and ratio.max() > 0.99
    # isotropic two-body decay ⇒ flat p_μ between the limits: mean (1 + r)/2
    assert abs(ratio.mean() - (lo + hi) / 2) < 5 * (hi - lo) / math.sqrt(12 * len(ratio))


def test_michel_spectrum():
    n = 200_000
    x = draw(inflight.michel_x, _key("michel"), n)
    assert x.min() > 0 and x.max() <= 1
    # 2x²(3 − 2x): mean 0.7, variance 8/15 − 0.49
    assert abs(x.mean() - 0.7) < 5 * math.sqrt((8 / 15 - 0.49) / n)
    assert stats.kstest(x, lambda v: 2 * v**3 - v**4).pvalue > 1e-4


def test_muon_decay_in_flight_gives_michel_positrons():
    """Slow muons (1 MeV/c) all decay within 1e6 m; positron energies in their frame are Michel."""
    n = 20_000
    out = _fly(_key("muon"), n, pt.MUON_PLUS, M_MU, 1e-3, 1e6, 0.0)
    assert np.all(np.isfinite(out[:, 0]))
    assert np.all(out[:, 1 + pt.PID] == pt.POSITRON)
    e_mu = math.hypot(1e-3, M_MU)
    e_rest = np.array([boost(*row[1:5], 0.0, 0.0, -1e-3 / e_mu)[3] for row in out])
    x = 2 * e_rest / M_MU
    assert abs(x.mean() - 0.7) < 5 * math.sqrt((8 / 15 - 0.49) / n)
    assert x.max() <= 1.0 + 1e-9


def test_natural_decays_in_flight_carry_unit_weight(pion_flights):
    np.testing.assert_array_equal(pion_flights[:, 9], 1.0)


@pytest.mark.parametrize("forced", [0.2, 0.6])
def test_forced_muon_decays_keep_the_expected_weighted_rate(forced):
    """Importance sampling: the weighted decay fraction is still 1 − exp(−L m/(p cτ))."""
    n = 50_000
    p, length = 10.0, 100.0
    out = _fly(_key(f"forced/mu/{forced}"), n, pt.MUON_PLUS, M_MU, p, length, forced)
    decayed = np.isfinite(out[:, 0])
    w = out[:, 9]
    prob = inflight.decay_probability(p, M_MU, C.CTAU_MU, length)
    assert abs(decayed.mean() - forced) < 5 * math.sqrt(forced * (1 - forced) / n)
    # decayed muons carry P/f, surviving ones (1 − P)/(1 − f)
    np.testing.assert_allclose(w[decayed], prob / forced, rtol=1e-12)
    np.testing.assert_allclose(w[~decayed], (1 - prob) / (1 - forced), rtol=1e-12)
    assert abs(w.mean() - 1.0) < 5 * w.std() / math.sqrt(n)
    assert abs(np.sum(w * decayed) / n - prob) < 5 * np.std(w * decayed) / math.sqrt(n)
    # forced decays still follow the exponential law inside [0, L)
    z = out[decayed, 0]
    assert z.min() >= 0 and z.max() < length
    lam = p / M_MU * C.CTAU_MU
    mean = lam - length * math.exp(-length / lam) / (1 - math.exp(-length / lam))
    assert abs(z.mean() - mean) < 5 * length / math.sqrt(12 * z.size)


def test_forced_pion_decays_to_positrons_keep_the_branching_ratio():
    n = 50_000
    forced = 0.3
    # all pions decay (very long z_end); the π → eν branch is chosen with probability 0.3
    out = _fly(_key("forced/pi"), n, pt.PI_PLUS, M_PI, 1.0, 1e7, forced)
    pid = out[:, 1 + pt.PID]
    assert np.all(np.isfinite(out[:, 0]))
    is_e = pid == pt.POSITRON
    assert abs(is_e.mean() - forced) < 5 * math.sqrt(forced * (1 - forced) / n)
    w = out[:, 9]
    # the weighted fraction of π → eν is the branching ratio, and the total weight is conserved
    np.testing.assert_allclose(
        np.sum(w[is_e]) / n, C.BR_PI_ENU, rtol=5 * math.sqrt((1 - forced) / (forced * n))
    )
    assert abs(w.mean() - 1.0) < 5 * w.std() / math.sqrt(n)
    # positrons from π → eν carry p* = (m_π² − m_e²)/(2 m_π) in the pion frame
    e_pi = math.hypot(1.0, M_PI)
    e_rest = np.array([boost(*row[1:5], 0.0, 0.0, -1.0 / e_pi)[3] for row in out[is_e][:2000]])
    np.testing.assert_allclose(e_rest, (M_PI**2 + M_E**2) / (2 * M_PI), rtol=1e-9)
