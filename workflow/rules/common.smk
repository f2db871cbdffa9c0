# Input functions shared by the rules: which samples and chunks a selection has.


def sample_plan(wildcards):
    return DATASET_PLANS[wildcards.dataset][wildcards.sample]


def chunk_files(selection, sample):
    plan = PLANS[selection][sample]
    return [
        f"results/{DATASET[selection]}/sim/{sample}/chunk_{i}.parquet"
        for i in range(len(plan.chunks))
    ]


def sample_chunks(wildcards):
    return chunk_files(wildcards.selection, wildcards.sample)


def data_chunks(wildcards):
    """Pseudo-data chunks of the beam monitor: the data sample and any minimum-bias stream."""
    samples = [s for s in ("data", "data_minbias") if s in PLANS[wildcards.selection]]
    return [f for s in samples for f in chunk_files(wildcards.selection, s)]


def selected_samples(wildcards):
    return list(PLANS[wildcards.selection])


def selected_summaries(wildcards):
    return {
        s: f"results/{wildcards.selection}/selected/{s}.json" for s in selected_samples(wildcards)
    }


def selected_candidates(wildcards):
    return {
        s: f"results/{wildcards.selection}/selected/{s}.parquet"
        for s in selected_samples(wildcards)
    }
