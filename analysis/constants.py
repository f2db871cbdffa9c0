"""Particle-physics constants: the project's single source of truth.

Masses, lifetimes and branching ratios are those of the Review of Particle
Physics, PDG 2024 (S. Navas et al., Phys. Rev. D 110 (2024) 030001), as
collected in ``shared/PHYSICS.md`` §1.  Units: GeV for energies, momenta and
masses; metres for lengths; seconds for lifetimes.  (``hepunits``-style MeV is
used only at the user-facing edges: config keys and scan tables say ``_mev``.)

Form-factor and Dalitz parameters carry their own source in the comment next
to them.  Nothing else in the package may hard-code one of these numbers.
"""

from __future__ import annotations

PDG_EDITION = "PDG 2024 (Phys. Rev. D 110 (2024) 030001)"

C_LIGHT = 299_792_458.0  # m/s, exact

# --- masses [GeV] -----------------------------------------------------------
M_K = 0.493677
M_PI = 0.13957039
M_PI0 = 0.1349768
M_MU = 0.1056583755
M_E = 0.00051099895

# --- proper lifetimes [s] and decay lengths c*tau [m] -----------------------
TAU_K = 1.2379e-8
TAU_PI = 2.6033e-8
TAU_MU = 2.1969811e-6
CTAU_K = C_LIGHT * TAU_K  # 3.711 m
CTAU_PI = C_LIGHT * TAU_PI  # 7.804 m
CTAU_MU = C_LIGHT * TAU_MU  # 658.6 m

# --- K+ branching ratios (PDG 2024) -----------------------------------------
BR_KMU2 = 0.6356  # K+ -> mu+ nu
BR_KE2 = 1.582e-5  # K+ -> e+ nu
BR_K2PI = 0.2067  # K+ -> pi+ pi0
BR_K3PI = 0.05583  # K+ -> pi+ pi+ pi-
BR_KE3 = 0.0507  # K+ -> pi0 e+ nu
BR_KMU3 = 0.03352  # K+ -> pi0 mu+ nu
BR_K3PI0 = 0.01760  # K+ -> pi+ pi0 pi0
BR_KPIMUMU = 9.4e-8  # K+ -> pi+ mu+ mu-
BR_KPINUNU_SM = 8.4e-11  # K+ -> pi+ nu nubar, Standard Model
BR_KE4 = 4.247e-5  # K+ -> pi+ pi- e+ nu (PDG)

# --- pion and pi0 branching ratios (PDG 2024) -------------------------------
BR_PI_ENU = 1.2327e-4  # pi+ -> e+ nu (the rest is pi+ -> mu+ nu)
BR_PI0_DALITZ = 0.01174  # pi0 -> e+ e- gamma (the rest is gamma gamma)

# --- electroweak and hadronic constants --------------------------------------
F_PI = 0.1302  # GeV, pion decay constant
V_UD = 0.97373
G_FERMI = 1.1663788e-5  # GeV^-2
SIN2_THETA_W = 0.2312
ALPHA_EM = 1.0 / 137.035999084  # fine-structure constant at q² = 0 (PDG 2024)

# --- radiative (inner-bremsstrahlung) decays K+ -> mu+ nu gamma, pi+ pi0 gamma ---
# Photon energy in the kaon rest frame above which a decay is simulated as
# radiative (analysis.decays.radiative); softer photons change m2_miss by less
# than 2 E* E_gamma* ≈ 0.003 GeV^2/c^4 and are left out.  [assumed: a modelling choice]
IB_E_GAMMA_MIN = 0.005
# Reference: B(K+ -> pi+ pi0 gamma, inner bremsstrahlung, 55 < T*(pi+) < 90 MeV)
# = 2.61e-4, the Low-theorem prediction that the K2pi-gamma experiments quote
# (e.g. BNL E787, Phys. Rev. Lett. 85 (2000) 4856).  [assumed: recalled, not checked here]
BR_K2PIG_IB_T55_90 = 2.61e-4

# --- matrix-element parameters ----------------------------------------------
# K+ -> pi+ pi+ pi- Dalitz slopes: g from PDG 2024; h, k from NA48/2,
# Phys. Lett. B 649 (2007) 349 (the values hard-coded in NA62 software).
K3PI_G = -0.21134
K3PI_H = 0.01848
K3PI_K = -0.00463
# K+ -> pi+ pi0 pi0 Dalitz slopes, PDG 2024 (g = 0.626, h = 0.052, k = 0.0054).
K3PI0_G = 0.626
K3PI0_H = 0.052
K3PI0_K = 0.0054
# K_l3 vector form factor, quadratic parametrisation f+(t) = 1 + l'+ t/m_pi^2
# + l''+/2 (t/m_pi^2)^2 and scalar slope l0 (FlaviaNet Kaon WG,
# Eur. Phys. J. C 69 (2010) 399, K_l3 fit: l'+ = 24.82e-3, l''+ = 1.64e-3,
# l0 = 13.38e-3).  [assumed: recalled from the review, not checked here]
KL3_LAMBDA_P1 = 24.82e-3
KL3_LAMBDA_P2 = 1.64e-3
KL3_LAMBDA_0 = 13.38e-3
# pi0 Dalitz transition form-factor slope a (PDG 2024: 0.0332).
PI0_TFF_SLOPE = 0.0332
# K+ -> pi+ mu+ mu- vector form factor W(z) ∝ a + b z, z = M²(mu mu)/m_K² (one-photon
# exchange, D'Ambrosio, Ecker, Isidori and Portolés, JHEP 08 (1998) 004), fitted by NA48/2,
# Phys. Lett. B 697 (2011) 107: a = -0.575 ± 0.039, b = -0.813 ± 0.145 (fit that includes the
# pi pi loop term W^pipi(z), which this package neglects).
# [assumed: recalled from the paper, not checked here]
KPIMUMU_A = -0.575
KPIMUMU_B = -0.813

# --- Monte Carlo conventions of this package (not physics numbers) ------------
# Proper decay time of the HNL in K+ -> mu+ N, N -> pi mu samples generated for reweighting to
# any lifetime (analysis.decays.hnl_pimu): a fraction HNL_PROMPT_FRACTION decays at t = 0, the
# rest log-uniformly in [HNL_T_MIN_PS, HNL_T_MAX_PS] (picoseconds).  Chosen to span prompt to
# escaping HNLs at NA48/2 momenta (βγ ~ 100: βγcτ from ~30 µm to ~3 km); any other choice
# is as valid.
HNL_T_MIN_PS = 1e-3
HNL_T_MAX_PS = 1e5
HNL_PROMPT_FRACTION = 0.5
