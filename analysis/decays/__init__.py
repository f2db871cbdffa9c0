"""K+ decay channels.

Every channel module exposes the same small vocabulary: a Numba kernel
``generate(state, table, n, px, py, pz, e, vx, vy, vz[, parameters])`` that
decays a K+ with four-momentum (px, py, pz, e) at vertex (vx, vy, vz) into the
particle table (:mod:`analysis.particles`) and returns the new row count.
:data:`CHANNELS` names them with the usual short forms; :func:`dispatch.generate`
selects one by its integer code inside compiled loops.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis import constants as C
from analysis.decays import radiative


@dataclass(frozen=True)
class Channel:
    """A decay channel: short name, integer code, LaTeX label, branching ratio."""

    name: str
    code: int
    label: str
    branching_ratio: float
    n_body: int
    description: str
    signal: bool = False
    max_mass: float = 0.0  # signals: kinematic end point of the HNL mass, m_K − m_ℓ (GeV)
    min_mass: float = 0.0  # signals with a visible N → π μ: its threshold m_π + m_μ (GeV)
    beam_halo: bool = False  # not a K+ decay: a halo muon (analysis.beam_halo)
    radiative_of: str = ""  # inner bremsstrahlung of this channel: its share of the parent's rate


CHANNELS: dict[str, Channel] = {
    c.name: c
    for c in (
        Channel("kmu2", 1, r"$K^+\to\mu^+\nu$", C.BR_KMU2, 2, "K+ -> mu+ nu"),
        Channel("ke2", 2, r"$K^+\to e^+\nu$", C.BR_KE2, 2, "K+ -> e+ nu"),
        Channel("k2pi", 3, r"$K^+\to\pi^+\pi^0$", C.BR_K2PI, 2, "K+ -> pi+ pi0 (pi0 -> gg, e+e-g)"),
        Channel(
            "k3pi", 4, r"$K^+\to\pi^+\pi^+\pi^-$", C.BR_K3PI, 3, "K+ -> pi+ pi+ pi- (Dalitz ME)"
        ),
        Channel("ke3", 5, r"$K^+\to\pi^0e^+\nu$", C.BR_KE3, 3, "K+ -> pi0 e+ nu (form factors)"),
        Channel(
            "kmu3", 6, r"$K^+\to\pi^0\mu^+\nu$", C.BR_KMU3, 3, "K+ -> pi0 mu+ nu (form factors)"
        ),
        Channel(
            "k3pi0", 7, r"$K^+\to\pi^+\pi^0\pi^0$", C.BR_K3PI0, 3, "K+ -> pi+ pi0 pi0 (Dalitz ME)"
        ),
        Channel(
            "hnl_e",
            8,
            r"$K^+\to e^+N$",
            0.0,
            2,
            "K+ -> e+ N, N invisible (signal)",
            signal=True,
            max_mass=C.M_K - C.M_E,
        ),
        Channel(
            "hnl_mu",
            9,
            r"$K^+\to\mu^+N$",
            0.0,
            2,
            "K+ -> mu+ N, N invisible (signal)",
            signal=True,
            max_mass=C.M_K - C.M_MU,
        ),
        Channel(
            "halo_mu",
            10,
            r"beam-halo $\mu^+$",
            0.0,
            1,
            "beam-halo mu+ from upstream pi/K decays (not a K+ decay; analysis.beam_halo)",
            beam_halo=True,
        ),
        Channel(
            "kpimumu",
            11,
            r"$K^+\to\pi^+\mu^+\mu^-$",
            C.BR_KPIMUMU,
            3,
            "K+ -> pi+ mu+ mu- (SM, form factor)",
        ),
        Channel(
            "hnl_pimu_lnv",
            12,
            r"$K^+\to\mu^+N,\,N\to\pi^-\mu^+$",
            0.0,
            2,
            "K+ -> mu+ N, N -> pi- mu+ displaced (signal, LNV)",
            signal=True,
            max_mass=C.M_K - C.M_MU,
            min_mass=C.M_PI + C.M_MU,
        ),
        Channel(
            "hnl_pimu_lnc",
            13,
            r"$K^+\to\mu^+N,\,N\to\pi^+\mu^-$",
            0.0,
            2,
            "K+ -> mu+ N, N -> pi+ mu- displaced (signal, LNC)",
            signal=True,
            max_mass=C.M_K - C.M_MU,
            min_mass=C.M_PI + C.M_MU,
        ),
        Channel(
            "pimumu_lnv",
            14,
            r"$K^+\to\pi^-\mu^+\mu^+$",
            0.0,
            3,
            "K+ -> pi- mu+ mu+ (LNV, phase space; signal)",
            signal=True,
        ),
        Channel(
            "pinunu",
            15,
            r"$K^+\to\pi^+\nu\bar\nu$",
            C.BR_KPINUNU_SM,
            3,
            "K+ -> pi+ nu nubar (SM, vector form factor)",
        ),
        Channel(
            "ke4",
            16,
            r"$K^+\to\pi^+\pi^-e^+\nu$",
            C.BR_KE4,
            4,
            "K+ -> pi+ pi- e+ nu (phase space x constant F form factor)",
        ),
        Channel(
            "kmu2g",
            17,
            r"$K^+\to\mu^+\nu\gamma$ (IB)",
            C.BR_KMU2 * radiative.emission_probability(radiative.KMU2G),
            3,
            "K+ -> mu+ nu gamma, inner bremsstrahlung, E*(gamma) > 5 MeV (share of K_mu2)",
            radiative_of="kmu2",
        ),
        Channel(
            "k2pig",
            18,
            r"$K^+\to\pi^+\pi^0\gamma$ (IB)",
            C.BR_K2PI * radiative.emission_probability(radiative.K2PIG),
            3,
            "K+ -> pi+ pi0 gamma, inner bremsstrahlung, E*(gamma) > 5 MeV (share of K2pi)",
            radiative_of="k2pi",
        ),
    )
}

#: Standard K+ decays mixed into the pseudo-data, with their PDG branching ratios
#: (the radiative channels only where a selection lists them: :func:`branching_ratios`).
BACKGROUND_CHANNELS = tuple(
    name for name, c in CHANNELS.items() if not (c.signal or c.beam_halo or c.radiative_of)
)


def branching_ratios(names) -> dict[str, float]:
    """Branching ratio of each channel in ``names``, radiative decays split off their parent.

    The PDG branching ratio of K_μ2 or K2π is inclusive of inner bremsstrahlung; where
    ``names`` also holds the radiative channel (E*_γ above the cut), the parent keeps
    the rest, so that the listed channels add up to the inclusive rate.
    """
    names = list(names)
    brs = {name: channel(name).branching_ratio for name in names}
    for name in names:
        parent = channel(name).radiative_of
        if parent and parent in brs:
            brs[parent] -= brs[name]
    return brs


def channel(name: str) -> Channel:
    """Look a channel up by name, with a clear error listing the valid names."""
    try:
        return CHANNELS[name]
    except KeyError:
        raise ValueError(
            f"unknown channel {name!r}; valid channels: {', '.join(CHANNELS)}"
        ) from None
