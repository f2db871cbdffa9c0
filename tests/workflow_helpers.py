"""Helpers for the end-to-end tests: copies of the workflow and of the package, runs of the CLIs.

The workflow tests run the real ``snakemake`` command line on a copy of the workflow
(``Snakefile``, ``config/``, ``workflow/``, ``profiles/``, ``envs/``) in a temporary
directory, never in the checkout, so ``results/`` of the checkout is left alone.

The ``analysis`` package is imported from a snapshot taken once per test session
(:func:`snapshot_code`), so that every run of one session uses the same code even
while the checkout is being edited; a comparison of two runs (determinism, signal
injection) is then a comparison of configurations, not of code versions.  The
snapshot keeps the files' modification times and their ``__pycache__``, so Numba's
on-disk cache of the checkout is reused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Root of the checkout (the directory holding the Snakefile).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: What a run of the workflow needs besides the package.
WORKFLOW_ITEMS = ("Snakefile", "config", "workflow", "profiles", "envs")

#: Tiny configuration: a few hundred thousand kaon decays, about a minute on two cores.
TINY_CONFIG: dict[str, object] = {
    "selections": "[na62_en]",
    "scale": 0.002,
    "mc_statistics": 1,
    "signal_decays": 20000,
    "seed": 7,
}

SELECTION = "na62_en"
FIGURES = ("missing_mass", "limit_events", "limit_br", "limit_u2", "acceptance", "resolution")

#: Upper bound on one Snakemake run of the tiny configuration (seconds).
RUN_TIMEOUT = 900


def _ignore_build_outputs(directory: str, names: list[str]) -> set[str]:
    # Half-written temporary files of a concurrent writer are never part of a snapshot.
    return {n for n in names if n.endswith(".tmp")}


def snapshot_code(destination: Path) -> Path:
    """Copy ``analysis/`` and ``config/`` (its schema) under ``destination``; return it.

    ``destination`` is then the directory to put on ``PYTHONPATH``.
    """
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("analysis", "config"):
        shutil.copytree(REPO_ROOT / name, destination / name, ignore=_ignore_build_outputs)
    return destination


def make_workdir(destination: Path) -> Path:
    """A fresh copy of the workflow (no ``results/``, no ``.snakemake/``) at ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in WORKFLOW_ITEMS:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


def environment(code_root: Path | None = None) -> dict[str, str]:
    """The environment of a child process: ``analysis`` importable from ``code_root``."""
    env = dict(os.environ)
    root = str(code_root if code_root is not None else REPO_ROOT)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["MPLBACKEND"] = "Agg"
    env.pop("SNAKEMAKE_PROFILE", None)
    return env


def config_arguments(overrides: Mapping[str, object] | None = None, **more: object) -> list[str]:
    """``--config key=value ...`` for the tiny configuration updated with the overrides."""
    values = {**TINY_CONFIG, **(overrides or {}), **more}
    return ["--config", *(f"{key}={value}" for key, value in values.items())]


def run_snakemake(
    workdir: Path,
    arguments: Iterable[str],
    *,
    code_root: Path | None = None,
    timeout: float = RUN_TIMEOUT,
) -> subprocess.CompletedProcess:
    """Run ``python -m snakemake <arguments>`` in ``workdir`` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *arguments],
        cwd=workdir,
        env=environment(code_root),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli(
    arguments: Iterable[str],
    *,
    cwd: Path,
    code_root: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """Run ``python -m analysis <arguments>`` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, arguments)],
        cwd=cwd,
        env=environment(code_root),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output_of(process: subprocess.CompletedProcess, tail: int = 6000) -> str:
    """stdout and stderr of a finished process, the end of each, for assertion messages."""
    return (
        f"exit status {process.returncode}\n--- stdout ---\n{process.stdout[-tail:]}"
        f"\n--- stderr ---\n{process.stderr[-tail:]}"
    )


def results_dir(workdir: Path, selection: str = SELECTION) -> Path:
    return workdir / "results" / selection


@dataclass(frozen=True)
class Run:
    """A finished Snakemake run: its working directory, main outputs and console output."""

    workdir: Path
    results: Path
    summary: dict
    scan: pd.DataFrame
    output: str


def run_workflow(
    workdir: Path, code_root: Path, arguments: list[str], selection: str = SELECTION
) -> Run:
    """Run Snakemake in a fresh copy of the workflow at ``workdir``; it must succeed."""
    make_workdir(workdir)
    process = run_snakemake(workdir, arguments, code_root=code_root)
    assert process.returncode == 0, f"snakemake {' '.join(arguments)} failed:\n{output_of(process)}"
    results = results_dir(workdir, selection)
    return Run(
        workdir,
        results,
        json.loads((results / "summary.json").read_text()),
        # the blind counting analysis (na62_pnn) has no scan table
        pd.read_parquet(results / "scan.parquet") if (results / "scan.parquet").exists() else None,
        process.stdout + process.stderr,
    )
