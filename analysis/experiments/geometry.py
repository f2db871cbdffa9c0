"""Loading experiment geometry tables (YAML package data) into flat named tuples.

Numba kernels take the geometry as a ``NamedTuple`` of floats, which compiles to
a fixed-layout struct; the YAML keeps the values with their sources.
"""

from __future__ import annotations

from collections import namedtuple
from importlib import resources
from typing import Any

import yaml


def load_table(experiment: str) -> dict[str, Any]:
    """The raw geometry table of ``experiment`` (``analysis/data/experiments/<name>.yaml``)."""
    path = resources.files("analysis") / "data" / "experiments" / f"{experiment}.yaml"
    with path.open() as handle:
        return yaml.safe_load(handle)


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested sections into ``section_key`` names; lists become ``key_0, key_1, …``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "_"))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                flat[f"{name}_{i}"] = float(item)
        else:
            flat[name] = float(value)
    return flat


def geometry_type(flat: dict[str, float], what: str):
    """The geometry named tuple of a flat table and its ``make_geometry(**overrides)``.

    ``make_geometry`` returns the table's values with individual fields overridden
    (run conditions, tests) and refuses unknown field names, listing the known ones.
    """
    geometry = namedtuple("Geometry", list(flat))

    def make_geometry(**overrides) -> geometry:
        unknown = sorted(set(overrides) - set(flat))
        if unknown:
            raise ValueError(
                f"unknown {what} geometry field(s) {', '.join(unknown)}; known: {', '.join(flat)}"
            )
        return geometry(**{name: float(v) for name, v in {**flat, **overrides}.items()})

    make_geometry.__doc__ = f"The {what} geometry, with optional overrides of individual fields."
    return geometry, make_geometry
