"""Relativistic kinematics and the missing mass: known two-body momenta, Lorentz invariance.

Scalar kernels are tested both compiled and as plain Python (``.py_func``), so
that a Numba-specific miscompilation and a wrong formula are told apart.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sampling import draw

from analysis import kinematics as kin
from analysis import rng
from analysis.constants import M_E, M_K, M_MU, M_PI, M_PI0
from analysis.missing_mass import missing_mass_squared, signed_mass_mev


@pytest.fixture(params=["compiled", "py_func"])
def mode(request):
    return request.param


def kernel(func, mode):
    return func if mode == "compiled" else func.py_func


def _random_vectors(n, seed, mass_max=1.0, p_max=100.0):
    g = np.random.default_rng(seed)
    m = g.uniform(0.0, mass_max, n)
    p = g.normal(size=(n, 3)) * g.uniform(0.0, p_max, (n, 1))
    e = np.sqrt((p**2).sum(axis=1) + m**2)
    return p, e, m


def _random_velocities(n, seed):
    g = np.random.default_rng(seed)
    d = g.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    # |β| up to 1 − 1e-6 (γ ≈ 700), the range of beam kaons and their daughters
    beta = 1.0 - 10.0 ** g.uniform(-6.0, 0.0, n)
    return d * beta[:, None] * 0.999999


# ----------------------------------------------------------------- two-body momentum


@pytest.mark.parametrize(
    ("masses", "p_star_mev"),
    [
        ((M_K, M_MU, 0.0), 235.53),  # K+ → μ+ ν
        ((M_K, M_PI, M_PI0), 205.14),  # K+ → π+ π0
        ((M_K, M_E, 0.0), 246.84),  # K+ → e+ ν: (m_K² − m_e²)/(2 m_K)
        ((M_PI, M_MU, 0.0), 29.79),  # π+ → μ+ ν
    ],
    ids=["kmu2", "k2pi", "ke2", "pimu2"],
)
def test_two_body_momentum_hand_values(mode, masses, p_star_mev):
    p = kernel(kin.two_body_momentum, mode)(*masses)
    assert p * 1e3 == pytest.approx(p_star_mev, abs=0.01)


def test_two_body_momentum_massless_daughter_is_exact(mode):
    f = kernel(kin.two_body_momentum, mode)
    for m1 in (M_E, M_MU, M_PI, 0.3, 0.45):
        assert f(M_K, m1, 0.0) == pytest.approx((M_K**2 - m1**2) / (2 * M_K), rel=1e-13)


def test_two_body_momentum_agrees_with_kallen_and_is_symmetric(mode):
    f = kernel(kin.two_body_momentum, mode)
    lam = kernel(kin.kallen, mode)
    for m1, m2 in [(M_PI, M_PI0), (M_MU, 0.2), (0.1, 0.3), (M_E, M_E)]:
        p = f(M_K, m1, m2)
        assert p == pytest.approx(math.sqrt(lam(M_K**2, m1**2, m2**2)) / (2 * M_K), rel=1e-12)
        assert p == f(M_K, m2, m1)
        # the daughters' energies add up to the parent mass
        assert math.hypot(p, m1) + math.hypot(p, m2) == pytest.approx(M_K, rel=1e-14)


def test_two_body_momentum_threshold_and_forbidden(mode):
    f = kernel(kin.two_body_momentum, mode)
    assert f(M_PI + M_MU, M_PI, M_MU) == 0.0
    assert math.isnan(f(M_PI, M_PI, M_MU))
    assert math.isnan(f(M_K, 0.3, 0.3))


def test_kallen_properties(mode):
    lam = kernel(kin.kallen, mode)
    a, b, c = 0.24, 0.011, 0.018
    assert lam(a, b, c) == pytest.approx(lam(b, c, a), rel=1e-14)
    assert lam(a, b, c) == pytest.approx(lam(c, a, b), rel=1e-14)
    assert lam(a, b, 0.0) == pytest.approx((a - b) ** 2, rel=1e-14)
    # vanishes at threshold √a = √b + √c
    assert lam((0.1 + 0.2) ** 2, 0.1**2, 0.2**2) == pytest.approx(0.0, abs=1e-16)


# ----------------------------------------------------------------- boosts


def test_boost_then_inverse_is_identity(mode):
    boost = kernel(kin.boost, mode)
    p, e, _ = _random_vectors(300, 1)
    betas = _random_velocities(300, 2)
    for (px, py, pz), ee, (bx, by, bz) in zip(p, e, betas):
        q = boost(px, py, pz, ee, bx, by, bz)
        r = boost(*q, -bx, -by, -bz)
        # 1 − β² loses digits as γ grows: the round trip is exact to ~γ² × machine epsilon
        gamma2 = 1.0 / (1.0 - (bx * bx + by * by + bz * bz))
        scale = math.sqrt(q[3] ** 2 + ee**2)
        np.testing.assert_allclose(r, (px, py, pz, ee), rtol=0, atol=1e-14 * gamma2 * scale + 1e-15)


def test_boost_preserves_invariant_mass(mode):
    boost = kernel(kin.boost, mode)
    m2 = kernel(kin.mass_squared, mode)
    p, e, m = _random_vectors(300, 3)
    betas = _random_velocities(300, 4)
    for (px, py, pz), ee, mm, (bx, by, bz) in zip(p, e, m, betas):
        q = boost(px, py, pz, ee, bx, by, bz)
        # E² − p² is a difference of large numbers: tolerance relative to E²
        assert m2(*q) == pytest.approx(mm**2, abs=1e-12 * q[3] ** 2)


def test_boost_of_particle_at_rest_moves_with_beta(mode):
    boost = kernel(kin.boost, mode)
    vel = kernel(kin.velocity, mode)
    for bx, by, bz in _random_velocities(50, 5):
        q = boost(0.0, 0.0, 0.0, M_K, bx, by, bz)
        gamma = 1 / math.sqrt(1 - (bx * bx + by * by + bz * bz))
        assert q[3] == pytest.approx(gamma * M_K, rel=1e-10)
        np.testing.assert_allclose(vel(*q), (bx, by, bz), rtol=1e-10, atol=1e-15)


def test_collinear_boosts_add_rapidities(mode):
    boost = kernel(kin.boost, mode)
    y1, y2 = 0.7, 2.3
    q = boost(0.0, 0.0, 0.0, M_PI, 0.0, 0.0, math.tanh(y1))
    q = boost(*q, 0.0, 0.0, math.tanh(y2))
    assert q[2] == pytest.approx(M_PI * math.sinh(y1 + y2), rel=1e-12)
    assert q[3] == pytest.approx(M_PI * math.cosh(y1 + y2), rel=1e-12)
    assert q[0] == q[1] == 0.0


def test_boost_by_zero_velocity_is_identity(mode):
    boost = kernel(kin.boost, mode)
    assert boost(0.1, -0.2, 0.3, 0.5, 0.0, 0.0, 0.0) == (0.1, -0.2, 0.3, 0.5)


def test_kaon_beam_boost_of_kmu2_rest_frame(mode):
    """A 75 GeV/c K+: the forward muon gets γ(p* + βE*), the backward one γ(βE* − p*)."""
    boost = kernel(kin.boost, mode)
    p_star = kin.two_body_momentum(M_K, M_MU, 0.0)
    e_star = math.hypot(p_star, M_MU)
    e_k = math.hypot(75.0, M_K)
    beta, gamma = 75.0 / e_k, e_k / M_K
    fwd = boost(0.0, 0.0, p_star, e_star, 0.0, 0.0, beta)
    bwd = boost(0.0, 0.0, -p_star, e_star, 0.0, 0.0, beta)
    assert fwd[2] == pytest.approx(gamma * (p_star + beta * e_star), rel=1e-12)
    assert bwd[2] == pytest.approx(gamma * (beta * e_star - p_star), rel=1e-10)
    # the muon and neutrino momenta add up to the kaon's
    nu = boost(0.0, 0.0, -p_star, p_star, 0.0, 0.0, beta)
    assert fwd[2] + nu[2] == pytest.approx(75.0, rel=1e-11)
    assert fwd[3] + nu[3] == pytest.approx(e_k, rel=1e-11)


@pytest.mark.skipif(not hasattr(kin, "to_lab"), reason="to_lab not provided")
def test_to_lab_is_the_boost_by_the_parent_velocity(mode):
    to_lab = kernel(kin.to_lab, mode)
    boost = kernel(kin.boost, mode)
    parents, e_parents, m_parents = _random_vectors(200, 11, mass_max=0.5, p_max=80.0)
    daughters, e_daughters, m_daughters = _random_vectors(200, 12, mass_max=0.2, p_max=0.3)
    for (px, py, pz), e, m, (qx, qy, qz), qe, mq in zip(
        parents, e_parents, m_parents, daughters, e_daughters, m_daughters
    ):
        if m < 0.1:  # keep γ < 1000, where boost() by β is itself exact to ~1e-10
            continue
        lab = to_lab(px, py, pz, e, m, qx, qy, qz, qe)
        ref = boost(qx, qy, qz, qe, px / e, py / e, pz / e)
        np.testing.assert_allclose(lab, ref, rtol=1e-9, atol=1e-12 * e)
        assert kin.mass_squared(*lab) == pytest.approx(mq**2, abs=1e-11 * lab[3] ** 2)
        # the parent's own rest-frame four-vector (0, 0, 0, m) goes back to the parent
        np.testing.assert_allclose(
            to_lab(px, py, pz, e, m, 0.0, 0.0, 0.0, m), (px, py, pz, e), rtol=1e-13
        )


def test_energy_and_mass_squared(mode):
    en = kernel(kin.energy, mode)
    m2 = kernel(kin.mass_squared, mode)
    e = en(0.3, -0.4, 1.2, M_MU)
    assert e == pytest.approx(math.sqrt(0.09 + 0.16 + 1.44 + M_MU**2), rel=1e-15)
    assert m2(0.3, -0.4, 1.2, e) == pytest.approx(M_MU**2, rel=1e-12)


# ----------------------------------------------------------------- directions


def test_isotropic_direction_is_uniform_on_the_sphere():
    n = 200_000
    u = draw(kin.isotropic_direction, rng.sample_key(1, "test/kinematics"), n, width=3)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, rtol=0, atol=1e-14)
    # <u_i> = 0 with Var = 1/3; <u_i²> = 1/3 with Var(u_i²) = 1/5 − 1/9 = 4/45
    assert np.all(np.abs(u.mean(axis=0)) < 5 * math.sqrt(1 / 3 / n))
    assert np.all(np.abs((u**2).mean(axis=0) - 1 / 3) < 5 * math.sqrt(4 / 45 / n))
    # no correlation between components: <u_x u_y> = 0 with Var = 1/15
    for i, j in [(0, 1), (1, 2), (0, 2)]:
        assert abs(np.mean(u[:, i] * u[:, j])) < 5 * math.sqrt(1 / 15 / n)
    # cos θ uniform in [−1, 1] (Archimedes): the fraction in the polar caps |cos θ| > 0.9 is 10%
    assert abs(np.mean(np.abs(u[:, 2]) > 0.9) - 0.1) < 5 * math.sqrt(0.09 / n)


def test_two_body_rest_kinematics():
    out = draw(
        kin.two_body_rest, rng.sample_key(2, "test/kinematics"), 1000, M_K, M_PI, M_PI0, width=6
    )
    p = kin.two_body_momentum(M_K, M_PI, M_PI0)
    np.testing.assert_allclose(out[:, 3], p, rtol=1e-15)
    np.testing.assert_allclose(out[:, 4] + out[:, 5], M_K, rtol=1e-14)
    np.testing.assert_allclose(out[:, 4] ** 2 - out[:, 3] ** 2, M_PI**2, rtol=1e-12)
    np.testing.assert_allclose(out[:, 5] ** 2 - out[:, 3] ** 2, M_PI0**2, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(out[:, :3], axis=1), 1.0, atol=1e-14)


@pytest.mark.parametrize(
    "u", [(0.0, 0.0, 1.0), (0.0, 0.0, -1.0), (1.0, 0.0, 0.0), (0.6, 0.0, 0.8), (0.48, 0.6, 0.64)]
)
def test_orthonormal_basis_is_right_handed(mode, u):
    basis = kernel(kin.orthonormal_basis, mode)
    a = np.array(basis(*u))
    e1, e2, uu = a[:3], a[3:], np.array(u)
    m = np.array([e1, e2, uu])
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-14)
    assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-14)


# ----------------------------------------------------------------- missing mass


def test_missing_mass_of_kmu2_is_zero_under_muon_hypothesis():
    """K+ (0, 0, 75 GeV/c) → μ+ ν at many rest-frame angles: m²_miss = m²_ν = 0."""
    p_star = kin.two_body_momentum(M_K, M_MU, 0.0)
    e_star = math.hypot(p_star, M_MU)
    e_k = math.hypot(75.0, M_K)
    beta = 75.0 / e_k
    cos_t = np.linspace(-1.0, 1.0, 41)
    sin_t = np.sqrt(1.0 - cos_t**2)
    mu = np.array(
        [
            kin.boost(p_star * s, 0.0, p_star * c, e_star, 0.0, 0.0, beta)
            for c, s in zip(cos_t, sin_t)
        ]
    )
    m2 = missing_mass_squared((0.0, 0.0, 75.0), mu[:, 0], mu[:, 1], mu[:, 2], M_MU)
    np.testing.assert_allclose(m2, 0.0, atol=1e-9)
    # the wrong (positron) hypothesis spreads the events out: the mass hypothesis is used
    m2_e = missing_mass_squared((0.0, 0.0, 75.0), mu[:, 0], mu[:, 1], mu[:, 2], M_E)
    assert np.max(np.abs(m2_e)) > 0.1


@pytest.mark.parametrize("m_n", [0.17, 0.3, 0.448])
def test_missing_mass_of_ke_n_is_m_n_squared(m_n):
    p_star = kin.two_body_momentum(M_K, M_E, m_n)
    e_star = math.hypot(p_star, M_E)
    # a kaon with a small angle, as the beam divergence gives
    kaon = np.array([0.0075, -0.004, 75.0])
    e_k = math.sqrt(kaon @ kaon + M_K**2)
    b = kaon / e_k
    g = np.random.default_rng(9)
    u = g.normal(size=(200, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    e = np.array([kin.boost(*(p_star * d), e_star, *b) for d in u])
    m2 = missing_mass_squared(kaon, e[:, 0], e[:, 1], e[:, 2], M_E)
    np.testing.assert_allclose(m2, m_n**2, rtol=0, atol=1e-9)
    np.testing.assert_allclose(signed_mass_mev(m2), m_n * 1e3, rtol=1e-8)


def test_missing_mass_per_event_kaon_arrays():
    kaon = (np.zeros(3), np.zeros(3), np.array([70.0, 75.0, 80.0]))
    # a track with the kaon's own momentum under the kaon mass: nothing is missing
    m2 = missing_mass_squared(kaon, np.zeros(3), np.zeros(3), kaon[2], M_K)
    np.testing.assert_allclose(m2, 0.0, atol=1e-9)


def test_signed_mass_keeps_the_sign():
    np.testing.assert_allclose(signed_mass_mev([0.09, -0.0004, 0.0]), [300.0, -20.0, 0.0])
