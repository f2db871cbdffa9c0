"""Snakemake adapter: the HEPData submission of every limit table."""

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821, SIM115
sys.stdout = sys.stderr  # hepdata_lib reports on standard output
# the package is imported from this checkout, with or without an install
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821

from analysis.hepdata import export  # noqa: E402

sm = snakemake  # noqa: F821
export(
    dict(zip(sm.params.scan_selections, sm.input.scans, strict=True)),
    dict(zip(sm.params.selections, sm.input.summaries, strict=True)),
    sm.output[0],
)
