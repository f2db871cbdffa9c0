"""Beam-halo muons: muons from pion and kaon decays upstream that reach the detector.

They are not kaon decays: they fly through the decay volume nearly parallel to
the beam, with their own momentum and angle spectra, and a spectrometer track of
one of them has a *fake* vertex where its line passes closest to the nominal
beam axis.  In a single-muon selection they fake K+ → μ+ X decays; in the
NA62-RK 2007 K+ → μ+ N search they are the background the K−-only control runs
measure.

The parametrisation describes the muon lines that can reach a selection (the
halo far from the beam axis never fakes a vertex) by the variables the
experiment's halo cuts use; every value is in the ``halo`` section of the
experiment's geometry table, each marked with its source there:

* fake-vertex position z_v: exponential with length ``halo.z_vertex_length``
  downstream of ``halo.z_vertex_start`` (upstream of the final collimator, so
  that an upstream control region is populated), truncated at ``beam.z_end``;
* direction: slopes (x′, y′) Gaussian with width ``halo.angle`` per projection;
* distance of closest approach to the axis: Gaussian components of width
  ``halo.impact`` along the transverse direction perpendicular to the slope;
* momentum: exponential above ``halo.p_min`` with slope ``halo.p_slope``,
  truncated at ``halo.p_max``.

The geometric acceptance then shapes the (z_v, θ) distribution: a muon from a
downstream fake vertex must have a larger angle to clear the beam hole of the
first chamber — the correlation the (z_vertex, θ) halo cut exploits.
"""

from __future__ import annotations

import math

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_MU
from analysis.rng import normal, truncated_exponential


@jit
def generate(state, table, g, charge):
    """Write one halo muon of ``charge`` (±1) into row 0 of ``table``; returns the row count.

    The muon starts at the plane ``beam.z_start`` on its line (which may lie
    upstream or downstream of its fake vertex).
    """
    p = g.halo_p_min + truncated_exponential(state, g.halo_p_slope, g.halo_p_max - g.halo_p_min)
    z_v = g.halo_z_vertex_start + truncated_exponential(
        state, g.halo_z_vertex_length, g.beam_z_end - g.halo_z_vertex_start
    )
    tx = g.halo_angle * normal(state)
    ty = g.halo_angle * normal(state)
    # closest-approach offset, perpendicular to the transverse slope direction
    t = math.sqrt(tx * tx + ty * ty)
    b = g.halo_impact * normal(state)
    ox, oy = (-ty / t * b, tx / t * b) if t > 0.0 else (b, 0.0)
    dz = g.beam_z_start - z_v
    pz = p / math.sqrt(1.0 + tx * tx + ty * ty)
    pid = pt.MUON_PLUS if charge > 0 else pt.MUON_MINUS
    energy = math.sqrt(p * p + M_MU * M_MU)
    x, y = ox + tx * dz, oy + ty * dz
    return pt.add(table, 0, tx * pz, ty * pz, pz, energy, x, y, g.beam_z_start, pid, True)
