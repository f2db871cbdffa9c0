"""Random streams: the xoshiro256**/SplitMix64 core, stream independence and the deviates.

Statistical tolerances are 5 standard errors of the estimator for the sample
size used (fixed seeds, so the tests are deterministic, yet a real bias of a
few per mille in a moment would fail them).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sampling import draw
from scipy import stats

from analysis import rng
from analysis._jit import jit

N = 200_000
MASK = (1 << 64) - 1


# ----------------------------------------------------------------- drivers (compiled, cached)


@jit(allocates=True)
def _raw(state0, n):
    state = state0.copy()
    out = np.empty(n, np.uint64)
    for i in range(n):
        out[i] = rng.next_u64(state)
    return out


@jit(allocates=True)
def _seeded_state(key, block):
    state = np.empty(4, np.uint64)
    rng.seed_block(state, key, block)
    return state


@jit(allocates=True)
def _splitmix_sequence(x, n):
    out = np.empty(n, np.uint64)
    for i in range(n):
        x, z = rng._splitmix64(x)
        out[i] = z
    return out


# ----------------------------------------------------------------- pure-Python references


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def _xoshiro_next(s):
    result = (_rotl((s[1] * 5) & MASK, 7) * 9) & MASK
    t = (s[1] << 17) & MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


def _splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return x, z ^ (z >> 31)


def _key(seed=12345, sample="test/rng"):
    return rng.sample_key(seed, sample)


# ----------------------------------------------------------------- generator core


def test_xoshiro256starstar_reference_vector():
    """State (1, 2, 3, 4): the outputs of Blackman & Vigna's reference xoshiro256starstar.c."""
    expected = [
        11520,
        0,
        1509978240,
        1215971899390074240,
        1216172134540287360,
        607988272756665600,
        16172922978634559625,
        8476171486693032832,
        10595114339597558777,
        2904607092377533576,
    ]
    s = [1, 2, 3, 4]
    assert [_xoshiro_next(s) for _ in range(10)] == expected  # the reference itself
    got = _raw(np.array([1, 2, 3, 4], np.uint64), 10)
    assert [int(v) for v in got] == expected


def test_xoshiro_long_stream_matches_reference():
    state = _seeded_state(_key(), 7)
    s = [int(v) for v in state]
    got = _raw(state, 5000)
    assert [int(v) for v in got] == [_xoshiro_next(s) for _ in range(5000)]


def test_splitmix64_reference_vector():
    """Seed 1234567: the outputs of Vigna's reference splitmix64.c."""
    expected = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    assert [int(v) for v in _splitmix_sequence(np.uint64(1234567), 5)] == expected


def test_seed_block_follows_documented_splitmix_mixing():
    key = _key()
    for block in (0, 1, 2, 1000, 2**40 + 3):
        k0, k1 = int(key[0]), int(key[1])
        x = k0 ^ ((block * 0xD1B54A32D192ED03) & MASK)
        x, s0 = _splitmix(x)
        x, s1 = _splitmix(x ^ k1)
        x, s2 = _splitmix(x)
        x, s3 = _splitmix(x)
        assert [int(v) for v in _seeded_state(key, block)] == [s0, s1, s2, s3]


def test_uniform_never_returns_the_end_points():
    # the second output of state (1, 2, 3, 4) is 0: uniform must still be > 0
    state = np.array([1, 2, 3, 4], np.uint64)
    first = rng.uniform(state)
    zero = rng.uniform(state)
    assert zero == 0.5 / 2.0**52  # 52 random bits centred in their cell: smallest value
    assert 0.0 < first < 1.0


def _state_with_next_output(target):
    """A xoshiro256** state whose next output is ``target`` (invert result = rotl(5 s1, 7)·9)."""
    y = (target * pow(9, -1, 1 << 64)) & MASK
    s1 = (_rotl(y, 64 - 7) * pow(5, -1, 1 << 64)) & MASK
    state = np.array([0, s1, 0, 0], np.uint64)
    assert _xoshiro_next([0, s1, 0, 0]) == target
    return state


