"""Transport of charged and neutral particles through a fixed-target spectrometer.

Particles travel on straight lines in the vacuum decay volume; a dipole magnet
is treated as a thin lens at ``z_magnet`` giving a transverse kick
Δp_x = q·``kick`` (GeV/c) — the standard approximation for the NA48 and NA62
spectrometer magnets, whose field integral is quoted as a p_T kick.
"""

from __future__ import annotations

from analysis._jit import jit


@jit
def momentum_at(px, py, pz, q, z0, z, z_magnet, kick):
    """Momentum of a particle produced at ``z0`` when it reaches plane ``z``."""
    if q != 0 and z0 < z_magnet <= z:
        return px + q * kick, py, pz
    return px, py, pz


@jit
def position_at(x0, y0, z0, px, py, pz, q, z, z_magnet, kick):
    """Transverse position (x, y) at plane ``z`` of a particle produced at (x0, y0, z0)."""
    if q != 0 and z0 < z_magnet <= z:
        xm = x0 + px / pz * (z_magnet - z0)
        return xm + (px + q * kick) / pz * (z - z_magnet), y0 + py / pz * (z - z0)
    return x0 + px / pz * (z - z0), y0 + py / pz * (z - z0)
