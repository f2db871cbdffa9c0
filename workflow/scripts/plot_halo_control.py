"""Snakemake adapter: halo control plots (vertex z vs angle and momentum)."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821, SIM115
# the package is imported from this checkout, with or without an install
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821

from analysis.analyses import analysis_module  # noqa: E402

sm = snakemake  # noqa: F821
stem = Path(sm.output.png).with_suffix("")
analysis_module(sm.wildcards.selection).plot_halo_control(
    list(sm.input.data), sm.input.control, stem
)
