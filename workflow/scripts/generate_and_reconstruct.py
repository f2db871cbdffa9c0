"""Snakemake adapter: one chunk of one sample through the fused simulation chain."""

import os
import sys
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", str(snakemake.threads))  # noqa: F821
sys.stderr = open(snakemake.log[0], "w")  # noqa: F821, SIM115
# the package is imported from this checkout, with or without an install
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1]))  # noqa: F821

from analysis.samples import plan_dataset  # noqa: E402
from analysis.simulate import simulate  # noqa: E402

sm = snakemake  # noqa: F821
plan = plan_dataset(sm.config, sm.wildcards.dataset)[sm.wildcards.sample]
simulate(
    plan.sample,
    sm.params.n_decays,
    sm.params.seed,
    sm.output[0],
    first_block=sm.params.first_block,
    blocks=sm.params.n_blocks,
    chunk=int(sm.wildcards.chunk),
    config_hash=sm.params.config_hash,
)
