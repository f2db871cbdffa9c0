"""``python -m analysis``: run any stage of the pipeline without Snakemake."""

from analysis.cli import main

raise SystemExit(main())
