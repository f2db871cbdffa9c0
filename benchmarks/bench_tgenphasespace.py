"""The reference rate of the throughput targets: ROOT's TGenPhaseSpace, bare weighted decays.

The targets of the fused chain are stated as multiples of the rate at which
ROOT's ``TGenPhaseSpace`` generates bare, weighted (no accept–reject) decays of
a moving kaon, one core.  Machines and days differ, so measure it next to
``bench_simulate.py`` in the same session.  Needs PyROOT, which is *not* a
dependency of the project::

    python3 -m venv /tmp/rootenv && /tmp/rootenv/bin/pip install root
    /tmp/rootenv/bin/python benchmarks/bench_tgenphasespace.py

The loop is compiled C++ (ACLiC with ``-O2`` when a compiler is found, else
Cling's JIT): per event ``Generate()`` and the lab four-momentum of every
daughter (``GetDecay``), summed so that nothing is optimised away.  Kaons fly
along z with the beam momentum of each experiment (K+ → μ+ν at 74 GeV/c for
NA62-RK and 75 GeV/c for NA62; K+ → π+π+π− at 60 GeV/c for NA48/2 and 75 GeV/c
for NA62).  Masses from ``analysis/constants.py`` (PDG 2024), read from this
checkout: the ROOT environment needs neither the package nor its dependencies.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analysis.constants import M_K, M_MU, M_PI  # noqa: E402  (plain Python, no dependency)

SOURCE = r"""
#include "TGenPhaseSpace.h"
#include "TLorentzVector.h"
#include "TRandom.h"

double bench_tgenphasespace(double p_kaon, int n_daughters, const double *masses, long n,
                            unsigned seed)
{
   gRandom->SetSeed(seed);
   TLorentzVector kaon(0.0, 0.0, p_kaon, std::sqrt(p_kaon * p_kaon + %(mk).10f * %(mk).10f));
   TGenPhaseSpace gen;
   gen.SetDecay(kaon, n_daughters, masses);
   double sum = 0.0;
   for (long i = 0; i < n; ++i) {
      double w = gen.Generate();
      for (int d = 0; d < n_daughters; ++d)
         sum += w * gen.GetDecay(d)->Pz();
   }
   return sum;
}
"""

CASES = {
    "kmu2_74": (74.0, (M_MU, 0.0)),
    "kmu2_75": (75.0, (M_MU, 0.0)),
    "k3pi_60": (60.0, (M_PI, M_PI, M_PI)),
    "k3pi_75": (75.0, (M_PI, M_PI, M_PI)),
}


def _compile(ROOT, tmp: Path) -> str:
    """Compile the loop; returns how."""
    code = SOURCE % {"mk": M_K}
    path = tmp / "bench_tgps.C"
    path.write_text(code)
    if ROOT.gSystem.CompileMacro(str(path), "kO-") == 1:  # k: keep, O: optimised, -: no rootmap
        return "ACLiC -O2"
    if not ROOT.gInterpreter.Declare(code):
        raise RuntimeError("TGenPhaseSpace benchmark: the C++ loop does not compile")
    return "Cling JIT"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decays", type=float, default=1e7)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import array

    import ROOT

    with tempfile.TemporaryDirectory() as tmp:
        how = _compile(ROOT, Path(tmp))
        print(f"ROOT {ROOT.gROOT.GetVersion()}, loop compiled with {how}", flush=True)
        n = int(args.decays)
        for name in args.cases:
            p_kaon, masses = CASES[name]
            m = array.array("d", masses)
            ROOT.bench_tgenphasespace(p_kaon, len(masses), m, 100_000, 1)  # warm-up
            best = float("inf")
            for r in range(args.repeat):
                start = time.perf_counter()
                ROOT.bench_tgenphasespace(p_kaon, len(masses), m, n, 2 + r)
                best = min(best, time.perf_counter() - start)
            print(f"{name:8s} {n / best / 1e6:6.2f} M decays/s/core  ({best:.2f} s for {n:.2g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