def test_uniform_below_one_just_under_the_top():
    # the largest 52-bit value maps to 1 − 2^-53, exactly representable and below 1
    assert rng.uniform(_state_with_next_output(((1 << 52) - 1) << 12)) == 1.0 - 2.0**-53


def test_uniform_below_one_at_the_largest_output():
    assert rng.uniform(_state_with_next_output(MASK)) < 1.0


# ----------------------------------------------------------------- streams


def test_same_key_and_block_give_identical_streams():
    key = _key()
    a = draw(rng.uniform, key, 10_000, block=3)
    b = draw(rng.uniform, rng.sample_key(12345, "test/rng"), 10_000, block=3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "other",
    [
        ("block", (12345, "test/rng", 4)),
        ("sample", (12345, "test/rng2", 3)),
        ("seed", (12346, "test/rng", 3)),
    ],
    ids=lambda o: o[0],
)
def test_different_block_sample_or_seed_give_independent_streams(other):
    _, (seed, sample, block) = other
    a = draw(rng.uniform, _key(), 50_000, block=3)
    b = draw(rng.uniform, rng.sample_key(seed, sample), 50_000, block=block)
    assert not np.any(a == b)
    # no linear correlation: |r| < 5/sqrt(n)
    r = np.corrcoef(a, b)[0, 1]
    assert abs(r) < 5.0 / math.sqrt(a.size)


def test_adjacent_blocks_are_uncorrelated_at_equal_positions():
    key = _key()
    firsts = np.array([draw(rng.uniform, key, 1, block=b)[0] for b in range(2000)])
    # the first number of every block, across blocks, is itself uniform
    assert stats.kstest(firsts, "uniform").pvalue > 1e-4
    r = np.corrcoef(firsts[:-1], firsts[1:])[0, 1]
    assert abs(r) < 5.0 / math.sqrt(firsts.size)


def test_sample_key_is_stable_and_typed():
    key = rng.sample_key(42, "na62_en/data")
    assert key.dtype == np.uint64 and key.shape == (2,)
    np.testing.assert_array_equal(key, rng.sample_key(42, "na62_en/data"))
    seq = np.random.SeedSequence(42, spawn_key=(rng.stable_hash("na62_en/data"),))
    np.testing.assert_array_equal(key, seq.generate_state(2, np.uint64))
    assert rng.stable_hash("a") != rng.stable_hash("b")
    assert 0 <= rng.stable_hash("a") < 2**64


@pytest.mark.parametrize("seed", [-1, 2.5, -0.5])
def test_sample_key_rejects_negative_or_non_integer_seeds(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        rng.sample_key(seed, "x")


def test_sample_key_accepts_integral_float():
    np.testing.assert_array_equal(rng.sample_key(3.0, "x"), rng.sample_key(3, "x"))


# ----------------------------------------------------------------- deviates


def test_uniform_moments_and_shape():
    u = draw(rng.uniform, _key(), N, block=0)
    assert u.min() > 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / N)
    # Var of the sample variance of U(0,1): (1/80 - 1/144)/N
    assert abs(u.var() - 1 / 12) < 5 * math.sqrt((1 / 80 - 1 / 144) / N)
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    # serial correlation of consecutive numbers
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / math.sqrt(N)


def test_normal_pair_is_standard_normal():
    z = draw(rng.normal_pair, _key(), N, width=2)
    x = z.ravel()
    n = x.size
    assert abs(x.mean()) < 5 / math.sqrt(n)
    assert abs(x.var() - 1.0) < 5 * math.sqrt(2.0 / n)
    assert abs(stats.skew(x)) < 5 * math.sqrt(6.0 / n)
    assert abs(stats.kurtosis(x)) < 5 * math.sqrt(24.0 / n)
    assert stats.kstest(x, "norm").pvalue > 1e-4
    # the two members of a pair are independent
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 5 / math.sqrt(N)


