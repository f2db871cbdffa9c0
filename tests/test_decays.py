"""K+ decay generators (π0 decays and π/μ decays in flight: ``test_decays_secondary.py``).

Every channel of :mod:`analysis.decays.dispatch` must conserve four-momentum,
put every particle on its mass shell and reproduce the parent mass; the
matrix elements must shape the Dalitz plots as the published parameters say.
Expectations of distributions are computed here by numerical integration over
the Dalitz plot with formulas written out independently of the package, and
sampled averages are compared with them within 5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from analysis import constants as C
from analysis import particles as pt
from analysis import rng
from analysis._jit import jit
from analysis.constants import M_E, M_K, M_MU, M_PI, M_PI0
from analysis.decays import (
    BACKGROUND_CHANNELS,
    CHANNELS,
    dalitz_envelope,
    dispatch,
    k3pi,
    kl3,
    phase_space,
)
from analysis.kinematics import boost, two_body_momentum

KAON_P = (0.0075, -0.004, 75.0)  # a beam kaon with a divergence-sized angle
M_HNL = 0.3
MASS = {
    pt.POSITRON: M_E,
    pt.ELECTRON: M_E,
    pt.MUON_PLUS: M_MU,
    pt.MUON_MINUS: M_MU,
    pt.NEUTRINO: 0.0,
    pt.PHOTON: 0.0,
    pt.PI_PLUS: M_PI,
    pt.PI_MINUS: M_PI,
    pt.HNL: M_HNL,
}
CHARGE = {
    pt.POSITRON: 1,
    pt.MUON_PLUS: 1,
    pt.PI_PLUS: 1,
    pt.ELECTRON: -1,
    pt.MUON_MINUS: -1,
    pt.PI_MINUS: -1,
}
FOUR = [pt.PX, pt.PY, pt.PZ, pt.E]


def _key(name):
    return rng.sample_key(2024, f"test/decays/{name}")


# ----------------------------------------------------------------- compiled drivers


@jit(allocates=True)
def _decay_many(key, code, n, px, py, pz, m_hnl):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    tables = np.zeros((n, pt.MAX_PARTICLES, pt.N_COLUMNS))
    counts = np.zeros(n, np.int64)
    e = math.sqrt(px * px + py * py + pz * pz + M_K * M_K)
    for i in range(n):
        counts[i] = dispatch.generate(
            code, state, tables[i], px, py, pz, e, 0.01, -0.02, 120.0, m_hnl, -1.0
        )
    return tables, counts


@jit(allocates=True)
def _k3pi_dalitz(key, n, neutral, matrix_element):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    out = np.empty((n, 2))
    if neutral:
        ma, mc, g, h, k, w = M_PI0, M_PI, C.K3PI0_G, C.K3PI0_H, C.K3PI0_K, k3pi.W_MAX_3PI0
    else:
        ma, mc, g, h, k, w = M_PI, M_PI, C.K3PI_G, C.K3PI_H, C.K3PI_K, k3pi.W_MAX_3PI
    for i in range(n):
        if matrix_element:
            a, b = k3pi.sample_dalitz(state, ma, ma, mc, g, h, k, w)
        else:
            a, b = phase_space.sample_point(state, M_K, ma, ma, mc)
        out[i, 0] = a
        out[i, 1] = b
    return out


@jit(allocates=True)
def _kl3_dalitz(key, n, m_lepton):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    out = np.empty((n, 2))
    for i in range(n):
        a, b = kl3.sample_dalitz(state, m_lepton)
        out[i, 0] = a
        out[i, 1] = b
    return out


@jit(allocates=True)
def _kl3_dalitz_plain(key, n, m_lepton, rho_max):
    """The reference: uniform points of the Dalitz plot, kept with density/ρ_max."""
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    out = np.empty((n, 2))
    for i in range(n):
        while True:
            a, b = phase_space.sample_point(state, M_K, M_PI0, m_lepton, 0.0)
            if rng.uniform(state) * rho_max < kl3.density(m_lepton, a, b):
                break
        out[i, 0] = a
        out[i, 1] = b
    return out


@jit(allocates=True)
def _kl3_density(m_lepton, points):
    out = np.empty(points.shape[0])
    for i in range(points.shape[0]):
        out[i] = kl3.density(m_lepton, points[i, 0], points[i, 1])
    return out


@jit(allocates=True)
def _choose_many(key, n, codes, cumulative):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, 0)
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = dispatch.choose(state, codes, cumulative)
    return out


# ----------------------------------------------------------------- independent physics formulas


def _minkowski_m2(p):
    """E² − |p|² of (..., 4) arrays ordered (px, py, pz, E)."""
    return p[..., 3] ** 2 - (p[..., :3] ** 2).sum(axis=-1)


def _m2_bc_limits(m, ma, mb, mc, m2_ab):
    """PDG Review "Kinematics" eq. (49.23), written out again here."""
    m_ab = np.sqrt(m2_ab)
    e2 = (m2_ab - ma**2 + mb**2) / (2 * m_ab)
    e3 = (m**2 - m2_ab - mc**2) / (2 * m_ab)
    p2 = np.sqrt(np.clip(e2**2 - mb**2, 0, None))
    p3 = np.sqrt(np.clip(e3**2 - mc**2, 0, None))
    return (e2 + e3) ** 2 - (p2 + p3) ** 2, (e2 + e3) ** 2 - (p2 - p3) ** 2


def _dalitz_integral(func, m, ma, mb, mc, n_outer=200, n_inner=40):
    """∫∫ func(m²_ab, m²_bc) over the Dalitz plot (Gauss–Legendre; flat phase-space measure).

    The outer variable is mapped as m²_ab = lo + (hi − lo)(1 − cos θ)/2, which removes the
    square-root behaviour of the plot's width at both ends.
    """
    lo_ab, hi_ab = (ma + mb) ** 2, (m - mc) ** 2
    x, w = np.polynomial.legendre.leggauss(n_outer)
    theta = (x + 1) * np.pi / 2
    s = lo_ab + (hi_ab - lo_ab) * (1 - np.cos(theta)) / 2
    ds = (hi_ab - lo_ab) * np.sin(theta) / 2 * w * np.pi / 2
    lo, hi = _m2_bc_limits(m, ma, mb, mc, s)
    y, wy = np.polynomial.legendre.leggauss(n_inner)
    t = lo[:, None] + (hi - lo)[:, None] * (y + 1) / 2
    dt = (hi - lo)[:, None] * wy / 2
    return float(np.sum(func(s[:, None], t) * dt * ds[:, None]))


def _k3pi_uv(m2_ab, m2_bc, ma, mc):
    total = M_K**2 + 2 * ma**2 + mc**2
    s3, s1 = m2_ab, m2_bc
    s2 = total - s1 - s3
    return (s3 - total / 3) / M_PI**2, (s1 - s2) / M_PI**2


def _kl3_density_reference(m_l, m2_pil, t, form_factors=True):
    """PDG "Form factors for K_l3 decays": f+²[A + Bξ + Cξ²], energies in the kaon frame."""
    e_pi = (M_K**2 + M_PI0**2 - t) / (2 * M_K)
    e_nu = (M_K**2 - m2_pil) / (2 * M_K)
    e_l = M_K - e_pi - e_nu
    ep = (M_K**2 + M_PI0**2 - m_l**2) / (2 * M_K) - e_pi
    if form_factors:
        x = t / M_PI**2
        f_plus = 1 + C.KL3_LAMBDA_P1 * x + 0.5 * C.KL3_LAMBDA_P2 * x**2
        f_zero = 1 + C.KL3_LAMBDA_0 * x
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = np.where(t > 0, (f_zero - f_plus) * (M_K**2 - M_PI0**2) / (t * f_plus), 0.0)
    else:
        f_plus, xi = 1.0, 0.0
    a = M_K * (2 * e_l * e_nu - M_K * ep) + m_l**2 * (ep / 4 - e_nu)
    b = m_l**2 * (e_nu - ep / 2)
    c = m_l**2 * ep / 4
    return f_plus**2 * (a + b * xi + c * xi**2)


def _split_pi0(rows):
    """Split π0 decay products (γγ or e+e−γ, in generator order) into per-π0 row groups."""
    groups, i = [], 0
    while i < len(rows):
        size = 3 if int(rows[i, pt.PID]) == pt.POSITRON else 2
        groups.append(rows[i : i + size])
        i += size
    return groups


# ----------------------------------------------------------------- all channels


# kaon decays only: the beam-halo "channel" is a muon source (tests/test_beam_halo.py); the
# K+ -> mu+ N, N -> pi mu chains add the N's daughters at a displaced vertex (their own checks,
# and those of the other three-track channels, are in tests/test_decays_three_track.py)
DISPLACED = {"hnl_pimu_lnv", "hnl_pimu_lnc"}
ALL = [name for name, c in CHANNELS.items() if not c.beam_halo and name not in DISPLACED]
THREE_BODY = ["k3pi", "k3pi0", "ke3", "kmu3"]
all_channels_in_flight = pytest.mark.parametrize("flight_sample", ALL, indirect=True)


@pytest.fixture(scope="module")
def flight_sample(request):
    """2e4 decays of a 75 GeV/c K+ per channel (m_N = 300 MeV for the signals)."""
    code = CHANNELS[request.param].code
    tables, counts = _decay_many(_key(request.param), code, 20_000, *KAON_P, M_HNL)
    return request.param, tables, counts


@pytest.fixture(scope="module")
def rest_sample(request):
    """2e4 decays of a K+ at rest per channel."""
    code = CHANNELS[request.param].code
    tables, counts = _decay_many(_key("rest/" + request.param), code, 20_000, 0.0, 0.0, 0.0, M_HNL)
    return request.param, tables, counts


def _kaon():
    p = np.array(KAON_P)
    return np.append(p, math.sqrt(p @ p + M_K**2))


@all_channels_in_flight
def test_four_momentum_is_conserved(flight_sample):
    name, tables, counts = flight_sample
    k = _kaon()
    mask = np.arange(pt.MAX_PARTICLES)[None, :] < counts[:, None]
    total = (tables[:, :, FOUR] * mask[:, :, None]).sum(axis=1)
    np.testing.assert_allclose(total, np.broadcast_to(k, total.shape), rtol=0, atol=1e-9 * k[3])
    # rows beyond the returned count are untouched
    assert np.all(tables[~mask] == 0.0)


@all_channels_in_flight
def test_daughters_reproduce_the_kaon_mass(flight_sample):
    name, tables, counts = flight_sample
    mask = np.arange(pt.MAX_PARTICLES)[None, :] < counts[:, None]
    total = (tables[:, :, FOUR] * mask[:, :, None]).sum(axis=1)
    m = np.sqrt(_minkowski_m2(total))
    np.testing.assert_allclose(m, M_K, rtol=1e-9)


@all_channels_in_flight
def test_every_particle_is_on_its_mass_shell(flight_sample):
    name, tables, counts = flight_sample
    rows = np.concatenate([t[:c] for t, c in zip(tables, counts)])
    pids = rows[:, pt.PID].astype(int)
    assert set(pids) <= set(MASS), set(pids) - set(MASS)
    mass = np.array([MASS[p] for p in pids])
    m2 = _minkowski_m2(rows[:, FOUR])
    # E² − p² at E ~ 75 GeV: rounding of order 1e-16 E²
    np.testing.assert_allclose(m2, mass**2, rtol=0, atol=1e-12 * rows[:, pt.E].max() ** 2)
    assert np.all(rows[:, pt.E] > 0)


@all_channels_in_flight
def test_charge_content_and_visibility(flight_sample):
    name, tables, counts = flight_sample
    invisible = {pt.NEUTRINO, pt.HNL}
    for t, c in zip(tables[:2000], counts[:2000]):
        pids = t[:c, pt.PID].astype(int)
        assert sum(CHARGE.get(p, 0) for p in pids) == 1
        np.testing.assert_array_equal(
            t[:c, pt.VISIBLE], [0.0 if p in invisible else 1.0 for p in pids]
        )
        np.testing.assert_array_equal(
            t[:c, pt.X : pt.Z + 1], np.broadcast_to([0.01, -0.02, 120.0], (c, 3))
        )
        assert np.all(np.isinf(t[:c, pt.DECAY_Z])) and np.all(t[:c, pt.CHILD] == -1)


EXPECTED_FIRST = {
    "kmu2": [pt.MUON_PLUS, pt.NEUTRINO],
    "ke2": [pt.POSITRON, pt.NEUTRINO],
    "hnl_e": [pt.POSITRON, pt.HNL],
    "hnl_mu": [pt.MUON_PLUS, pt.HNL],
    "k2pi": [pt.PI_PLUS],
    "k3pi": [pt.PI_PLUS, pt.PI_PLUS, pt.PI_MINUS],
    "ke3": [pt.POSITRON, pt.NEUTRINO],
    "kmu3": [pt.MUON_PLUS, pt.NEUTRINO],
    "k3pi0": [pt.PI_PLUS],
    "kpimumu": [pt.PI_PLUS, pt.MUON_PLUS, pt.MUON_MINUS],
    "pimumu_lnv": [pt.PI_MINUS, pt.MUON_PLUS, pt.MUON_PLUS],
    "pinunu": [pt.PI_PLUS, pt.NEUTRINO, pt.NEUTRINO],
    "ke4": [pt.PI_PLUS, pt.PI_MINUS, pt.POSITRON, pt.NEUTRINO],
    "kmu2g": [pt.MUON_PLUS, pt.NEUTRINO, pt.PHOTON],
    "k2pig": [pt.PI_PLUS, pt.PHOTON],
}
N_PI0 = {"k2pi": 1, "ke3": 1, "kmu3": 1, "k3pi0": 2, "k2pig": 1}


@pytest.mark.parametrize("rest_sample", ALL, indirect=True)
def test_final_state_content(rest_sample):
    name, tables, counts = rest_sample
    first = EXPECTED_FIRST[name]
    for t, c in zip(tables[:3000], counts[:3000]):
        pids = t[:c, pt.PID].astype(int)
        assert list(pids[: len(first)]) == first
        groups = _split_pi0(t[len(first) : c])
        assert len(groups) == N_PI0.get(name, 0)
        for grp in groups:
            kinds = sorted(grp[:, pt.PID].astype(int))
            assert kinds in ([pt.PHOTON, pt.PHOTON], sorted([pt.POSITRON, pt.ELECTRON, pt.PHOTON]))
            # every π0 is rebuilt from its decay products
            assert math.sqrt(_minkowski_m2(grp[:, FOUR].sum(axis=0))) == pytest.approx(
                M_PI0, rel=1e-9
            )


@pytest.mark.parametrize("rest_sample", ALL, indirect=True)
def test_rest_frame_decays_are_isotropic(rest_sample):
    name, tables, _ = rest_sample
    u = tables[:, 0, :3] / np.linalg.norm(tables[:, 0, :3], axis=1, keepdims=True)
    n = len(u)
    # spin-0 parent: the first daughter has <cos θ> = 0 along every axis (Var = 1/3)
    assert np.all(np.abs(u.mean(axis=0)) < 5 * math.sqrt(1 / 3 / n))


# ----------------------------------------------------------------- two-body channels


@pytest.mark.parametrize(
    ("name", "m_lepton", "m_neutral"),
    [("kmu2", M_MU, 0.0), ("ke2", M_E, 0.0), ("hnl_e", M_E, M_HNL), ("hnl_mu", M_MU, M_HNL)],
)
def test_lepton_energy_in_kaon_frame_is_the_two_body_value(name, m_lepton, m_neutral):
    tables, counts = _decay_many(_key("2body/" + name), CHANNELS[name].code, 2000, *KAON_P, M_HNL)
    assert np.all(counts == 2)
    k = _kaon()
    b = -k[:3] / k[3]
    lep = np.array([boost(*row[0, FOUR], *b) for row in tables])
    e_star = (M_K**2 + m_lepton**2 - m_neutral**2) / (2 * M_K)
    np.testing.assert_allclose(lep[:, 3], e_star, rtol=1e-9)
    np.testing.assert_allclose(
        np.linalg.norm(lep[:, :3], axis=1), two_body_momentum(M_K, m_lepton, m_neutral), rtol=1e-8
    )


@pytest.mark.parametrize("m_n", [0.17, 0.3, 0.448])
def test_hnl_mass_is_the_requested_one(m_n):
    tables, _ = _decay_many(_key("hnlmass"), CHANNELS["hnl_e"].code, 500, *KAON_P, m_n)
    assert np.all(tables[:, 1, pt.PID] == pt.HNL)
    np.testing.assert_allclose(np.sqrt(_minkowski_m2(tables[:, 1, FOUR])), m_n, rtol=1e-9)


# ----------------------------------------------------------------- Dalitz plots: boundaries


@pytest.mark.parametrize("rest_sample", THREE_BODY, indirect=True)
def test_three_body_points_lie_inside_the_dalitz_plot(rest_sample):
    name, tables, counts = rest_sample
    a_list, b_list, c_list = [], [], []
    for t, c in zip(tables, counts):
        if name == "k3pi":
            a, b, cc = t[0, FOUR], t[1, FOUR], t[2, FOUR]
        elif name == "k3pi0":
            g1, g2 = _split_pi0(t[1:c])
            a, b, cc = g1[:, FOUR].sum(axis=0), g2[:, FOUR].sum(axis=0), t[0, FOUR]
        else:  # K_l3: a = π0, b = ℓ+, c = ν
            a, b, cc = t[2:c, FOUR].sum(axis=0), t[0, FOUR], t[1, FOUR]
        a_list.append(a)
        b_list.append(b)
        c_list.append(cc)
    a, b, cc = np.array(a_list), np.array(b_list), np.array(c_list)
    m2_ab, m2_bc = _minkowski_m2(a + b), _minkowski_m2(b + cc)
    masses = {
        "k3pi": (M_PI, M_PI, M_PI),
        "k3pi0": (M_PI0, M_PI0, M_PI),
        "ke3": (M_PI0, M_E, 0.0),
        "kmu3": (M_PI0, M_MU, 0.0),
    }[name]
    inside = np.array([phase_space.inside(M_K, *masses, x, y) for x, y in zip(m2_ab, m2_bc)])
    assert inside.all(), f"{(~inside).sum()} points outside"
    # and independently of phase_space.inside, with a rounding margin
    lo, hi = _m2_bc_limits(M_K, *masses, m2_ab)
    eps = 1e-12
    assert np.all((m2_bc > lo - eps) & (m2_bc < hi + eps))
    # the points fill the plot: they come close to both ends of the m²_ab range (K_l3 densities
    # vanish at E_ν → 0, the upper end, hence the looser margin there)
    span = (M_K - masses[2]) ** 2 - (masses[0] + masses[1]) ** 2
    assert m2_ab.min() - (masses[0] + masses[1]) ** 2 < 0.02 * span
    assert (M_K - masses[2]) ** 2 - m2_ab.max() < 0.05 * span


def test_phase_space_limits_match_the_pdg_formula():
    for masses in [(M_PI, M_PI, M_PI), (M_PI0, M_MU, 0.0), (M_PI0, M_E, 0.0)]:
        s = np.linspace((masses[0] + masses[1]) ** 2 * 1.0001, (M_K - masses[2]) ** 2 * 0.9999, 50)
        got = np.array([phase_space.m2_bc_limits(M_K, *masses, x) for x in s])
        lo, hi = _m2_bc_limits(M_K, *masses, s)
        np.testing.assert_allclose(got[:, 0], lo, rtol=1e-12)
        np.testing.assert_allclose(got[:, 1], hi, rtol=1e-12)
        assert not phase_space.inside(M_K, *masses, s[10], hi[10] * 1.001)
        assert phase_space.inside(M_K, *masses, s[10], 0.5 * (lo[10] + hi[10]))


def test_dalitz_region_test_agrees_with_the_m2_limits():
    """The polynomial (Gram determinant) test of phase_space.inside against the PDG limits."""
    rng = np.random.default_rng(7)
    for masses in [(M_PI, M_PI, M_PI), (M_PI0, M_PI0, M_PI), (M_PI0, M_MU, 0.0),
                   (M_PI0, M_E, 0.0), (M_PI, M_MU, M_MU), (0.3, M_MU, 0.0)]:  # fmt: skip
        ma, mb, mc = masses
        m2_ab = rng.uniform((ma + mb) ** 2, (M_K - mc) ** 2, 20000)
        m2_bc = rng.uniform((mb + mc) ** 2, (M_K - ma) ** 2, 20000)
        lo, hi = _m2_bc_limits(M_K, *masses, m2_ab)
        clear = np.minimum(np.abs(m2_bc - lo), np.abs(m2_bc - hi)) > 1e-9
        got = np.array([phase_space.inside(M_K, *masses, x, y) for x, y in zip(m2_ab, m2_bc)])
        expected = (m2_bc >= lo) & (m2_bc <= hi)
        assert 0.3 < expected.mean() < 0.8
        np.testing.assert_array_equal(got[clear], expected[clear])
        # outside the rectangle of the two ranges nothing is inside
        assert not phase_space.inside(M_K, *masses, (ma + mb) ** 2 * 0.99, m2_bc[0])
        assert not phase_space.inside(M_K, *masses, m2_ab[0], (M_K - ma) ** 2 * 1.01)


def test_uniform_phase_space_density():
    """Pure phase space is flat in (m²_ab, m²_bc): the m²_ab density ∝ width of the plot."""
    n = 100_000
    pts = _k3pi_dalitz(_key("ps"), n, False, False)
    edges = np.linspace(4 * M_PI**2, (M_K - M_PI) ** 2, 11)

    def width(s):
        lo, hi = _m2_bc_limits(M_K, M_PI, M_PI, M_PI, s)
        return hi - lo

    area = integrate.quad(width, edges[0], edges[-1], limit=200)[0]
    expected = (
        np.array([integrate.quad(width, lo, hi)[0] for lo, hi in zip(edges[:-1], edges[1:])])
        / area
        * n
    )
    observed, _ = np.histogram(pts[:, 0], edges)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, len(expected) - 1) > 1e-4


# ----------------------------------------------------------------- K3π Dalitz slopes


def _k3pi_expectations(neutral, g=None):
    ma = M_PI0 if neutral else M_PI
    gg, h, k = (C.K3PI0_G, C.K3PI0_H, C.K3PI0_K) if neutral else (C.K3PI_G, C.K3PI_H, C.K3PI_K)
    if g is not None:
        gg = g

    def weight(a, b):
        u, v = _k3pi_uv(a, b, ma, M_PI)
        return 1 + gg * u + h * u * u + k * v * v

    norm = _dalitz_integral(weight, M_K, ma, ma, M_PI)
    mean_u = _dalitz_integral(
        lambda a, b: weight(a, b) * _k3pi_uv(a, b, ma, M_PI)[0], M_K, ma, ma, M_PI
    )
    mean_u2 = _dalitz_integral(
        lambda a, b: weight(a, b) * _k3pi_uv(a, b, ma, M_PI)[0] ** 2, M_K, ma, ma, M_PI
    )
    return mean_u / norm, mean_u2 / norm - (mean_u / norm) ** 2


@pytest.mark.parametrize(
    ("neutral", "g"), [(False, C.K3PI_G), (True, C.K3PI0_G)], ids=["pi+pi+pi-", "pi+pi0pi0"]
)
def test_k3pi_dalitz_slope_g(neutral, g):
    """<u> of the matrix-element sample equals ∫u|M|²dΦ/∫|M|²dΦ; a g off by 0.02 would fail."""
    assert g == (-0.21134 if not neutral else 0.626)
    n = 200_000
    pts = _k3pi_dalitz(_key(f"k3pi/{neutral}"), n, neutral, True)
    ma = M_PI0 if neutral else M_PI
    u, _ = _k3pi_uv(pts[:, 0], pts[:, 1], ma, M_PI)
    mean_u, var_u = _k3pi_expectations(neutral)
    tol = 5 * math.sqrt(var_u / n)
    assert abs(u.mean() - mean_u) < tol
    # the test resolves the slope: pure phase space, and a g shifted by 0.02, are excluded
    mean_flat, _ = _k3pi_expectations(neutral, g=0.0)
    mean_shifted, _ = _k3pi_expectations(neutral, g=g + 0.02)
    assert abs(mean_flat - mean_u) > 5 * tol
    assert abs(mean_shifted - mean_u) > tol
    # and the sign: g < 0 moves <u> below its phase-space value, g > 0 above
    assert np.sign(u.mean() - mean_flat) == np.sign(g)


def test_k3pi_u_projection_ratio_to_phase_space_has_slope_g():
    """Fit the ratio of the u projections (matrix element / phase space) with 1 + g u + h u²."""
    n = 200_000
    me = _k3pi_dalitz(_key("k3pi/me"), n, False, True)
    ps = _k3pi_dalitz(_key("k3pi/ps"), n, False, False)
    u_me, _ = _k3pi_uv(me[:, 0], me[:, 1], M_PI, M_PI)
    u_ps, _ = _k3pi_uv(ps[:, 0], ps[:, 1], M_PI, M_PI)
    edges = np.linspace(-1.1, 1.2, 24)
    h_me, _ = np.histogram(u_me, edges)
    h_ps, _ = np.histogram(u_ps, edges)
    ok = (h_me > 100) & (h_ps > 100)
    centre = 0.5 * (edges[1:] + edges[:-1])[ok]
    ratio = h_me[ok] / h_ps[ok]
    err = ratio * np.sqrt(1 / h_me[ok] + 1 / h_ps[ok])
    # weighted least squares for a (1 + g u + h u²) with h free; the kv² term averages into a
    design = np.vstack([np.ones_like(centre), centre, centre**2]).T / err[:, None]
    coef, *_ = np.linalg.lstsq(design, ratio / err, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    g_fit = coef[1] / coef[0]
    g_err = math.sqrt(cov[1, 1]) / coef[0]
    assert abs(g_fit - C.K3PI_G) < 5 * g_err
    assert g_err < 0.02


@pytest.mark.parametrize("rest_sample", ["k3pi"], indirect=True)
def test_k3pi_full_chain_reproduces_the_odd_pion_slope(rest_sample):
    """The generated π− is the odd pion: <u> from the four-vectors matches the expectation."""
    name, tables, _ = rest_sample
    k = np.array([0.0, 0.0, 0.0, M_K])
    s3 = _minkowski_m2(k - tables[:, 2, FOUR])
    u = (s3 - (M_K**2 + 3 * M_PI**2) / 3) / M_PI**2
    mean_u, var_u = _k3pi_expectations(False)
    assert abs(u.mean() - mean_u) < 5 * math.sqrt(var_u / len(u))
    # with the odd pion swapped for a like-sign one the mean would move by g·Var(u)/2 or more
    s3_wrong = _minkowski_m2(k - tables[:, 0, FOUR])
    u_wrong = (s3_wrong - (M_K**2 + 3 * M_PI**2) / 3) / M_PI**2
    assert abs(u_wrong.mean() - mean_u) > 5 * math.sqrt(var_u / len(u))


def test_k3pi_accept_reject_bound_covers_the_matrix_element():
    for neutral, w_max in [(False, k3pi.W_MAX_3PI), (True, k3pi.W_MAX_3PI0)]:
        ma = M_PI0 if neutral else M_PI
        g, h, k = (C.K3PI0_G, C.K3PI0_H, C.K3PI0_K) if neutral else (C.K3PI_G, C.K3PI_H, C.K3PI_K)
        s = np.linspace((2 * ma) ** 2, (M_K - M_PI) ** 2, 3001)
        lo, hi = _m2_bc_limits(M_K, ma, ma, M_PI, s)
        t = lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, 301)[None, :]
        u, v = _k3pi_uv(s[:, None], t, ma, M_PI)
        w = 1 + g * u + h * u * u + k * v * v
        assert w.min() > 0
        assert w.max() <= w_max


# ----------------------------------------------------------------- K_l3


@pytest.mark.parametrize("m_lepton", [M_E, M_MU], ids=["ke3", "kmu3"])
def test_kl3_density_matches_the_pdg_formula(m_lepton):
    g = np.random.default_rng(5)
    a = g.uniform((M_PI0 + m_lepton) ** 2, M_K**2, 4000)
    lo, hi = _m2_bc_limits(M_K, M_PI0, m_lepton, 0.0, a)
    b = lo + (hi - lo) * g.uniform(0, 1, a.size)
    got = _kl3_density(m_lepton, np.column_stack([a, b]))
    ref = _kl3_density_reference(m_lepton, a, b)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())
    assert got.min() >= -1e-12 * got.max()


def _kl3_envelope(m_lepton):
    return (kl3.GRID_E, kl3.CELLS_E) if m_lepton == M_E else (kl3.GRID_MU, kl3.CELLS_MU)


@pytest.mark.parametrize("m_lepton", [M_E, M_MU], ids=["ke3", "kmu3"])
def test_kl3_envelope_bounds_the_density_everywhere(m_lepton):
    """Every cell's bound covers the density in the cell (else the sampler would clip it):
    on lines of constant m²_πℓ across the whole region, its boundary included, and at
    random points of the rectangle."""
    grid, cells = _kl3_envelope(m_lepton)
    n = int(grid[4])
    s = np.linspace((M_PI0 + m_lepton) ** 2, M_K**2, 3001)[:-1]
    lo, hi = _m2_bc_limits(M_K, M_PI0, m_lepton, 0.0, s)
    a = np.repeat(s, 601)
    b = (lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, 601)[None, :]).ravel()
    g = np.random.default_rng(11)
    a_r = grid[0] + n * grid[2] * g.uniform(0, 1, 2_000_000)
    b_r = grid[1] + n * grid[3] * g.uniform(0, 1, 2_000_000)
    keep = dalitz_envelope.inside_region(M_K, M_PI0, m_lepton, 0.0, a_r, b_r)
    a, b = np.concatenate([a, a_r[keep]]), np.concatenate([b, b_r[keep]])
    rho = _kl3_density_reference(m_lepton, a, b)
    i_ab = np.minimum(((a - grid[0]) / grid[2]).astype(int), n - 1)
    i_bc = np.minimum(((b - grid[1]) / grid[3]).astype(int), n - 1)
    bound = cells[i_ab * n + i_bc, 2]
    assert np.all(rho <= bound)
    # and the envelope is tight: most proposals are kept
    assert rho.max() > 0.9 * cells[:, 2].max()


def test_alias_table_gives_each_cell_its_weight():
    """Walker's table: cell i comes out with probability w_i / Σw, empty cells never."""
    w = np.random.default_rng(3).uniform(0, 1, 257) ** 3
    w[[0, 17, 256]] = 0.0
    prob, alias = dalitz_envelope._alias_table(w)
    p = prob.copy()
    np.add.at(p, alias, 1.0 - prob)
    np.testing.assert_allclose(p / w.size, w / w.sum(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("m_lepton", [M_E, M_MU], ids=["ke3", "kmu3"])
def test_kl3_envelope_sampler_matches_plain_accept_reject(m_lepton):
    """The envelope changes how fast the points come, not where: its Dalitz plot agrees
    with that of uniform points kept with density/ρ_max (two-sample χ², 12 × 12 bins)."""
    grid, cells = _kl3_envelope(m_lepton)
    n = 300_000
    got = _kl3_dalitz(_key(f"kl3-env/{m_lepton}"), n, m_lepton)
    ref = _kl3_dalitz_plain(_key(f"kl3-plain/{m_lepton}"), n, m_lepton, cells[:, 2].max())
    edges_a = grid[0] + grid[2] * grid[4] * np.linspace(0, 1, 13)
    edges_b = grid[1] + grid[3] * grid[4] * np.linspace(0, 1, 13)
    h1, _, _ = np.histogram2d(got[:, 0], got[:, 1], bins=[edges_a, edges_b])
    h2, _, _ = np.histogram2d(ref[:, 0], ref[:, 1], bins=[edges_a, edges_b])
    filled = (h1 + h2) > 0
    chi2 = (((h1 - h2) ** 2)[filled] / (h1 + h2)[filled]).sum()
    assert stats.chi2.sf(chi2, filled.sum() - 1) > 1e-3
    assert np.all(dalitz_envelope.inside_region(M_K, M_PI0, m_lepton, 0.0, got[:, 0], got[:, 1]))


@pytest.mark.parametrize("m_lepton", [M_E, M_MU], ids=["ke3", "kmu3"])
def test_kl3_t_spectrum_follows_the_vector_form_factor(m_lepton):
    """λ'+ > 0 raises the rate at large t = m²_ℓν: <t> exceeds its value without form factors."""
    n = 100_000
    pts = _kl3_dalitz(_key(f"kl3/{m_lepton}"), n, m_lepton)
    t = pts[:, 1]

    def moments(ff):
        norm = _dalitz_integral(
            lambda a, b: _kl3_density_reference(m_lepton, a, b, ff), M_K, M_PI0, m_lepton, 0.0
        )
        m1 = _dalitz_integral(
            lambda a, b: b * _kl3_density_reference(m_lepton, a, b, ff), M_K, M_PI0, m_lepton, 0.0
        )
        m2 = _dalitz_integral(
            lambda a, b: b * b * _kl3_density_reference(m_lepton, a, b, ff),
            M_K,
            M_PI0,
            m_lepton,
            0.0,
        )
        return m1 / norm, m2 / norm - (m1 / norm) ** 2

    mean_ff, var_ff = moments(True)
    mean_no_ff, _ = moments(False)
    tol = 5 * math.sqrt(var_ff / n)
    assert abs(t.mean() - mean_ff) < tol
    # the form factor moves <t> up, by more than the test resolves
    assert mean_ff - mean_no_ff > 3 * tol
    assert t.mean() > mean_no_ff + 2 * tol
    # all points are physical
    assert np.all((t >= m_lepton**2 - 1e-15) & (t <= (M_K - M_PI0) ** 2 + 1e-15))


@pytest.mark.parametrize("rest_sample", ["ke3"], indirect=True)
def test_ke3_pi0_energy_spectrum_from_the_full_chain(rest_sample):
    name, tables, counts = rest_sample
    e_pi = np.array([t[2:c, pt.E].sum() for t, c in zip(tables, counts)])
    t = M_K**2 + M_PI0**2 - 2 * M_K * e_pi

    def mean(func):
        return _dalitz_integral(
            lambda a, b: func(b) * _kl3_density_reference(M_E, a, b), M_K, M_PI0, M_E, 0.0
        )

    norm = mean(lambda b: np.ones_like(b))
    m1, m2 = mean(lambda b: b) / norm, mean(lambda b: b * b) / norm
    assert abs(t.mean() - m1) < 5 * math.sqrt((m2 - m1**2) / len(t))
    e_max = (M_K**2 + M_PI0**2 - M_E**2) / (2 * M_K)
    assert e_pi.min() >= M_PI0 * (1 - 1e-12) and e_pi.max() <= e_max * (1 + 1e-12)


# ----------------------------------------------------------------- channel mixture


def test_channel_mixture_follows_branching_ratios():
    brs = {CHANNELS[c].code: CHANNELS[c].branching_ratio for c in BACKGROUND_CHANNELS}
    codes, cumulative = dispatch.mixture(brs)
    n = 200_000
    got = _choose_many(_key("mix"), n, codes, cumulative)
    total = sum(brs.values())
    for code, br in brs.items():
        p = br / total
        assert abs(np.mean(got == code) - p) < 5 * math.sqrt(p * (1 - p) / n) + 1.0 / n
