"""Experiment models: geometry tables and the fused generation → detector → trigger chains."""

from __future__ import annotations

EXPERIMENTS = ("na62", "na62rk", "na48_2")
IMPLEMENTED = ("na62", "na62rk", "na48_2")


def experiment_module(name: str):
    """The module implementing experiment ``name``, with a clear error otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(
            f"unknown experiment {name!r}; valid experiments: {', '.join(EXPERIMENTS)}"
        )
    if name not in IMPLEMENTED:
        raise NotImplementedError(
            f"experiment {name!r} is not implemented yet; implemented: {', '.join(IMPLEMENTED)}"
        )
    from analysis.experiments import na48_2, na62, na62rk

    return {"na62": na62, "na62rk": na62rk, "na48_2": na48_2}[name]
