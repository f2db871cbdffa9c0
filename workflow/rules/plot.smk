# Figures of every scan, PNG (in the report, with captions) and PDF.


rule plot:
    wildcard_constraints:
        selection="|".join(MISSING_MASS_SELECTIONS) or "(?!)",
    input:
        scan="results/{selection}/scan.parquet",
        spectrum="results/{selection}/spectrum.parquet",
    output:
        missing_mass=report(
            "results/{selection}/figures/missing_mass.png",
            caption="../report/missing_mass.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "missing_mass"},
        ),
        limit_events=report(
            "results/{selection}/figures/limit_events.png",
            caption="../report/limit_events.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "limit_events"},
        ),
        limit_br=report(
            "results/{selection}/figures/limit_br.png",
            caption="../report/limit_br.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "limit_br"},
        ),
        limit_u2=report(
            "results/{selection}/figures/limit_u2.png",
            caption="../report/limit_u2.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "limit_u2"},
        ),
        acceptance=report(
            "results/{selection}/figures/acceptance.png",
            caption="../report/acceptance.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "acceptance"},
        ),
        resolution=report(
            "results/{selection}/figures/resolution.png",
            caption="../report/resolution.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "resolution"},
        ),
        pdf=expand("results/{{selection}}/figures/{figure}.pdf", figure=FIGURES),
    log:
        "logs/{selection}/plot.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/plot.py"


# Halo control plots of the NA62-RK K+ -> mu+ N search: vertex z against track
# angle and momentum, K+ pseudo-data and K- control runs.
rule plot_halo_control:
    input:
        data=lambda wc: [
            f"results/{wc.selection}/selected/{s}.parquet"
            for s in selected_samples(wc)
            if PLANS[wc.selection][s].sample.is_data
            and PLANS[wc.selection][s].sample.data_label == "data"
        ],
        control="results/{selection}/selected/control_kminus.parquet",
    output:
        png=report(
            "results/{selection}/figures/halo_control.png",
            caption="../report/halo_control.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "halo_control"},
        ),
        pdf="results/{selection}/figures/halo_control.pdf",
    log:
        "logs/{selection}/plot_halo_control.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/plot_halo_control.py"


# Figures of the NA48/2 scans over HNL mass and lifetime.
rule plot_lifetime_scan:
    wildcard_constraints:
        selection="|".join(LIFETIME_SCAN_SELECTIONS),
    input:
        scan="results/{selection}/scan.parquet",
        spectrum="results/{selection}/spectrum.parquet",
    output:
        m_pimumu=report(
            "results/{selection}/figures/m_pimumu.png",
            caption="../report/m_pimumu.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "m_pimumu"},
        ),
        limit_events=report(
            "results/{selection}/figures/limit_events.png",
            caption="../report/limit_events.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "limit_events"},
        ),
        limit_br=report(
            "results/{selection}/figures/limit_br.png",
            caption="../report/limit_br_lifetimes.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "limit_br"},
        ),
        acceptance=report(
            "results/{selection}/figures/acceptance.png",
            caption="../report/acceptance_lifetimes.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "acceptance"},
        ),
        resolution=report(
            "results/{selection}/figures/resolution.png",
            caption="../report/resolution.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "resolution"},
        ),
        pdf=expand("results/{{selection}}/figures/{figure}.pdf", figure=LIFETIME_FIGURES),
    log:
        "logs/{selection}/plot.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/plot.py"


# Figures of the blind K+ -> pi+ nu nubar analysis (boxes masked while blind).
rule plot_pnn:
    wildcard_constraints:
        selection="|".join(COUNTING_SELECTIONS),
    input:
        candidates=lambda wc: list(selected_candidates(wc).values()),
        summary="results/{selection}/summary.json",
        budget="results/{selection}/background.parquet",
        spectrum="results/{selection}/spectrum.parquet",
    output:
        m2_vs_momentum=report(
            "results/{selection}/figures/m2_vs_momentum.png",
            caption="../report/m2_vs_momentum.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "m2_vs_momentum"},
        ),
        m2_straw_vs_rich=report(
            "results/{selection}/figures/m2_straw_vs_rich.png",
            caption="../report/m2_straw_vs_rich.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "m2_straw_vs_rich"},
        ),
        m2_miss=report(
            "results/{selection}/figures/m2_miss.png",
            caption="../report/m2_miss_pnn.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "m2_miss"},
        ),
        background_budget=report(
            "results/{selection}/figures/background_budget.png",
            caption="../report/background_budget.rst",
            category="{selection}",
            labels={"selection": "{selection}", "figure": "background_budget"},
        ),
        pdf=expand("results/{{selection}}/figures/{figure}.pdf", figure=PNN_FIGURES),
    params:
        samples=selected_samples,
    log:
        "logs/{selection}/plot.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/plot_pnn.py"
