"""Three-track K+ decays of the NA48/2 K → πμμ analysis and their normalisation channel.

K3π Dalitz slopes refitted by maximum likelihood, π± decays in flight against
1 − exp(−L m/(p cτ)), the K+ → π+μ+μ− spectrum and lepton angle, the
phase-space K+ → π−μ+μ+, and the displaced K+ → μ+N, N → πμ chain with its
proper-time sampling and lifetime reweighting.  Reference densities are
written out here independently of the package; sampled averages are compared
with them within 5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from decay_drivers import VX, VY, VZ, decays, new_state
from fourvectors import m2, to_rest
from iminuit import Minuit
from scipy import integrate, stats

from analysis import constants as C
from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.constants import M_K, M_MU, M_PI
from analysis.decays import CHANNELS, dispatch, hnl_pimu, inflight, k3pi, kpimumu
from analysis.simulate import Sample

KAON_P = (0.0075, -0.004, 60.0)  # an NA48/2 beam kaon
KAON = np.array([*KAON_P, math.sqrt(sum(p * p for p in KAON_P) + M_K**2)])
FOUR = [pt.PX, pt.PY, pt.PZ, pt.E]
M_N = 0.3
T_MIN, T_MAX, PROMPT = C.HNL_T_MIN_PS, C.HNL_T_MAX_PS, C.HNL_PROMPT_FRACTION


def _key(name):
    return rng.sample_key(2024, f"test/three_track/{name}")


def _m2_bc_limits(m, ma, mb, mc, m2_ab):
    """PDG Review "Kinematics" eq. (49.23)."""
    m_ab = np.sqrt(m2_ab)
    e2, e3 = (m2_ab - ma**2 + mb**2) / (2 * m_ab), (m**2 - m2_ab - mc**2) / (2 * m_ab)
    p2, p3 = np.sqrt(np.clip(e2**2 - mb**2, 0, None)), np.sqrt(np.clip(e3**2 - mc**2, 0, None))
    return (e2 + e3) ** 2 - (p2 + p3) ** 2, (e2 + e3) ** 2 - (p2 - p3) ** 2


def _dalitz_integral(func, m, ma, mb, mc, n_outer=200, n_inner=40):
    """∫∫ func(m²_ab, m²_bc) dm²_ab dm²_bc over the Dalitz plot (Gauss–Legendre, cos-mapped).

    ``func`` may return a stack of integrands (leading axes); their integrals come back as an array.
    """
    lo_ab, hi_ab = (ma + mb) ** 2, (m - mc) ** 2
    x, w = np.polynomial.legendre.leggauss(n_outer)
    theta = (x + 1) * np.pi / 2
    s = lo_ab + (hi_ab - lo_ab) * (1 - np.cos(theta)) / 2
    ds = (hi_ab - lo_ab) * np.sin(theta) / 2 * w * np.pi / 2
    lo, hi = _m2_bc_limits(m, ma, mb, mc, s)
    y, wy = np.polynomial.legendre.leggauss(n_inner)
    t = lo[:, None] + (hi - lo)[:, None] * (y + 1) / 2
    return np.sum(func(s[:, None], t) * (hi - lo)[:, None] * wy / 2 * ds[:, None], axis=(-2, -1))


# ----------------------------------------------------------------- compiled drivers


@jit(allocates=True)
def _k3pi_uv(key, n):
    """Dalitz (u, v) of n K+ → π+π+π− decays at rest, from the generated four-vectors."""
    state = new_state(key)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    out = np.empty((n, 2))
    s = np.empty(3)
    s0 = M_K * M_K / 3.0 + M_PI * M_PI
    for i in range(n):
        k3pi.generate(state, table, 0, 0.0, 0.0, 0.0, M_K, 0.0, 0.0, 0.0)
        for j in range(3):  # s_j = (P_K − P_j)², rows π+, π+, π− (odd)
            s[j] = (M_K - table[j, pt.E]) ** 2 - (
                table[j, pt.PX] ** 2 + table[j, pt.PY] ** 2 + table[j, pt.PZ] ** 2
            )
        out[i, 0] = (s[2] - s0) / (M_PI * M_PI)
        out[i, 1] = (s[0] - s[1]) / (M_PI * M_PI)
    return out


@jit(allocates=True)
def _pions_decayed(key, n, p, length):
    """How many of n π+ of momentum p along z decay within ``length`` (natural decays)."""
    state = new_state(key)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    e = math.sqrt(p * p + M_PI * M_PI)
    decayed = 0
    for _ in range(n):
        nn = pt.add(table, 0, 0.0, 0.0, p, e, 0.0, 0.0, 0.0, pt.PI_PLUS, True)
        inflight.propagate(state, table, nn, length, 1e9, 0.0, 0.0)
        decayed += np.isfinite(table[0, pt.DECAY_Z])
    return decayed


@jit(allocates=True)
def _hnl_times(key, n, lifetime_ps):
    """Generated proper time (from a copy of the stream) and the one read back from the N row."""
    state = new_state(key)
    table = np.zeros((pt.MAX_PARTICLES, pt.N_COLUMNS))
    out = np.empty((n, 2))
    e = math.sqrt(KAON_P[0] ** 2 + KAON_P[1] ** 2 + KAON_P[2] ** 2 + M_K * M_K)
    for i in range(n):
        out[i, 0] = hnl_pimu.sample_proper_time(state.copy(), lifetime_ps)
        hnl_pimu.generate(state, table, 0, *KAON_P, e, VX, VY, VZ, M_N, True, lifetime_ps)
        out[i, 1] = hnl_pimu.proper_time_ps(table, 1)
    return out


# ----------------------------------------------------------------- K3π Dalitz plot (normalisation)


def test_k3pi_dalitz_fit_recovers_g_h_k():
    """Unbinned ML fit of 1 + g u + h u² + k v², normalised by quadrature over the Dalitz plot."""
    u, v = _k3pi_uv(_key("k3pi"), 1_000_000).T
    n = len(u)

    def terms(s3, s1):  # 1, u, u², v² at (s3, s1) = (m²_π+π+, m²_π+π−)
        total = M_K**2 + 3 * M_PI**2
        uu, vv = (s3 - total / 3) / M_PI**2, (2 * s1 + s3 - total) / M_PI**2
        return np.stack(np.broadcast_arrays(1.0, uu, uu * uu, vv * vv))

    moments = _dalitz_integral(terms, M_K, M_PI, M_PI, M_PI)
    moments /= moments[0]
    x = np.vstack([u, u * u, v * v])

    def nll(g, h, k):
        w = 1.0 + g * x[0] + h * x[1] + k * x[2]
        if w.min() <= 0:
            return 1e30
        return -np.log(w).sum() + n * math.log(moments @ [1.0, g, h, k])

    fit = Minuit(nll, g=0.0, h=0.0, k=0.0)
    fit.errordef = Minuit.LIKELIHOOD
    fit.migrad()
    fit.hesse()
    assert fit.valid
    for name, truth in [("g", C.K3PI_G), ("h", C.K3PI_H), ("k", C.K3PI_K)]:
        assert abs(fit.values[name] - truth) < 4 * fit.errors[name], (name, fit.values[name])
    assert abs(fit.values["g"] - C.K3PI_G) < 0.01 and fit.errors["g"] < 0.005
    # the fit resolves the sign of k (NA48/2's k = −0.0046): σ_k well below |k|
    assert fit.errors["k"] < abs(C.K3PI_K) / 2


# ----------------------------------------------------------------- π decays in flight


def test_pion_decay_probability_falls_with_momentum():
    n, length = 100_000, 100.0
    for p in (5.0, 10.0, 20.0, 40.0):
        f = _pions_decayed(_key(f"pion/{p}"), n, p, length) / n
        expected = 1 - math.exp(-length * M_PI / (p * C.C_LIGHT * C.TAU_PI))
        assert abs(f - expected) < 5 * math.sqrt(expected * (1 - expected) / n), (p, f, expected)
        # the mean decay length −L/ln(1 − f) grows as p: λ/p = cτ/m at every momentum
        lam_over_p = -length / (p * math.log1p(-f))
        rel = math.sqrt(f * (1 - f) / n) / ((1 - f) * abs(math.log1p(-f)))
        assert abs(lam_over_p / (C.CTAU_PI / M_PI) - 1) < 5 * rel


# ----------------------------------------------------------------- K+ → π+ μ+ μ−


def _kpimumu_density_reference(z, form_factor=True):
    rpi2, rmu2 = (M_PI / M_K) ** 2, (M_MU / M_K) ** 2
    lam = np.clip(1 + z**2 + rpi2**2 - 2 * (z + rpi2 + z * rpi2), 0, None)
    w2 = (C.KPIMUMU_A + C.KPIMUMU_B * z) ** 2 if form_factor else 1.0
    return w2 * lam**1.5 * np.sqrt(1 - 4 * rmu2 / z) * (1 + 2 * rmu2 / z)


@pytest.fixture(scope="module")
def kpimumu_sample():
    """5e4 decays in flight and 1e5 at rest."""
    code = CHANNELS["kpimumu"].code
    flight, _ = decays(_key("kpimumu"), code, 50_000, 3, *KAON_P, 0.0, -1.0)
    rest, _ = decays(_key("kpimumu/rest"), code, 100_000, 3, 0.0, 0.0, 0.0, 0.0, -1.0)
    return flight, rest


def _check_three_tracks(rows, pids):
    """Particle codes, vertex, charge, four-momentum and mass shells of a three-track decay."""
    np.testing.assert_array_equal(rows[:, :, pt.PID], np.broadcast_to(pids, rows.shape[:2]))
    assert np.all(rows[:, :, pt.VISIBLE] == 1.0) and np.all(np.isinf(rows[:, :, pt.DECAY_Z]))
    np.testing.assert_array_equal(
        rows[:, :, pt.X : pt.Z + 1], np.broadcast_to([VX, VY, VZ], (*rows.shape[:2], 3))
    )
    assert sum(pt.charge(p) for p in pids) == 1
    p4 = rows[:, :, FOUR]
    np.testing.assert_allclose(
        p4.sum(axis=1), np.broadcast_to(KAON, (len(rows), 4)), rtol=0, atol=1e-9 * KAON[3]
    )
    masses = np.array([M_PI if abs(p) == pt.PI_PLUS else M_MU for p in pids])
    np.testing.assert_allclose(
        m2(p4), np.broadcast_to(masses**2, p4.shape[:2]), rtol=0, atol=1e-12 * KAON[3] ** 2
    )


def test_kpimumu_conservation_charges_and_mass_range(kpimumu_sample):
    flight, _ = kpimumu_sample
    _check_three_tracks(flight, [pt.PI_PLUS, pt.MUON_PLUS, pt.MUON_MINUS])
    m_mumu = np.sqrt(m2(flight[:, 1, FOUR] + flight[:, 2, FOUR]))
    assert m_mumu.min() > 2 * M_MU * (1 - 1e-9) and m_mumu.max() < (M_K - M_PI) * (1 + 1e-9)


def test_kpimumu_dimuon_mass_spectrum(kpimumu_sample):
    flight, _ = kpimumu_sample
    z = m2(flight[:, 1, FOUR] + flight[:, 2, FOUR]) / M_K**2
    z_lo, z_hi = 4 * (M_MU / M_K) ** 2, (1 - M_PI / M_K) ** 2
    grid = np.linspace(z_lo * 1.0001, z_hi * 0.9999, 500)
    np.testing.assert_allclose(
        [kpimumu.density(g) for g in grid], _kpimumu_density_reference(grid), rtol=1e-12
    )
    assert _kpimumu_density_reference(grid).max() <= kpimumu.D_MAX
    edges = np.linspace(z_lo, z_hi, 21)
    obs, _ = np.histogram(z, edges)
    for form_factor, ok in [(True, True), (False, False)]:
        prob = np.array(
            [
                integrate.quad(_kpimumu_density_reference, a, b, args=(form_factor,))[0]
                for a, b in zip(edges[:-1], edges[1:])
            ]
        )
        exp = len(z) * prob / prob.sum()
        p_value = stats.chi2.sf(np.sum((obs - exp) ** 2 / exp), len(exp) - 1)
        # the spectrum matches the form factor, and a constant W(z) is excluded
        assert (p_value > 1e-4) if ok else (p_value < 1e-6)


def test_kpimumu_muon_angle_is_one_minus_beta2_cos2(kpimumu_sample):
    """μ− polar angle about the dimuon line of flight, in the dimuon frame: 1 − β² cos²θ."""
    _, rest = kpimumu_sample
    mumu = rest[:, 1, FOUR] + rest[:, 2, FOUR]
    mu_minus = to_rest(rest[:, 2, FOUR], mumu)
    axis = mumu[:, :3] / np.linalg.norm(mumu[:, :3], axis=1, keepdims=True)
    cos = np.einsum("ij,ij->i", mu_minus[:, :3], axis) / np.linalg.norm(mu_minus[:, :3], axis=1)
    b2 = 1 - 4 * M_MU**2 / m2(mumu)
    c2 = (1 / 3 - b2 / 5) / (1 - b2 / 3)  # <cos²θ> at fixed β
    c4 = (1 / 5 - b2 / 7) / (1 - b2 / 3)
    sigma = math.sqrt(np.sum(c4 - c2**2))
    assert abs(np.sum(cos**2 - c2)) < 5 * sigma
    assert abs(np.sum(cos**2 - 1 / 3)) > 10 * sigma  # isotropy is excluded
    assert abs(cos.mean()) < 5 / math.sqrt(3 * len(cos))


# ----------------------------------------------------------------- K+ → π− μ+ μ+ (phase space)


def test_lnv_pimumu_is_uniform_phase_space():
    code = CHANNELS["pimumu_lnv"].code
    flight, _ = decays(_key("lnv"), code, 20_000, 3, *KAON_P, 0.0, -1.0)
    _check_three_tracks(flight, [pt.PI_MINUS, pt.MUON_PLUS, pt.MUON_PLUS])
    rest, _ = decays(_key("lnv/rest"), code, 100_000, 3, 0.0, 0.0, 0.0, 0.0, -1.0)
    m2_ab = m2(rest[:, 0, FOUR] + rest[:, 1, FOUR])  # π− μ+
    m2_bc = m2(rest[:, 1, FOUR] + rest[:, 2, FOUR])  # μ+ μ+
    lo, hi = _m2_bc_limits(M_K, M_PI, M_MU, M_MU, m2_ab)
    assert np.all((m2_bc > lo - 1e-12) & (m2_bc < hi + 1e-12))
    # flat in the Dalitz plot: the m²(π μ) projection follows the width of the plot
    edges = np.linspace((M_PI + M_MU) ** 2, (M_K - M_MU) ** 2, 16)

    def width(s):
        a, b = _m2_bc_limits(M_K, M_PI, M_MU, M_MU, s)
        return b - a

    prob = np.array([integrate.quad(width, a, b)[0] for a, b in zip(edges[:-1], edges[1:])])
    exp = len(m2_ab) * prob / prob.sum()
    obs, _ = np.histogram(m2_ab, edges)
    assert stats.chi2.sf(np.sum((obs - exp) ** 2 / exp), len(exp) - 1) > 1e-4


# ----------------------------------------------------------------- K+ → μ+ N, N → π μ


@pytest.fixture(scope="module", params=[True, False], ids=["lnv", "lnc"])
def hnl_sample(request):
    """4e4 decays of a 60 GeV/c K+ with m_N = 300 MeV and τ_N = 10 ps."""
    code = CHANNELS["hnl_pimu_lnv" if request.param else "hnl_pimu_lnc"].code
    rows, counts = decays(_key(f"hnl/{request.param}"), code, 40_000, 4, *KAON_P, M_N, 10.0)
    assert np.all(counts == 4)
    return request.param, rows


def test_hnl_chain_content_and_kinematics(hnl_sample):
    lnv, rows = hnl_sample
    pids = [pt.MUON_PLUS, pt.HNL, pt.PI_MINUS, pt.MUON_PLUS]
    if not lnv:
        pids[2:] = [pt.PI_PLUS, pt.MUON_MINUS]
    np.testing.assert_array_equal(rows[:, :, pt.PID], np.broadcast_to(pids, rows.shape[:2]))
    np.testing.assert_array_equal(
        rows[:, :, pt.VISIBLE], np.broadcast_to([1, 0, 1, 1], rows.shape[:2])
    )
    assert np.all(rows[:, 1, pt.CHILD] == 2) and sum(pt.charge(p) for p in pids) == 1
    np.testing.assert_array_equal(
        rows[:, :2, pt.X : pt.Z + 1], np.broadcast_to([VX, VY, VZ], (len(rows), 2, 3))
    )
    # the N's daughters start at its decay point, on its line of flight
    np.testing.assert_array_equal(rows[:, 2:, pt.Z], np.repeat(rows[:, 1:2, pt.DECAY_Z], 2, axis=1))
    np.testing.assert_array_equal(rows[:, 2, pt.X : pt.Z + 1], rows[:, 3, pt.X : pt.Z + 1])
    flight = rows[:, 2, pt.X : pt.Z + 1] - [VX, VY, VZ]
    direction = rows[:, 1, pt.PX : pt.PZ + 1] / rows[:, 1, pt.PZ : pt.PZ + 1]
    np.testing.assert_allclose(flight, direction * flight[:, 2:], rtol=1e-9, atol=1e-12)
    p4 = rows[:, :, FOUR]
    np.testing.assert_allclose(
        p4[:, 0] + p4[:, 1], np.broadcast_to(KAON, (len(rows), 4)), atol=1e-9 * KAON[3]
    )
    np.testing.assert_allclose(p4[:, 2] + p4[:, 3], p4[:, 1], rtol=0, atol=1e-9 * KAON[3])
    np.testing.assert_allclose(np.sqrt(m2(p4[:, 2] + p4[:, 3])), M_N, rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(m2(p4[:, 0] + p4[:, 2] + p4[:, 3])), M_K, rtol=1e-9)
    # N → π μ is isotropic in the N frame: the pion has <cos θ> = 0 about the N direction
    pion = to_rest(p4[:, 2], p4[:, 1])
    cos = (
        np.einsum("ij,ij->i", pion[:, :3], p4[:, 1, :3])
        / np.linalg.norm(pion[:, :3], axis=1)
        / np.linalg.norm(p4[:, 1, :3], axis=1)
    )
    assert abs(cos.mean()) < 5 / math.sqrt(3 * len(cos))


def test_hnl_proper_time_and_lab_decay_length(hnl_sample):
    _, rows = hnl_sample
    t = np.array([hnl_pimu.proper_time_ps(r, 1) for r in rows])
    n = len(t)
    assert abs(t.mean() - 10.0) < 5 * 10.0 / math.sqrt(n)
    assert stats.kstest(t, "expon", args=(0, 10.0)).pvalue > 1e-4
    # lab flight length over βγcτ is a unit exponential
    length = np.linalg.norm(rows[:, 2, pt.X : pt.Z + 1] - [VX, VY, VZ], axis=1)
    p = np.linalg.norm(rows[:, 1, pt.PX : pt.PZ + 1], axis=1)
    ratio = length / (p / M_N * C.C_LIGHT * 10.0e-12)
    assert abs(ratio.mean() - 1) < 5 / math.sqrt(n)
    # and proper_time_ps agrees with t = L m/(|p| c) computed in 3D
    np.testing.assert_allclose(t, length * M_N / (p * C.C_LIGHT) * 1e12, rtol=1e-7)


def test_prompt_hnl_decays_at_the_kaon_vertex():
    rows, _ = decays(_key("hnl/prompt"), CHANNELS["hnl_pimu_lnv"].code, 2000, 4, *KAON_P, M_N, 0.0)
    np.testing.assert_array_equal(
        rows[:, 2:, pt.X : pt.Z + 1], np.broadcast_to([VX, VY, VZ], (2000, 2, 3))
    )
    assert np.all(rows[:, 1, pt.DECAY_Z] == VZ)
    assert all(hnl_pimu.proper_time_ps(r, 1) == 0.0 for r in rows)


@pytest.fixture(scope="module")
def hnl_mc_times():
    """(generated, recomputed) proper times of 2e5 decays with the Monte Carlo law."""
    return _hnl_times(_key("hnl/mc"), 200_000, -1.0)


def test_proper_time_is_recovered_from_the_table(hnl_mc_times):
    t_gen, t_rec = hnl_mc_times.T
    np.testing.assert_array_equal(t_rec == 0.0, t_gen == 0.0)
    np.testing.assert_allclose(t_rec, t_gen, rtol=1e-6, atol=0)


def test_monte_carlo_proper_time_law(hnl_mc_times):
    t = hnl_mc_times[:, 1]
    n = len(t)
    prompt = t == 0.0
    assert abs(prompt.mean() - PROMPT) < 5 * math.sqrt(PROMPT * (1 - PROMPT) / n)
    x = np.log10(t[~prompt])
    lo, hi = math.log10(T_MIN), math.log10(T_MAX)
    assert x.min() > lo - 1e-9 and x.max() < hi + 1e-9
    assert stats.kstest(x, "uniform", args=(lo, hi - lo)).pvalue > 1e-4


@pytest.mark.parametrize("tau", [1.0, 10.0, 100.0])
def test_reweighting_gives_the_exponential_law(hnl_mc_times, tau):
    t = hnl_mc_times[:, 1]
    n = len(t)
    w = hnl_pimu.reweight(t, tau)
    a, b = math.exp(-T_MIN / tau), math.exp(-T_MAX / tau)  # the law's mass inside [T_MIN, T_MAX]
    assert abs(w.sum() / n - (a - b)) < 5 * w.std() / math.sqrt(n)
    assert abs(w.sum() / n - 1) < 5 * w.std() / math.sqrt(n) + 1.1e-3
    # weighted fraction below τ, and weighted mean, of the exponential truncated to [T_MIN, T_MAX]
    for h, expected in [
        (t < tau, (a - math.exp(-1)) / (a - b)),
        (t, tau + (T_MIN * a - T_MAX * b) / (a - b)),
    ]:
        got = np.sum(w * h) / w.sum()
        err = math.sqrt(np.sum(w**2 * (h - got) ** 2)) / w.sum()
        assert abs(got - expected) < 5 * err, (got, expected, err)
    fraction = np.sum(w * (t < tau)) / w.sum()
    assert abs(fraction - (1 - 1 / math.e)) < 0.02
    assert np.all(w[t == 0.0] == 0.0)


def test_reweighting_to_prompt_and_bad_lifetimes(hnl_mc_times):
    t = hnl_mc_times[:, 1]
    w = hnl_pimu.reweight(t, 0.0)
    np.testing.assert_array_equal(w, np.where(t == 0.0, 1 / PROMPT, 0.0))
    assert abs(w.mean() - 1) < 5 * w.std() / math.sqrt(len(w))
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="lifetime"):
            hnl_pimu.reweight(t, bad)


# ----------------------------------------------------------------- dispatch and sample validation


@pytest.mark.parametrize(
    ("name", "pids"),
    [
        ("kpimumu", [pt.PI_PLUS, pt.MUON_PLUS, pt.MUON_MINUS]),
        ("hnl_pimu_lnv", [pt.MUON_PLUS, pt.HNL, pt.PI_MINUS, pt.MUON_PLUS]),
        ("hnl_pimu_lnc", [pt.MUON_PLUS, pt.HNL, pt.PI_PLUS, pt.MUON_MINUS]),
        ("pimumu_lnv", [pt.PI_MINUS, pt.MUON_PLUS, pt.MUON_PLUS]),
    ],
)
def test_dispatch_particle_content(name, pids):
    code = CHANNELS[name].code
    assert getattr(dispatch, name.upper()) == code and 11 <= code <= 14
    rows, counts = decays(_key(f"dispatch/{name}"), code, 500, 4, *KAON_P, M_N, -1.0)
    assert np.all(counts == len(pids))
    np.testing.assert_array_equal(
        rows[:, : len(pids), pt.PID], np.broadcast_to(pids, (500, len(pids)))
    )


def test_hnl_pimu_masses_are_checked_against_both_end_points():
    ok = Sample("s", "na48_2", {"hnl_pimu_lnv": 1.0, "hnl_pimu_lnc": 1.0}, masses=(0.25, 0.38))
    assert ok.masses == (0.25, 0.38)
    with pytest.raises(ValueError, match="threshold"):
        Sample("s", "na48_2", {"hnl_pimu_lnc": 1.0}, masses=(M_PI + M_MU, 0.3))
    with pytest.raises(ValueError, match="end point"):
        Sample("s", "na48_2", {"hnl_pimu_lnv": 1.0}, masses=(0.3, M_K - M_MU))
