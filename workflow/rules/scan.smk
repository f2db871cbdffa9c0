# Mass scan: windows, backgrounds, observed counts, Rolke-Lopez limits, significance.


rule scan:
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
