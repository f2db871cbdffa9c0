# Generation, detector response and trigger, fused per chunk of blocks: only
# triggered, reconstructed events and exact decay counts are written.


rule simulate:
    output:
        "results/{dataset}/sim/{sample}/chunk_{chunk}.parquet",
    log:
        "logs/{dataset}/simulate/{sample}_{chunk}.log",
    benchmark:
        "benchmarks/results/{dataset}/simulate/{sample}_{chunk}.tsv"
    params:
        seed=config["seed"],
        config_hash=CONFIG_HASH,
        n_decays=lambda wc: sample_plan(wc).n_decays,
        first_block=lambda wc: sample_plan(wc).chunks[int(wc.chunk)][0],
        n_blocks=lambda wc: sample_plan(wc).chunks[int(wc.chunk)][1],
    threads: 2
    resources:
        mem_mb=2000,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/simulate.py"
