"""End-to-end analyses: the stage functions (select, normalise, scan, plot) per selection."""

from __future__ import annotations

from analysis.selections import load_cuts


def analysis_module(selection: str):
    """The module implementing the stages of ``selection``."""
    load_cuts(selection)  # validates the name and that it is implemented
    from analysis.analyses import na62_en, na62rk_mun

    return {"na62_en": na62_en, "na62rk_mun": na62rk_mun}[selection]


#: Figures every resonance search writes (``results/<selection>/figures/<name>.{png,pdf}``).
SCAN_FIGURES = ("missing_mass", "limit_events", "limit_br", "limit_u2", "acceptance", "resolution")
#: Additional figures of individual selections.
EXTRA_FIGURES = {"na62rk_mun": ("halo_control",)}


def figures(selection: str) -> tuple[str, ...]:
    """Names of the figures of ``selection``."""
    return SCAN_FIGURES + EXTRA_FIGURES.get(selection, ())
