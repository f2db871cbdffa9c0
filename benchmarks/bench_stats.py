"""Throughput of the statistics kernels (limits per second per core).

Run as a script (``python benchmarks/bench_stats.py [--threads N]``) or with
pytest-benchmark (``pytest benchmarks/bench_stats.py``).  The batch is 1e5
Rolke–López intervals for background-only pseudo-data: ``b`` uniform in
0.5-40, ``n ~ Poisson(b)``, 20 % Gaussian background uncertainty (or a Poisson
control sample with ``tau = 2``), 5 % efficiency uncertainty where stated.
For comparison ``tools/trolke_reference/bench_trolke.py`` times ROOT's TRolke
(C++) on the same kind of batch.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numba
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from analysis.stats import rolke  # noqa: E402

BATCH = 100_000


def make_batch(seed=7, size=BATCH):
    """Background-only pseudo-data for the benchmark."""
    rng = np.random.default_rng(seed)
    bkg = rng.uniform(0.5, 40.0, size)
    n = rng.poisson(bkg)
    n_control = rng.poisson(2.0 * bkg)
    return n, bkg, n_control


def _cases(n, bkg, n_control):
    return {
        "gauss_bkg_known_eff": lambda: rolke.interval(n, bkg, 0.2 * bkg, 1.0, 0.0),
        "gauss_bkg_gauss_eff": lambda: rolke.interval(n, bkg, 0.2 * bkg, 0.8, 0.04),
        "poisson_bkg_known_eff": lambda: rolke.interval_poisson_bkg(n, n_control, 2.0, 1.0, 0.0),
        "poisson_bkg_gauss_eff": lambda: rolke.interval_poisson_bkg(n, n_control, 2.0, 0.8, 0.04),
    }


def run(threads=1, repeat=5):
    """Best-of-``repeat`` rate (intervals/s) per case with ``threads`` threads."""
    numba.set_num_threads(threads)
    cases = _cases(*make_batch())
    rates = {}
    for name, call in cases.items():
        call()  # compile / load cache
        best = np.inf
        for _ in range(repeat):
            start = time.perf_counter()
            call()
            best = min(best, time.perf_counter() - start)
        rates[name] = BATCH / best
    return rates


def test_bench_gauss_bkg(benchmark):
    n, bkg, _ = make_batch()
    numba.set_num_threads(1)
    benchmark(rolke.interval, n, bkg, 0.2 * bkg)


def test_bench_poisson_bkg(benchmark):
    n, _, n_control = make_batch()
    numba.set_num_threads(1)
    benchmark(rolke.interval_poisson_bkg, n, n_control, 2.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for name, rate in run(args.threads).items():
        print(f"{name:24s} {rate:12.0f} intervals/s ({args.threads} thread(s))")


if __name__ == "__main__":
    main()
