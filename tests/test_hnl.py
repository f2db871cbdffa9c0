"""Heavy-neutral-lepton production (Shrock's ρ) and decay widths against PHYSICS.md §4."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import hnl
from analysis.constants import BR_KE2, BR_KMU2, F_PI, G_FERMI, M_E, M_K, M_MU, M_PI, V_UD


@pytest.mark.parametrize(
    ("mass_mev", "lepton", "expected"),
    [
        (300.0, "e", 1.3711e5),
        (170.0, "e", 8.5986e4),
        (448.0, "e", 2.3940e4),
        (300.0, "mu", 3.8998),
        (375.0, "mu", 1.5616),
    ],
)
def test_rho_reference_values(mass_mev, lepton, expected):
    assert float(hnl.rho(mass_mev * 1e-3, lepton)) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("lepton", ["e", "mu"])
def test_rho_is_one_for_a_massless_neutrino(lepton):
    assert float(hnl.rho(0.0, lepton)) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(("lepton", "m_l"), [("e", M_E), ("mu", M_MU)])
def test_rho_vanishes_at_the_kinematic_end_point(lepton, m_l):
    end = M_K - m_l
    assert float(hnl.rho(end, lepton)) == 0.0
    assert float(hnl.rho(end + 0.01, lepton)) == 0.0
    assert float(hnl.rho(-0.01, lepton)) == 0.0
    # continuous approach: ρ ∝ √(phase space) → 0
    near = hnl.rho(end - np.array([1e-2, 1e-4, 1e-6]), lepton)
    assert np.all(np.diff(near) < 0)
    assert near[-1] < 1e-2 * near[0]


def test_rho_matches_shrock_formula_on_a_grid():
    for lepton, m_l in (("e", M_E), ("mu", M_MU)):
        m = np.linspace(0.0, M_K - m_l - 1e-3, 200)
        x, y = (m_l / M_K) ** 2, (m / M_K) ** 2
        lam = 1 + x * x + y * y - 2 * (x + y + x * y)
        ref = (x + y - (x - y) ** 2) * np.sqrt(lam) / (x * (1 - x) ** 2)
        got = hnl.rho(m, lepton)
        assert got.shape == m.shape
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_helicity_enhancement_for_electrons():
    """K → eN is helicity-unsuppressed for a heavy N: ρ_e ≫ ρ_μ where both are open."""
    m = np.linspace(0.1, 0.38, 20)
    assert np.all(hnl.rho(m, "e") > 1e3 * hnl.rho(m, "mu"))


@pytest.mark.parametrize(("lepton", "expected_mev"), [("mu", 3.5226e-13), ("e", 7.2112e-13)])
def test_width_pi_lepton_reference_values(lepton, expected_mev):
    assert float(hnl.width_pi_lepton(0.300, lepton)) * 1e3 == pytest.approx(expected_mev, rel=1e-4)


def test_width_scales_with_mixing_and_closes_at_threshold():
    w1 = float(hnl.width_pi_lepton(0.3, "mu"))
    assert float(hnl.width_pi_lepton(0.3, "mu", u2=1e-6)) == pytest.approx(1e-6 * w1, rel=1e-12)
    assert float(hnl.width_pi_lepton(M_PI + M_MU - 1e-6, "mu")) == 0.0
    assert float(hnl.width_pi_lepton(0.1, "e")) == 0.0
    just_open = float(hnl.width_pi_lepton(M_PI + M_MU + 1e-6, "mu"))
    assert 0.0 < just_open < 1e-2 * w1


def test_width_large_mass_limit():
    """Far above threshold Γ → G_F²|V_ud|²f_π² m³/(16π) (all mass ratios → 0)."""
    m = 50.0
    limit = G_FERMI**2 * V_UD**2 * F_PI**2 * m**3 / (16 * math.pi)
    assert float(hnl.width_pi_lepton(m, "e")) == pytest.approx(limit, rel=1e-4)


def test_branching_ratio_and_its_inverse():
    m = np.array([0.17, 0.25, 0.3, 0.448])
    u2 = np.array([1e-7, 3e-7, 1e-6, 2e-6])
    br = hnl.branching_ratio(m, u2, "e")
    np.testing.assert_allclose(br, BR_KE2 * hnl.rho(m, "e") * u2, rtol=1e-14)
    np.testing.assert_allclose(hnl.u2_from_branching_ratio(br, m, "e"), u2, rtol=1e-12)
    br_mu = hnl.branching_ratio(0.3, 1e-5, "mu")
    assert float(br_mu) == pytest.approx(BR_KMU2 * 3.8998 * 1e-5, rel=1e-4)
    assert float(hnl.u2_from_branching_ratio(br_mu, 0.3, "mu")) == pytest.approx(1e-5, rel=1e-12)


def test_u2_is_unbounded_beyond_the_end_point():
    assert np.isinf(hnl.u2_from_branching_ratio(1e-9, 0.45, "mu"))


def test_u2_from_zero_branching_ratio_beyond_the_end_point_warns_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u2 = hnl.u2_from_branching_ratio(np.array([0.0, 1e-9]), np.array([0.45, 0.45]), "mu")
    assert np.all(np.isinf(u2))


def test_unknown_lepton_is_refused():
    with pytest.raises(ValueError, match="lepton"):
        hnl.rho(0.3, "tau")
    with pytest.raises(ValueError, match="lepton"):
        hnl.width_pi_lepton(0.3, "tau")