@pytest.mark.parametrize("threshold", [1.0, 2.0, 3.0, 3.5])
def test_normal_pair_tail_probabilities(threshold):
    x = draw(rng.normal_pair, _key(seed=7), N, width=2).ravel()
    p = 2 * stats.norm.sf(threshold)
    observed = np.mean(np.abs(x) > threshold)
    assert abs(observed - p) < 5 * math.sqrt(p * (1 - p) / x.size)


def test_normal_max_bounds_every_path_of_the_ziggurat():
    """NORMAL_MAX is r + (−ln u_min)/r, and no layer or wedge of the ziggurat reaches beyond r."""
    state = np.array([1, 2, 3, 4], np.uint64)
    rng.uniform(state)
    u_min = rng.uniform(state)  # the smallest uniform (test above)
    r = rng._ZIG_R
    assert rng.NORMAL_MAX == pytest.approx(r - math.log(u_min) / r, rel=1e-15)
    assert 14.1 < rng.NORMAL_MAX < 14.2
    # fast path: |hz| < K[iz] returns |hz| W[iz] < K[iz] W[iz]
    assert np.all(rng._ZIG_K * rng._ZIG_W <= r * (1 + 1e-12))
    # wedges (|hz| < 2^31) end at the layer edges 2^31 W[iz], which grow with the
    # layer index up to r: every wedge lies inside r
    edges = 2.0**31 * rng._ZIG_W[1:]
    assert np.all(np.diff(edges) > 0) and edges[-1] == pytest.approx(r, rel=1e-12)
    x = draw(rng.normal_pair, _key(seed=8), N, width=2).ravel()
    assert np.abs(x).max() < rng.NORMAL_MAX


def test_unit_circle_points_and_uniform_angle():
    cs = draw(rng.unit_circle, _key(), N, width=2)
    np.testing.assert_allclose(cs[:, 0] ** 2 + cs[:, 1] ** 2, 1.0, rtol=0, atol=1e-12)
    phi = np.arctan2(cs[:, 1], cs[:, 0])
    assert stats.kstest(phi, stats.uniform(loc=-math.pi, scale=2 * math.pi).cdf).pvalue > 1e-4
    # <cos> = <sin> = 0 with variance 1/2; <cos 2φ> = 0
    for m in (cs[:, 0], cs[:, 1], cs[:, 0] ** 2 - cs[:, 1] ** 2):
        assert abs(m.mean()) < 5 * math.sqrt(0.5 / N)


def test_exponential_moments():
    x = draw(rng.exponential, _key(), N)
    assert x.min() > 0
    assert abs(x.mean() - 1.0) < 5 / math.sqrt(N)
    assert abs(x.var() - 1.0) < 5 * math.sqrt(8.0 / N)  # Var(s²) ≈ (μ4 − σ⁴)/n = 8/n
    assert stats.kstest(x, "expon").pvalue > 1e-4


@pytest.mark.parametrize("mean", [0.3, 3.5, 40.0, 2000.0])
def test_poisson_mean_and_variance(mean):
    n = 50_000
    k = draw(rng.poisson, _key(), n, mean)
    assert k.min() >= 0
    assert abs(k.mean() - mean) < 5 * math.sqrt(mean / n)
    # Var of the sample variance of a Poisson: (μ + 2μ²)/n
    assert abs(k.var() - mean) < 5 * math.sqrt((mean + 2 * mean**2) / n)


def test_poisson_small_mean_probabilities():
    n = 50_000
    k = draw(rng.poisson, _key(), n, 1.2)
    for j in range(4):
        p = stats.poisson.pmf(j, 1.2)
        assert abs(np.mean(k == j) - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_poisson_non_positive_mean_is_zero():
    assert np.all(draw(rng.poisson, _key(), 10, 0.0) == 0)
    assert np.all(draw(rng.poisson, _key(), 10, -1.0) == 0)
