# Mass scan: windows, backgrounds, observed counts, Rolke-Lopez limits, significance.


rule scan:
    wildcard_constraints:
        selection="|".join(SCAN_SELECTIONS) or "(?!)",
    input:
        candidates=lambda wc: list(selected_candidates(wc).values()),
        summaries=lambda wc: list(selected_summaries(wc).values()),
        normalisation="results/{selection}/normalisation.json",
    output:
        scan="results/{selection}/scan.parquet",
        spectrum="results/{selection}/spectrum.parquet",
        summary=report(
            "results/{selection}/summary.json",
            caption="../report/summary.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "summary"},
        ),
    log:
        "logs/{selection}/scan.log",
    benchmark:
        "benchmarks/results/{selection}/scan.tsv"
    params:
        seed=config["seed"],
        scale=config["scale"],
        unblind=config["unblind"],
        injection=config["injection"],
        config_hash=CONFIG_HASH,
        samples=selected_samples,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/scan.py"


# The blind K+ -> pi+ nu nubar analysis: backgrounds from the control regions,
# single-event sensitivity, SM expectation and (unblinded) the upper limit.
rule estimate_background:
    wildcard_constraints:
        selection="|".join(COUNTING_SELECTIONS),
    input:
        candidates=lambda wc: list(selected_candidates(wc).values()),
        summaries=lambda wc: list(selected_summaries(wc).values()),
        normalisation="results/{selection}/normalisation.json",
    output:
        summary=report(
            "results/{selection}/summary.json",
            caption="../report/summary.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "summary"},
        ),
        budget="results/{selection}/background.parquet",
        spectrum="results/{selection}/spectrum.parquet",
    log:
        "logs/{selection}/estimate_background.log",
    benchmark:
        "benchmarks/results/{selection}/estimate_background.tsv"
    params:
        seed=config["seed"],
        scale=config["scale"],
        unblind=config["unblind"],
        config_hash=CONFIG_HASH,
        samples=selected_samples,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/estimate_background.py"
