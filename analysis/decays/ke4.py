"""K+ → π+ π− e+ ν (K_e4) as four-body phase space with a constant matrix element.

The decay is generated as K+ → (π+π−)(e+ν) with the pair masses M_ππ, M_eν
distributed as four-body phase space (:mod:`analysis.decays.phase_space`):

    dΓ ∝ p*(K → ππ, eν) · p*(ππ → π+π−) · p*(eν → e+ν) dM_ππ dM_eν,
    2 m_π ≤ M_ππ,  m_e ≤ M_eν,  M_ππ + M_eν ≤ m_K,

and each of the three two-body decays isotropic in its own rest frame
(uniform Cabibbo–Maksymowicz angles θ_π, θ_e, φ).

Not modelled: the K_e4 matrix element.  The hadronic form factors F, G
(axial) and H (vector) of the ππ system in s- and p-waves, with their M_ππ,
M_eν and angular dependence measured by NA48/2 (J.R. Batley et al.,
Eur. Phys. J. C 70 (2010) 635; Phys. Lett. B 715 (2012) 105), and the V−A
lepton current that shapes θ_e and M_eν are replaced by a
constant |M|² over phase space (the "constant F" of the channel description,
with G = H = 0 and no lepton-current structure).  The rate is the constant
``BR_KE4``.  This channel matters only as a small background through its π+
(and π−, e+); its spectra are accurate to the extent phase space is.
"""

from __future__ import annotations

from analysis import particles as pt
from analysis._jit import jit
from analysis.constants import M_E, M_K, M_PI
from analysis.decays import phase_space
from analysis.kinematics import to_lab

W_MAX = phase_space.max_pair_weight(M_K, M_PI, M_PI, M_E, 0.0)


@jit
def generate(state, table, n, px, py, pz, e, vx, vy, vz):
    """K+ → π+ π− e+ ν at (vx, vy, vz); rows π+, π−, e+, ν (ν invisible)."""
    m_pipi, m_enu = phase_space.sample_pair_masses(state, M_K, M_PI, M_PI, M_E, 0.0, W_MAX)
    mom = phase_space.four_body_momenta(state, M_K, M_PI, M_PI, M_E, 0.0, m_pipi, m_enu)
    a = to_lab(px, py, pz, e, M_K, mom[0], mom[1], mom[2], mom[3])
    b = to_lab(px, py, pz, e, M_K, mom[4], mom[5], mom[6], mom[7])
    c = to_lab(px, py, pz, e, M_K, mom[8], mom[9], mom[10], mom[11])
    d = to_lab(px, py, pz, e, M_K, mom[12], mom[13], mom[14], mom[15])
    n = pt.add(table, n, a[0], a[1], a[2], a[3], vx, vy, vz, pt.PI_PLUS, True)
    n = pt.add(table, n, b[0], b[1], b[2], b[3], vx, vy, vz, pt.PI_MINUS, True)
    n = pt.add(table, n, c[0], c[1], c[2], c[3], vx, vy, vz, pt.POSITRON, True)
    return pt.add(table, n, d[0], d[1], d[2], d[3], vx, vy, vz, pt.NEUTRINO, False)
