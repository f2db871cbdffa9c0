"""Snakemake adapter: kaon flux from the normalisation channel."""

import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821, SIM115

from analysis.analyses import analysis_module  # noqa: E402

sm = snakemake  # noqa: F821
analysis_module(sm.wildcards.selection).normalise(dict(sm.input.items()), sm.output[0])
