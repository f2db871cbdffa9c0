"""Time ROOT's TRolke (compiled C++) on the batch of ``benchmarks/bench_stats.py``.

Needs PyROOT (see ``make_reference.py``)::

    /tmp/rootenv/bin/python tools/trolke_reference/bench_trolke.py

The loop over the batch runs in C++ (declared through cling, optimised by
ROOT's JIT), so the rate is that of TRolke itself, not of Python.
"""

from __future__ import annotations

import time

import numpy as np
import ROOT

BATCH = 100_000

ROOT.gInterpreter.Declare(
    r"""
#include "TRolke.h"
double trolke_batch(int model, int size, const int *n, const double *bkg, const int *y,
                    double *upper) {
   TRolke rolke(0.9);
   double sum = 0;
   for (int i = 0; i < size; ++i) {
      switch (model) {
         case 5: rolke.SetGaussBkgKnownEff(n[i], bkg[i], 0.2 * bkg[i], 1.0); break;
         case 3: rolke.SetGaussBkgGaussEff(n[i], bkg[i], 0.8, 0.04, 0.2 * bkg[i]); break;
         case 4: rolke.SetPoissonBkgKnownEff(n[i], y[i], 2.0, 1.0); break;
         case 2: rolke.SetPoissonBkgGaussEff(n[i], y[i], 0.8, 2.0, 0.04); break;
      }
      double lo = 0, hi = 0;
      rolke.GetLimits(lo, hi);
      upper[i] = hi;
      sum += hi;
   }
   return sum;
}
"""
)


def make_batch(seed=7, size=BATCH):
    """Same pseudo-data as benchmarks/bench_stats.py."""
    rng = np.random.default_rng(seed)
    bkg = rng.uniform(0.5, 40.0, size)
    n = rng.poisson(bkg)
    n_control = rng.poisson(2.0 * bkg)
    return n.astype(np.int32), bkg, n_control.astype(np.int32)


def main():
    n, bkg, y = make_batch()
    upper = np.empty(BATCH)
    for model, name in (
        (5, "gauss_bkg_known_eff"),
        (3, "gauss_bkg_gauss_eff"),
        (4, "poisson_bkg_known_eff"),
        (2, "poisson_bkg_gauss_eff"),
    ):
        ROOT.trolke_batch(model, 1000, n, bkg, y, upper)
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            ROOT.trolke_batch(model, BATCH, n, bkg, y, upper)
            best = min(best, time.perf_counter() - start)
        print(f"TRolke {name:24s} {BATCH / best:12.0f} intervals/s (1 thread)")


if __name__ == "__main__":
    main()
