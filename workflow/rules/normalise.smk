# Kaon flux N_K from the normalisation channel of the pseudo-data and MC acceptances.


rule normalise:
    input:
        unpack(selected_summaries),
    output:
        "results/{selection}/normalisation.json",
    log:
        "logs/{selection}/normalise.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/normalise.py"
