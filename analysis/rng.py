"""Random streams: one independent, reproducible stream per (sample, block).

The simulation is split into *blocks* of :data:`BLOCK_SIZE` consecutive
decays.  Every block owns a xoshiro256** generator (D. Blackman and
S. Vigna, ACM TOMS 47 (2021) 36) whose 256-bit state is derived from

* a 128-bit *sample key*: ``numpy.random.SeedSequence(seed,
  spawn_key=(stable_hash(sample),))`` — independent streams for every sample
  (each MC channel, the pseudo-data, each signal mass grid), and
* the block index, mixed in with SplitMix64 (the seeding procedure recommended
  by the xoshiro authors).

Chunks (Snakemake jobs) are contiguous ranges of whole blocks, and threads
process whole blocks, so neither the chunk count nor ``--cores`` nor the
thread count can change a single random number.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from analysis._jit import jit

#: Decays per block; also the granularity of chunk boundaries.
BLOCK_SIZE = 1 << 16

_U64 = np.uint64
_INV_2_52 = 1.0 / 4503599627370496.0


def stable_hash(name: str) -> int:
    """A 64-bit hash of ``name`` that is the same on every machine and run."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def sample_key(seed: int, sample: str) -> np.ndarray:
    """Two 64-bit words identifying the stream family of ``sample`` under ``seed``."""
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seq = np.random.SeedSequence(int(seed), spawn_key=(stable_hash(sample),))
    return seq.generate_state(2, np.uint64)


@jit
def _rotl(x, k):
    return (x << _U64(k)) | (x >> _U64(64 - k))


@jit
def _splitmix64(x):
    x = x + _U64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x, z ^ (z >> _U64(31))


@jit
def seed_block(state, key, block):
    """Fill ``state`` (uint64[4]) with the generator state of block ``block``."""
    x = key[0] ^ (_U64(block) * _U64(0xD1B54A32D192ED03))
    x, state[0] = _splitmix64(x)
    x, state[1] = _splitmix64(x ^ key[1])
    x, state[2] = _splitmix64(x)
    x, state[3] = _splitmix64(x)


@jit(inline="always")
def next_u64(state):
    """Advance xoshiro256** and return the next 64-bit output."""
    result = _rotl(state[1] * _U64(5), 7) * _U64(9)
    t = state[1] << _U64(17)
    state[2] ^= state[0]
    state[3] ^= state[1]
    state[1] ^= state[2]
    state[0] ^= state[3]
    state[2] ^= t
    state[3] = _rotl(state[3], 45)
    return result


@jit
def uniform(state):
    """A double uniformly distributed in the open interval (0, 1)."""
    # 52 random bits, centred in their cell: min 2^-53, max 1 - 2^-53, both exact
    return (float(next_u64(state) >> _U64(12)) + 0.5) * _INV_2_52


@jit
def drawn_or_uniform(state, u):
    """``u`` if it is a deviate drawn in advance (u ≥ 0), else a uniform drawn now.

    Kernels that decide early whether an event can matter draw some of its
    deviates before the event is generated and pass them down; −1 marks one
    that was not drawn.
    """
    return u if u >= 0.0 else uniform(state)


@jit
def unit_circle(state):
    """(cos φ, sin φ) for φ uniform in [0, 2π), without trigonometric calls.

    A point uniform in the unit disk (rejection from the square) has a uniform
    polar angle ψ; angle doubling gives cos 2ψ = (x² − y²)/r², sin 2ψ = 2xy/r².
    """
    while True:
        x = 2.0 * uniform(state) - 1.0
        y = 2.0 * uniform(state) - 1.0
        r2 = x * x + y * y
        if 0.0 < r2 <= 1.0:
            return (x * x - y * y) / r2, 2.0 * x * y / r2


