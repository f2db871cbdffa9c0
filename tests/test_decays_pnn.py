"""K+ → π+ ν ν̄ (Standard Model) and K+ → π+ π− e+ ν (K_e4, four-body phase space).

Reference densities are written out here independently of the package: the
q² spectrum f+(q²)² λ^{3/2}(m²_K, m²_π, q²) and the sin²θ neutrino angle of
K → πνν̄, and the four-body phase-space density p*(K) p*(ππ) p*(eν) in
(M_ππ, M_eν) of K_e4.  Sampled spectra are compared with them by χ² and
Kolmogorov–Smirnov tests that also exclude the nearby wrong laws, and sampled
averages within 5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from decay_drivers import VX, VY, VZ, decays, new_state
from fourvectors import m2, to_rest
from scipy import integrate, stats

from analysis import constants as C
from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.constants import M_E, M_K, M_PI
from analysis.decays import (
    BACKGROUND_CHANNELS,
    CHANNELS,
    dispatch,
    inflight,
    ke4,
    phase_space,
    pinunu,
)

KAON_P = (0.0075, -0.004, 75.0)  # a beam kaon with a divergence-sized angle
KAON = np.array([*KAON_P, math.sqrt(sum(p * p for p in KAON_P) + M_K**2)])
FOUR = [pt.PX, pt.PY, pt.PZ, pt.E]
PINUNU, KE4 = CHANNELS["pinunu"].code, CHANNELS["ke4"].code
Q2_MAX = (M_K - M_PI) ** 2


def _key(name):
    return rng.sample_key(2024, f"test/pnn/{name}")


def _cos(a, b):
    """Cosine of the angle between the 3-vectors of (..., 4) arrays a and b."""
    dot = np.einsum("ij,ij->i", a[:, :3], b[:, :3])
    return dot / np.linalg.norm(a[:, :3], axis=1) / np.linalg.norm(b[:, :3], axis=1)


def _p_star(m, ma, mb):
    """Two-body momentum √[(m² − (ma + mb)²)(m² − (ma − mb)²)]/(2m), 0 below threshold."""
    m = np.asarray(m, dtype=float)
    lam = (m * m - (ma + mb) ** 2) * (m * m - (ma - mb) ** 2)
    return np.sqrt(np.clip(lam, 0.0, None)) / (2 * m)


def _chi2_p(obs, prob):
    exp = obs.sum() * prob / prob.sum()
    return stats.chi2.sf(np.sum((obs - exp) ** 2 / exp), len(exp) - 1)


# ----------------------------------------------------------------- compiled drivers


@jit(allocates=True)
def _ke4_then_decays_in_flight(key, n, z_end):
    """K_e4 decays followed by natural π/μ decays in flight up to ``z_end``; full tables."""
    state = new_state(key)
    out = np.zeros((n, pt.MAX_PARTICLES, pt.N_COLUMNS))
    counts = np.empty(n, np.int64)
    px, py, pz = KAON_P
    e = math.sqrt(px * px + py * py + pz * pz + M_K * M_K)
    for i in range(n):
        m = ke4.generate(state, out[i], 0, px, py, pz, e, VX, VY, VZ)
        counts[i], _ = inflight.propagate(state, out[i], m, z_end, 1e12, 0.0, 0.0, 0.0)
    return out, counts


# ----------------------------------------------------------------- registration


def test_channels_are_registered_with_dispatch():
    pnn, k = CHANNELS["pinunu"], CHANNELS["ke4"]
    assert (pnn.code, pnn.n_body, pnn.branching_ratio) == (15, 3, C.BR_KPINUNU_SM)
    assert (k.code, k.n_body, k.branching_ratio) == (16, 4, C.BR_KE4)
    assert C.BR_KE4 == 4.247e-5 and C.BR_KPINUNU_SM == 8.4e-11
    assert not (pnn.signal or k.signal or pnn.beam_halo or k.beam_halo)
    assert {"pinunu", "ke4"} <= set(BACKGROUND_CHANNELS)
    assert dispatch.PINUNU == 15 and dispatch.KE4 == 16
    assert len({c.code for c in CHANNELS.values()}) == len(CHANNELS)


@pytest.mark.parametrize(
    ("name", "pids"),
    [
        ("pinunu", [pt.PI_PLUS, pt.NEUTRINO, pt.NEUTRINO]),
        ("ke4", [pt.PI_PLUS, pt.PI_MINUS, pt.POSITRON, pt.NEUTRINO]),
    ],
)
def test_dispatch_particle_content(name, pids):
    rows, counts = decays(_key(f"dispatch/{name}"), CHANNELS[name].code, 500, 4, *KAON_P, 0.0, -1.0)
    assert np.all(counts == len(pids))
    np.testing.assert_array_equal(
        rows[:, : len(pids), pt.PID], np.broadcast_to(pids, (500, len(pids)))
    )
    assert np.all(rows[:, len(pids) :] == 0.0)  # nothing beyond the returned count


def _run_py_func_and_compiled(module, key, n):
    """n decays by the compiled kernel and by its .py_func, from the same stream."""
    tables = []
    for f in (module.generate, module.generate.py_func):
        state = new_state(key)
        out = np.zeros((n, pt.MAX_PARTICLES, pt.N_COLUMNS))
        for i in range(n):
            f(state, out[i], 0, *KAON, VX, VY, VZ)
        tables.append(out)
    return tables


@pytest.mark.parametrize("module", [pinunu, ke4], ids=["pinunu", "ke4"])
def test_py_func_and_compiled_kernels_agree(module):
    compiled, python = _run_py_func_and_compiled(module, _key(f"py_func/{module.__name__}"), 200)
    np.testing.assert_array_equal(python, compiled)
    assert np.all(compiled[:, 0, pt.PID] == pt.PI_PLUS)
    q2 = np.linspace(-0.01, Q2_MAX + 0.01, 301)
    np.testing.assert_allclose(
        [pinunu.density(x) for x in q2], [pinunu.density.py_func(x) for x in q2], rtol=1e-15
    )
    args = (M_K, M_PI, M_PI, M_E, 0.0)
    for a, b in [(0.3, 0.1), (0.35, 0.02), (0.28, 0.001), (0.4, 0.1)]:
        w = phase_space.pair_weight(*args, a, b)
        assert w == pytest.approx(phase_space.pair_weight.py_func(*args, a, b), rel=1e-15)


# ----------------------------------------------------------------- K+ → π+ ν ν̄


def _pnn_reference(q2, law="sm"):
    """dΓ/dq² (up to a constant) under ``law``: the SM, f+ = 1, or pure phase space."""
    q2 = np.asarray(q2, dtype=float)
    lam = np.clip((M_K**2 - M_PI**2 - q2) ** 2 - 4 * M_PI**2 * q2, 0, None)
    x = q2 / M_PI**2
    f = 1 + C.KL3_LAMBDA_P1 * x + 0.5 * C.KL3_LAMBDA_P2 * x * x
    # three-body phase space with massless νν̄ projects onto q² as λ^{1/2}
    return {"sm": f * f * lam**1.5, "no_form_factor": lam**1.5, "phase_space": lam**0.5}[law]


@pytest.fixture(scope="module")
def pinunu_flight():
    """5e4 decays of a 75 GeV/c K+."""
    rows, counts = decays(_key("pinunu"), PINUNU, 50_000, 3, *KAON_P, 0.0, -1.0)
    assert np.all(counts == 3)
    return rows


@pytest.fixture(scope="module")
def pinunu_q2():
    """q² = M²(νν̄) of 2e5 decays at rest."""
    rows, _ = decays(_key("pinunu/rest"), PINUNU, 200_000, 3, 0.0, 0.0, 0.0, 0.0, -1.0)
    return m2(rows[:, 1, FOUR] + rows[:, 2, FOUR])


def test_pinunu_density_is_the_reference_law():
    q2 = np.linspace(1e-9, 0.999 * Q2_MAX, 2001)  # λ loses digits to cancellation at the end
    got = np.array([pinunu.density(x) for x in q2])
    ratio = got / _pnn_reference(q2)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # equal up to a constant
    assert got.max() <= pinunu.D_MAX < 1.1 * got.max()
    assert pinunu.density(-1e-6) == 0.0 and pinunu.density(Q2_MAX + 1e-6) == 0.0


def test_pinunu_content_and_conservation(pinunu_flight):
    rows = pinunu_flight
    n = len(rows)
    pids = [pt.PI_PLUS, pt.NEUTRINO, pt.NEUTRINO]
    np.testing.assert_array_equal(rows[:, :, pt.PID], np.broadcast_to(pids, (n, 3)))
    np.testing.assert_array_equal(rows[:, :, pt.VISIBLE], np.broadcast_to([1, 0, 0], (n, 3)))
    np.testing.assert_array_equal(
        rows[:, :, pt.X : pt.Z + 1], np.broadcast_to([VX, VY, VZ], (n, 3, 3))
    )
    assert np.all(np.isinf(rows[:, :, pt.DECAY_Z])) and np.all(rows[:, :, pt.CHILD] == -1)
    assert sum(pt.charge(p) for p in pids) == 1
    p4 = rows[:, :, FOUR]
    np.testing.assert_allclose(p4.sum(axis=1), np.broadcast_to(KAON, (n, 4)), atol=1e-9 * KAON[3])
    np.testing.assert_allclose(
        m2(p4), np.broadcast_to([M_PI**2, 0, 0], (n, 3)), rtol=0, atol=1e-12 * KAON[3] ** 2
    )


def test_pinunu_pion_momentum_end_point(pinunu_flight):
    rows = pinunu_flight
    pion = to_rest(rows[:, 0, FOUR], np.broadcast_to(KAON, (len(rows), 4)))
    p_star = np.linalg.norm(pion[:, :3], axis=1)
    end_point = _p_star(M_K, M_PI, 0.0)  # p*(q² = 0) = (m²_K − m²_π)/(2 m_K)
    assert end_point == pytest.approx((M_K**2 - M_PI**2) / (2 * M_K), rel=1e-14)
    assert abs(end_point - 0.2271) < 5e-5  # 227.1 MeV/c
    assert p_star.max() <= end_point * (1 + 1e-9)
    # dΓ/dq² peaks at q² = 0: events crowd up to the end point
    assert p_star.max() > end_point - 1e-4 and np.mean(p_star > end_point - 0.01) > 0.05
    # and event by event p* is the two-body momentum of K → π (νν̄) at the νν̄ mass
    q2 = m2(rows[:, 1, FOUR] + rows[:, 2, FOUR])
    assert q2.min() > -1e-9 and q2.max() < Q2_MAX * (1 + 1e-9)
    np.testing.assert_allclose(p_star, _p_star(M_K, M_PI, np.sqrt(np.clip(q2, 0, None))), atol=1e-8)


def test_pinunu_q2_spectrum(pinunu_q2):
    q2 = pinunu_q2
    edges = np.linspace(0.0, Q2_MAX, 21)
    obs, _ = np.histogram(q2, edges)
    grid = np.linspace(0.0, Q2_MAX, 20_001)
    for law, ok in [("sm", True), ("no_form_factor", False), ("phase_space", False)]:
        prob = np.array(
            [
                integrate.quad(_pnn_reference, a, b, args=(law,))[0]
                for a, b in zip(edges[:-1], edges[1:])
            ]
        )
        cdf = integrate.cumulative_trapezoid(_pnn_reference(grid, law), grid, initial=0.0)
        ks = stats.kstest(q2, lambda x, c=cdf / cdf[-1]: np.interp(x, grid, c)).pvalue
        # the spectrum is f+² λ^{3/2}: a constant f+ and pure phase space are both excluded
        if ok:
            assert _chi2_p(obs, prob) > 1e-4 and ks > 1e-4, law
        else:
            assert _chi2_p(obs, prob) < 1e-6 and ks < 1e-6, law


def test_pinunu_neutrino_angle_is_sin2(pinunu_flight):
    """Neutrino polar angle about the νν̄ flight direction, in the νν̄ frame: sin²θ."""
    rows = pinunu_flight
    nn = rows[:, 1, FOUR] + rows[:, 2, FOUR]
    nu, nubar, pion = (to_rest(rows[:, j, FOUR], nn) for j in (1, 2, 0))
    # the νν̄ flight direction (kaon frame) is opposite to the pion seen from the νν̄ frame
    cos = -_cos(nu, pion)
    np.testing.assert_allclose(_cos(nu, nubar), -1.0, atol=1e-6)  # back to back
    n = len(cos)
    sigma = math.sqrt((3 / 35 - 1 / 25) / n)  # Var(cos²θ) under sin²θ
    assert abs(np.mean(cos**2) - 1 / 5) < 5 * sigma
    assert abs(np.mean(cos**2) - 1 / 3) > 10 * sigma  # isotropy is excluded
    assert abs(cos.mean()) < 5 * math.sqrt(1 / 5 / n)
    assert stats.kstest(cos, lambda c: (2 + 3 * c - c**3) / 4).pvalue > 1e-4


# ----------------------------------------------------------------- K+ → π+ π− e+ ν


def _ke4_weight(m_pipi, m_enu, law="phase_space"):
    """Density in (M_ππ, M_eν): four-body phase space, or a wrong law."""
    w = _p_star(M_K, m_pipi, m_enu) * _p_star(m_pipi, M_PI, M_PI) * _p_star(m_enu, M_E, 0.0)
    inside = (m_pipi > 2 * M_PI) & (m_enu > M_E) & (m_pipi + m_enu < M_K)
    w = np.where(inside, w, 0.0)
    if law == "flat_masses":  # masses uniform in the allowed triangle
        return inside * 1.0
    if law == "no_jacobian":  # p* product taken as the density in (M²_ππ, M²_eν)
        return w * m_pipi * m_enu
    return w


def _ke4_integral(f, law, a_lo=2 * M_PI, a_hi=M_K - M_E):
    """∫∫ f(M_ππ, M_eν) × density over M_ππ ∈ [a_lo, a_hi] and the allowed M_eν."""
    value, _ = integrate.dblquad(
        lambda b, a: f(a, b) * _ke4_weight(a, b, law),
        a_lo,
        a_hi,
        M_E,
        lambda a: M_K - a,
        epsrel=1e-7,
    )
    return value


@pytest.fixture(scope="module")
def ke4_flight():
    """5e4 decays of a 75 GeV/c K+."""
    rows, counts = decays(_key("ke4"), KE4, 50_000, 4, *KAON_P, 0.0, -1.0)
    assert np.all(counts == 4)
    return rows


@pytest.fixture(scope="module")
def ke4_masses():
    """(M_ππ, M_eν) of 2e5 decays at rest."""
    rows, _ = decays(_key("ke4/rest"), KE4, 200_000, 4, 0.0, 0.0, 0.0, 0.0, -1.0)
    m_pipi = np.sqrt(m2(rows[:, 0, FOUR] + rows[:, 1, FOUR]))
    m_enu = np.sqrt(np.clip(m2(rows[:, 2, FOUR] + rows[:, 3, FOUR]), 0, None))
    return m_pipi, m_enu


def test_ke4_content_conservation_and_mass_ranges(ke4_flight):
    rows = ke4_flight
    n = len(rows)
    pids = [pt.PI_PLUS, pt.PI_MINUS, pt.POSITRON, pt.NEUTRINO]
    np.testing.assert_array_equal(rows[:, :, pt.PID], np.broadcast_to(pids, (n, 4)))
    np.testing.assert_array_equal(rows[:, :, pt.VISIBLE], np.broadcast_to([1, 1, 1, 0], (n, 4)))
    np.testing.assert_array_equal(
        rows[:, :, pt.X : pt.Z + 1], np.broadcast_to([VX, VY, VZ], (n, 4, 3))
    )
    assert np.all(np.isinf(rows[:, :, pt.DECAY_Z])) and np.all(rows[:, :, pt.CHILD] == -1)
    assert sum(pt.charge(p) for p in pids) == 1
    p4 = rows[:, :, FOUR]
    np.testing.assert_allclose(p4.sum(axis=1), np.broadcast_to(KAON, (n, 4)), atol=1e-9 * KAON[3])
    np.testing.assert_allclose(
        m2(p4),
        np.broadcast_to([M_PI**2, M_PI**2, M_E**2, 0.0], (n, 4)),
        rtol=0,
        atol=1e-12 * KAON[3] ** 2,
    )
    m_pipi = np.sqrt(m2(p4[:, 0] + p4[:, 1]))
    m_enu = np.sqrt(m2(p4[:, 2] + p4[:, 3]))
    assert m_pipi.min() >= 2 * M_PI * (1 - 1e-9) and m_enu.min() >= M_E * (1 - 1e-6)
    assert np.all(m_pipi + m_enu <= M_K * (1 + 1e-9))


def test_ke4_pair_masses_follow_four_body_phase_space(ke4_masses):
    m_pipi, m_enu = ke4_masses
    n = len(m_pipi)
    norm = _ke4_integral(lambda a, b: 1.0, "phase_space")
    for x, f in [(m_pipi, lambda a, b: a), (m_enu, lambda a, b: b)]:
        expected = _ke4_integral(f, "phase_space") / norm
        assert abs(x.mean() - expected) < 5 * x.std() / math.sqrt(n), (x.mean(), expected)
    # M_ππ spectrum: phase space, not flat masses, nor the p* product without the Jacobian
    edges = np.linspace(2 * M_PI, M_K - M_E, 16)
    obs, _ = np.histogram(m_pipi, edges)
    for law, ok in [("phase_space", True), ("flat_masses", False), ("no_jacobian", False)]:
        prob = np.array(
            [_ke4_integral(lambda a, b: 1.0, law, lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
        )
        assert (_chi2_p(obs, prob) > 1e-4) if ok else (_chi2_p(obs, prob) < 1e-6), law
    assert phase_space.max_pair_weight(M_K, M_PI, M_PI, M_E, 0.0) == ke4.W_MAX
    grid_a, grid_b = np.meshgrid(np.linspace(2 * M_PI, M_K, 400), np.linspace(M_E, M_K, 400))
    assert _ke4_weight(grid_a, grid_b).max() <= ke4.W_MAX


def test_ke4_pair_decays_are_isotropic(ke4_flight):
    """π+ in the ππ frame and e+ in the eν frame, about the pair's flight direction."""
    p4 = ke4_flight[:, :, FOUR]
    kaon = np.broadcast_to(KAON, (len(p4), 4))
    n = len(p4)
    for a, b in [(0, 1), (2, 3)]:
        pair = p4[:, a] + p4[:, b]
        # the pair's flight direction in the kaon frame is opposite to the kaon seen from the pair
        cos = -_cos(to_rest(p4[:, a], pair), to_rest(kaon, pair))
        assert abs(cos.mean()) < 5 * math.sqrt(1 / 3 / n)
        assert abs(np.mean(cos**2) - 1 / 3) < 5 * math.sqrt(4 / 45 / n)
        assert stats.kstest(cos, "uniform", args=(-1, 2)).pvalue > 1e-4


def test_ke4_table_has_room_for_pion_and_muon_decays_in_flight():
    """π± → μ± ν → e± chains for both pions: 4 + 4 rows, well inside MAX_PARTICLES."""
    tables, counts = _ke4_then_decays_in_flight(_key("ke4/inflight"), 2000, 1e9)
    assert counts.max() == 8 and counts.max() < pt.MAX_PARTICLES
    for t, c in zip(tables, counts):
        apid = np.abs(t[:c, pt.PID])
        decaying = (apid == pt.PI_PLUS) | (apid == abs(pt.MUON_PLUS))
        assert np.all(t[:c][decaying, pt.CHILD] >= 0)  # every chain ran to its end
