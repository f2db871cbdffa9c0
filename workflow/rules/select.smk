# Selection: nominal kaon momentum from K3pi in the pseudo-data, then the signal
# and normalisation candidates of every sample.


rule kaon_momentum:
    input:
        data_chunks,
    output:
        "results/{selection}/kaon_momentum.json",
    log:
        "logs/{selection}/kaon_momentum.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/kaon_momentum.py"


rule select:
    input:
        chunks=sample_chunks,
        kaon_momentum="results/{selection}/kaon_momentum.json",
    output:
        candidates="results/{selection}/selected/{sample}.parquet",
        summary="results/{selection}/selected/{sample}.json",
    log:
        "logs/{selection}/select/{sample}.log",
    benchmark:
        "benchmarks/results/{selection}/select/{sample}.tsv"
    resources:
        mem_mb=3000,
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/select.py"
