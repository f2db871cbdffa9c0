"""Experiment models: geometry tables and the fused generation → detector → trigger chains.

An experiment may have several runs with their own trigger and detector
configuration: ``na62`` is the 2015 minimum-bias run by default and the 2016
K+ → π+νν̄ run as ``run="pnn"`` (:mod:`analysis.experiments.na62_pnn`).
"""

from __future__ import annotations

EXPERIMENTS = ("na62", "na62rk", "na48_2")
IMPLEMENTED = ("na62", "na62rk", "na48_2")
#: Runs of an experiment other than its default one.
RUNS = {"na62": ("pnn",)}


def experiment_module(name: str, run: str = ""):
    """The module implementing experiment ``name`` (in ``run``), with a clear error otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(
            f"unknown experiment {name!r}; valid experiments: {', '.join(EXPERIMENTS)}"
        )
    if name not in IMPLEMENTED:
        raise NotImplementedError(
            f"experiment {name!r} is not implemented yet; implemented: {', '.join(IMPLEMENTED)}"
        )
    if run and run not in RUNS.get(name, ()):
        valid = ", ".join(RUNS.get(name, ())) or "none"
        raise ValueError(f"unknown run {run!r} of experiment {name!r}; valid runs: {valid}")
    from analysis.experiments import na48_2, na62, na62_pnn, na62rk

    if run == "pnn":
        return na62_pnn
    return {"na62": na62, "na62rk": na62rk, "na48_2": na48_2}[name]
