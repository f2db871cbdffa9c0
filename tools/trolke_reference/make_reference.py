"""Generate the TRolke reference tables used by ``tests/stats/test_rolke_reference.py``.

Run once, in an environment that has PyROOT (it is *not* a dependency of the
package or of its tests)::

    python3 -m venv /tmp/rootenv && /tmp/rootenv/bin/pip install root numpy
    /tmp/rootenv/bin/python tools/trolke_reference/make_reference.py

It writes ``tests/data/stats/trolke_gauss.csv`` and
``tests/data/stats/trolke_poisson.csv``: random (seeded) points of the grid

* n_obs 0-50, background 0-40 with standard deviation 0.05-5 (or known),
* efficiency 0.05-1 with standard deviation up to 10 % of it (or known),
* control count 0-40 with ratio tau 0.5-10,
* CL 90 % and 95 %,

plus a few hand-picked rows (the reference point n = 1, b = 1.16 +- 0.87).
TRolke is used in its default mode (``SetBounding(false)``, the "unbounded
likelihood"), which is the mode that gives the published 2.757 at the
reference point (bounded mode gives 2.767).  Model choice:

==============================  ===========================================
inputs                          TRolke call
==============================  ===========================================
eff_sigma = 0                   SetGaussBkgKnownEff(n, b, sigma_b, e)
eff_sigma > 0, sigma_b > 0      SetGaussBkgGaussEff(n, b, e, sigma_e, sigma_b)
eff_sigma > 0, sigma_b = 0      SetKnownBkgGaussEff(n, e, sigma_e, b)
Poisson bkg, eff_sigma = 0      SetPoissonBkgKnownEff(n, y, tau, e)
Poisson bkg, eff_sigma > 0      SetPoissonBkgGaussEff(n, y, e, tau, sigma_e)
==============================  ===========================================
"""

from __future__ import annotations

import csv
import pathlib
import sys

import numpy as np
import ROOT  # noqa: E402  (PyROOT, only in the reference-generation venv)

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "stats"
SEED = 20240611
N_GAUSS = 2600
N_POISSON = 1600


def _counts(rng, size, high):
    """Counts 0..high, denser at small values."""
    small = rng.integers(0, 11, size)
    large = rng.integers(0, high + 1, size)
    return np.where(rng.random(size) < 0.5, small, large)


def _eff(rng, size):
    eff = np.round(rng.uniform(0.05, 1.0, size), 3)
    eff[rng.random(size) < 0.3] = 1.0
    frac = rng.uniform(0.0, 0.10, size)
    frac[rng.random(size) < 0.4] = 0.0
    return eff, np.round(eff * frac, 4)


def gauss_rows(rng):
    n = _counts(rng, N_GAUSS, 50)
    bkg = np.round(
        np.where(
            rng.random(N_GAUSS) < 0.5, rng.uniform(0, 5, N_GAUSS), rng.uniform(0, 40, N_GAUSS)
        ),
        3,
    )
    bkg[rng.random(N_GAUSS) < 0.03] = 0.0
    sig = np.round(np.exp(rng.uniform(np.log(0.05), np.log(5.0), N_GAUSS)), 3)
    sig[rng.random(N_GAUSS) < 0.12] = 0.0
    eff, eff_sig = _eff(rng, N_GAUSS)
    cl = np.where(rng.random(N_GAUSS) < 0.5, 0.9, 0.95)
    rows = [(1, 1.16, 0.87, 1.0, 0.0, 0.9)]
    rows += [(k, 1.16, 0.87, 1.0, 0.0, c) for k in range(0, 11) for c in (0.9, 0.95)]
    rows += [(k, 3.0, 0.0, 1.0, 0.0, 0.9) for k in range(0, 11)]
    rows += list(
        zip(n.tolist(), bkg.tolist(), sig.tolist(), eff.tolist(), eff_sig.tolist(), cl.tolist())
    )
    return rows


def poisson_rows(rng):
    n = _counts(rng, N_POISSON, 50)
    y = _counts(rng, N_POISSON, 40)
    tau = np.round(np.exp(rng.uniform(np.log(0.5), np.log(10.0), N_POISSON)), 3)
    eff, eff_sig = _eff(rng, N_POISSON)
    cl = np.where(rng.random(N_POISSON) < 0.5, 0.9, 0.95)
    rows = [(k, 3, 2.0, 1.0, 0.0, 0.9) for k in range(0, 11)]
    rows += list(
        zip(n.tolist(), y.tolist(), tau.tolist(), eff.tolist(), eff_sig.tolist(), cl.tolist())
    )
    return rows


def trolke_gauss(rolke, n, b, sb, e, se):
    if se == 0.0:
        rolke.SetGaussBkgKnownEff(n, b, sb, e)
        return 5
    if sb > 0.0:
        rolke.SetGaussBkgGaussEff(n, b, e, se, sb)
        return 3
    rolke.SetKnownBkgGaussEff(n, e, se, b)
    return 7


def trolke_poisson(rolke, n, y, tau, e, se):
    if se == 0.0:
        rolke.SetPoissonBkgKnownEff(n, y, tau, e)
        return 4
    rolke.SetPoissonBkgGaussEff(n, y, e, tau, se)
    return 2


def run(rows, setter, names, path):
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow([*names, "model", "lower", "upper"])
        for row in rows:
            n, p1, p2, e, se, cl = row
            rolke = ROOT.TRolke(cl)
            model = setter(rolke, int(n), p1, p2, e, se)
            lower = rolke.GetLowerLimit()
            upper = rolke.GetUpperLimit()
            out.writerow([int(n), p1, p2, e, se, cl, model, f"{lower:.10g}", f"{upper:.10g}"])
    print(f"wrote {len(rows)} rows to {path}", file=sys.stderr)


def main():
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    print("ROOT", ROOT.gROOT.GetVersion(), file=sys.stderr)
    run(
        gauss_rows(rng),
        trolke_gauss,
        ["n_obs", "bkg", "bkg_sigma", "eff", "eff_sigma", "cl"],
        OUT / "trolke_gauss.csv",
    )
    run(
        poisson_rows(rng),
        trolke_poisson,
        ["n_obs", "n_control", "tau", "eff", "eff_sigma", "cl"],
        OUT / "trolke_poisson.csv",
    )


if __name__ == "__main__":
    main()
