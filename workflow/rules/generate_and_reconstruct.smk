# Generation and reconstruction (detector response, trigger, preselection),
# fused per chunk of blocks: with 1e10-1e11 decays per sample the generated
# events cannot be stored, so only the triggered, reconstructed events and the
# exact decay counts are written, as an experiment writes only what it triggers.


rule generate_and_reconstruct:
    output:
        "results/{dataset}/sim/{sample}/chunk_{chunk}.parquet",
    log:
        "logs/{dataset}/generate_and_reconstruct/{sample}_{chunk}.log",
    benchmark:
        "benchmarks/results/{dataset}/generate_and_reconstruct/{sample}_{chunk}.tsv"
    params:
        seed=config["seed"],
        config_hash=CONFIG_HASH,
        n_decays=lambda wc: sample_plan(wc).n_decays,
        first_block=lambda wc: sample_plan(wc).chunks[int(wc.chunk)][0],
        n_blocks=lambda wc: sample_plan(wc).chunks[int(wc.chunk)][1],
        # the model (channels, experiment table): its change re-simulates the sample
        model=lambda wc: sample_plan(wc).sample.model_digest(),
    # one thread per job: the chunks are independent, so Snakemake runs one job per
    # core and overlaps the start-up and Parquet writing of one job with the
    # computation of another (9% faster on 2 cores than one 2-thread job at a time).
    # For a few large chunks: --set-threads generate_and_reconstruct=N
    threads: 1
    resources:
        mem_mb=2000,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/generate_and_reconstruct.py"
