# Kaon-decay searches of NA48/2 and NA62: simulated pseudo-data to limit plots.
#
#   snakemake --cores all                                  default run (config/config.yaml)
#   snakemake --cores all --configfile config/paper.yaml   published statistics
#   snakemake --workflow-profile profiles/slurm            on a SLURM cluster
#
# Physics lives in the `analysis` package; rules only wire files.
import sys

from snakemake.utils import min_version

min_version("9.0")

# the package is imported from this checkout, with or without an install
sys.path.insert(0, workflow.basedir)

from analysis.analyses import (
    COUNTING_SELECTIONS,
    LIFETIME_SCAN_FIGURES,
    LIFETIME_SCAN_SELECTIONS,
    PNN_FIGURES,
    SCAN_FIGURES,
    figures,
)
from analysis.config import config_hash, validated_from_snakemake
from analysis.samples import dataset, plan_samples


configfile: "config/config.yaml"


validated_from_snakemake(config)
CONFIG_HASH = config_hash(config)
PLANS = {selection: plan_samples(config, selection) for selection in config["selections"]}
# selections reading the same pseudo-data (NA48/2 LNV and LNC) share its simulation
DATASET = {selection: dataset(selection) for selection in config["selections"]}
DATASET_PLANS = {DATASET[selection]: PLANS[selection] for selection in config["selections"]}
FIGURES = list(SCAN_FIGURES)
LIFETIME_FIGURES = list(LIFETIME_SCAN_FIGURES)
MISSING_MASS_SELECTIONS = [
    s
    for s in config["selections"]
    if s not in LIFETIME_SCAN_SELECTIONS and s not in COUNTING_SELECTIONS
]
# mass scans (scan.parquet) and the blind counting analysis (background.parquet)
SCAN_SELECTIONS = [s for s in config["selections"] if s not in COUNTING_SELECTIONS]

report: "workflow/report/workflow.rst"


wildcard_constraints:
    selection="[a-z0-9_]+",
    sample="[a-z0-9_]+",
    dataset="[a-z0-9_]+",
    chunk=r"\d+",
    figure="[a-z0-9_]+",


include: "workflow/rules/common.smk"
include: "workflow/rules/generate_and_reconstruct.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/normalise.smk"
include: "workflow/rules/scan.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/hepdata.smk"


rule all:
    input:
        expand("results/{selection}/summary.json", selection=config["selections"]),
        expand("results/{selection}/scan.parquet", selection=SCAN_SELECTIONS),
        expand(
            "results/{selection}/background.parquet",
            selection=[s for s in config["selections"] if s in COUNTING_SELECTIONS],
        ),
        [
            f"results/{selection}/figures/{figure}.{ext}"
            for selection in config["selections"]
            for figure in figures(selection)
            for ext in ("png", "pdf")
        ],
        "results/hepdata",
