"""Snakemake adapter: the figures of the blind counting analysis."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821, SIM115
# the package is imported from this checkout, with or without an install
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821

from analysis.analyses import analysis_module  # noqa: E402

sm = snakemake  # noqa: F821
analysis_module(sm.wildcards.selection).plot(
    dict(zip(sm.params.samples, sm.input.candidates, strict=True)),
    sm.input.summary,
    sm.input.budget,
    sm.input.spectrum,
    Path(sm.output.pdf[0]).parent,
)
