"""Event selections: one module per selection, cuts in YAML package data.

The selection names are a contract (DESIGN.md §3): ``na48_2_lnv``,
``na48_2_lnc``, ``na62rk_mun``, ``na62_en``, ``na62_pnn``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

SELECTIONS = ("na48_2_lnv", "na48_2_lnc", "na62rk_mun", "na62_en", "na62_pnn")
IMPLEMENTED = ("na48_2_lnv", "na48_2_lnc", "na62rk_mun", "na62_en", "na62_pnn")


def load_cuts(selection: str) -> dict[str, Any]:
    """The cut table of ``selection`` (``analysis/data/selections/<name>.yaml``)."""
    if selection not in SELECTIONS:
        raise ValueError(
            f"unknown selection {selection!r}; valid selections: {', '.join(SELECTIONS)}"
        )
    if selection not in IMPLEMENTED:
        raise NotImplementedError(
            f"selection {selection!r} is not implemented yet; implemented: {', '.join(IMPLEMENTED)}"
        )
    path = resources.files("analysis") / "data" / "selections" / f"{selection}.yaml"
    with path.open() as handle:
        return yaml.safe_load(handle)