def _ziggurat_tables(layers: int = 128):
    """Tables of the ziggurat for the standard normal.

    G. Marsaglia and W. W. Tsang, J. Stat. Softw. 5 (2000) 8.

    128 layers: right-most layer edge r = 3.442619855899, layer area v = 9.91256303526217e-3.
    """
    m1 = 2147483648.0
    dn = tn = 3.442619855899
    vn = 9.91256303526217e-3
    kn = np.zeros(layers, np.int64)
    wn = np.zeros(layers)
    fn = np.zeros(layers)
    q = vn / math.exp(-0.5 * dn * dn)
    kn[0] = int((dn / q) * m1)
    kn[1] = 0
    wn[0] = q / m1
    wn[layers - 1] = dn / m1
    fn[0] = 1.0
    fn[layers - 1] = math.exp(-0.5 * dn * dn)
    for i in range(layers - 2, 0, -1):
        dn = math.sqrt(-2.0 * math.log(vn / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = int((dn / tn) * m1)
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


_ZIG_K, _ZIG_W, _ZIG_F = _ziggurat_tables()
_ZIG_R = 3.442619855899

#: The largest magnitude :func:`normal` can return.  The ziggurat's layers end at
#: r; beyond it the tail is r + (−ln u)/r with u ≥ 2⁻⁵³, the smallest value of
#: :func:`uniform`: r + 53 ln 2 / r ≈ 14.11.  Kernels that drop an event early
#: because a smeared quantity cannot reach a cut use it as an exact bound.
NORMAL_MAX = _ZIG_R + 53.0 * math.log(2.0) / _ZIG_R


@jit
def _signed32(u):
    hz = np.int64(u >> _U64(32))
    return hz - 4294967296 if hz >= 2147483648 else hz


@jit
def _normal_slow(state, hz, iz):
    """The ziggurat beyond its fast path: wedges and the tail (about 1% of the draws)."""
    while True:
        x = hz * _ZIG_W[iz]
        if iz == 0:  # the tail beyond r, by Marsaglia's exponential rejection
            while True:
                xt = -math.log(uniform(state)) / _ZIG_R
                yt = -math.log(uniform(state))
                if yt + yt >= xt * xt:
                    break
            return _ZIG_R + xt if hz > 0 else -_ZIG_R - xt
        if _ZIG_F[iz] + uniform(state) * (_ZIG_F[iz - 1] - _ZIG_F[iz]) < math.exp(-0.5 * x * x):
            return x
        u = next_u64(state)
        hz = _signed32(u)
        iz = np.int64(u & _U64(127))
        if abs(hz) < _ZIG_K[iz]:
            return hz * _ZIG_W[iz]


@jit
def normal(state):
    """A standard normal deviate (ziggurat method, 128 layers; exact, ~99% fast path).

    The fast path is kept apart from the rest so that it inlines into callers.
    """
    u = next_u64(state)
    hz = _signed32(u)
    iz = np.int64(u & _U64(127))
    if abs(hz) < _ZIG_K[iz]:
        return hz * _ZIG_W[iz]
    return _normal_slow(state, hz, iz)


@jit
def normal_pair(state):
    """Two independent standard normal deviates."""
    return normal(state), normal(state)


@jit
def exponential(state):
    """A standard exponential deviate (mean 1)."""
    return -math.log(uniform(state))


@jit(inline="always")
def truncated_exponential(state, length, span):
    """A deviate of the exponential law of mean ``length`` truncated to [0, ``span``).

    For short spans (span/length < 0.5, e.g. kaon decays in a decay volume much
    shorter than βγcτ) rejection from the uniform law with the squeeze
    e^-t ≥ 1 − t avoids transcendental calls and divisions in most draws
    (u ≤ 1 − x/length tested as u·length ≤ length − x); otherwise inversion.
    """
    if span >= 0.5 * length:
        return -length * math.log1p(-uniform(state) * -math.expm1(-span / length))
    while True:
        x = span * uniform(state)
        u = uniform(state)
        if u * length <= length - x or u <= math.exp(-x / length):
            return x


@jit
def poisson(state, mean):
    """A Poisson deviate (inversion for small means, normal approximation above 500)."""
    if mean <= 0.0:
        return 0
    if mean > 500.0:
        g, _ = normal_pair(state)
        k = int(mean + math.sqrt(mean) * g + 0.5)
        return k if k > 0 else 0
    limit = math.exp(-mean)
    k = 0
    prod = uniform(state)
    while prod > limit:
        k += 1
        prod *= uniform(state)
    return k
