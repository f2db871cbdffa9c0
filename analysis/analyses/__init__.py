"""End-to-end analyses: the stage functions (select, normalise, scan, plot) per selection."""

from __future__ import annotations

from analysis.selections import load_cuts


def analysis_module(selection: str):
    """The module implementing the stages of ``selection``."""
    load_cuts(selection)  # validates the name and that it is implemented
    from analysis.analyses import na48_2, na62_en, na62_pnn, na62rk_mun

    if selection == "na62_pnn":
        return na62_pnn
    if selection.startswith("na48_2"):
        return na48_2.ThreeTrackSearch(selection)
    return {"na62_en": na62_en, "na62rk_mun": na62rk_mun}[selection]


#: Figures every resonance search writes (``results/<selection>/figures/<name>.{png,pdf}``).
SCAN_FIGURES = ("missing_mass", "limit_events", "limit_br", "limit_u2", "acceptance", "resolution")
#: Additional figures of individual selections.
EXTRA_FIGURES = {"na62rk_mun": ("halo_control",)}


#: Figures of the NA48/2 scans over HNL mass and lifetime.
LIFETIME_SCAN_FIGURES = ("m_pimumu", "limit_events", "limit_br", "acceptance", "resolution")
LIFETIME_SCAN_SELECTIONS = ("na48_2_lnv", "na48_2_lnc")


#: The blind K+ → π+νν̄ analysis: a counting experiment, no mass scan.
COUNTING_SELECTIONS = ("na62_pnn",)
PNN_FIGURES = ("m2_vs_momentum", "m2_straw_vs_rich", "m2_miss", "background_budget")


def figures(selection: str) -> tuple[str, ...]:
    """Names of the figures of ``selection``."""
    if selection in COUNTING_SELECTIONS:
        return PNN_FIGURES
    if selection in LIFETIME_SCAN_SELECTIONS:
        return LIFETIME_SCAN_FIGURES
    return SCAN_FIGURES + EXTRA_FIGURES.get(selection, ())
