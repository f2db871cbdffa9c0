"""NA62-RK (2007): the NA48/2 apparatus as modified for the R_K run, fused per event.

The apparatus differs from NA62's in its numbers, not in its structure: a K+
beam of 74 GeV/c, a drift-chamber spectrometer around one dipole, the LKr and a
muon veto.  The fused chain, the detector response and the trigger kernels of
:mod:`analysis.experiments.na62` therefore run unchanged on this experiment's
geometry table (``analysis/data/experiments/na62rk.yaml``), which has the same
keys; elements that did not exist in 2007 are switched off there.
"""

from __future__ import annotations

from analysis.experiments import na62_layout
from analysis.experiments.geometry import flatten, load_table
from analysis.experiments.na62 import simulate_batch
from analysis.experiments.na62_layout import COLUMNS, N_OUT, RECO_COLUMNS, Geometry

# what analysis.simulate takes from an experiment module
__all__ = ["COLUMNS", "GEOMETRY", "N_OUT", "RECO_COLUMNS", "geometry_record", "simulate_batch"]

NAME = "na62rk"
TABLE = load_table(NAME)
_FLAT = flatten(TABLE)
if set(_FLAT) != set(Geometry._fields):
    raise ValueError(
        f"{NAME}.yaml must have the keys of na62.yaml; differing: "
        f"{', '.join(sorted(set(_FLAT) ^ set(Geometry._fields)))}"
    )


def make_geometry(**overrides) -> Geometry:
    """The NA62-RK geometry, with optional overrides of individual fields."""
    return na62_layout.make_geometry(**{**_FLAT, **overrides})


GEOMETRY = make_geometry()


def geometry_record(geometry: Geometry = GEOMETRY):
    """The geometry as the one-element record array the kernels take."""
    return na62_layout.geometry_record(geometry)
