# HEPData submission (hepdata_lib) of every limit table: BR and |U|^2 upper limits
# against mass (and lifetime), with the expected bands.

# na62_pnn is a counting experiment: a summary.json and no scan table.
HEPDATA_SCANS = [s for s in config["selections"] if s != "na62_pnn"]


rule hepdata:
    input:
        scans=expand("results/{selection}/scan.parquet", selection=HEPDATA_SCANS),
        summaries=expand("results/{selection}/summary.json", selection=config["selections"]),
    output:
        directory("results/hepdata"),
    log:
        "logs/hepdata.log",
    params:
        scan_selections=HEPDATA_SCANS,
        selections=config["selections"],
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/hepdata.py"
