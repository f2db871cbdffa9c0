"""End-to-end analyses: the stage functions (select, normalise, scan, plot) per selection."""

from __future__ import annotations

from analysis.selections import load_cuts


def analysis_module(selection: str):
    """The module implementing the stages of ``selection``."""
    load_cuts(selection)  # validates the name and that it is implemented
    from analysis.analyses import na62_en

    return {"na62_en": na62_en}[selection]
