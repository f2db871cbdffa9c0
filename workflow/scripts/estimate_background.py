"""Snakemake adapter: backgrounds, sensitivity and limit of the blind counting analysis."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821, SIM115
# the package is imported from this checkout, with or without an install
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821

from analysis.analyses import analysis_module  # noqa: E402

sm = snakemake  # noqa: F821
samples = sm.params.samples
config = {
    "seed": sm.params.seed,
    "scale": sm.params.scale,
    "unblind": sm.params.unblind,
    "config_hash": sm.params.config_hash,
}
analysis_module(sm.wildcards.selection).estimate(
    dict(zip(samples, sm.input.candidates, strict=True)),
    dict(zip(samples, sm.input.summaries, strict=True)),
    sm.input.normalisation,
    config,
    sm.output.summary,
    sm.output.budget,
    sm.output.spectrum,
)
